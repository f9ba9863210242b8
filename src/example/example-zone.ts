// The embedded example zone served by `edgens serve --example`: enough to try every common query type without
// writing a zone file. example.edgens.test. sits under .test (RFC 6761), so it can never clash with real data.

export const EXAMPLE_ORIGIN = "example.edgens.test.";

export const EXAMPLE_ZONE_TEXT = `$ORIGIN example.edgens.test.
$TTL 300
@        IN SOA   ns1 hostmaster 2024010101 7200 3600 1209600 300
@        IN NS    ns1
@        IN NS    ns2
@        IN A     192.0.2.53
@        IN AAAA  2001:db8::53
@        IN MX    10 mail
@        IN TXT   "edgens example zone" "served from memory"
@        IN CAA   0 issue "letsencrypt.org"
ns1      IN A     192.0.2.1
ns1      IN AAAA  2001:db8::1
ns2      IN A     198.51.100.1
ns2      IN AAAA  2001:db8:1::1
www      IN CNAME @
mail     IN A     192.0.2.25
_dns._udp IN SRV  0 0 53 ns1
*.wild   IN TXT   "wildcard match"
sub      IN NS    ns.sub
ns.sub   IN A     203.0.113.53
`;
