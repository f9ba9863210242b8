import { describe, expect, test } from "vitest";
import { parseNameText } from "../../src/wire/name.js";
import { splitPresentation } from "../../src/wire/rdata/presentation-lexer.js";
import { canonicalRdata, RdataTextError, rdataFromText, rdataToText } from "../../src/wire/rdata-text.js";
import { typeFromText } from "../../src/wire/rrtype.js";

const origin = parseNameText("example.com.", null);

function wire(type: string, text: string): Buffer {
  return rdataFromText(typeFromText(type)!, splitPresentation(text), origin);
}

// [type, presentation in, canonical presentation out (undefined = same as in), wire hex (optional)]
const ROUND_TRIPS: [string, string, string?, string?][] = [
  ["A", "192.0.2.1", undefined, "c0000201"],
  ["AAAA", "2001:db8::1", undefined, "20010db8000000000000000000000001"],
  ["AAAA", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
  ["AAAA", "::ffff:192.0.2.1", "::ffff:c000:201", "00000000000000000000ffffc0000201"],
  ["AAAA", "::", "::"],
  ["AAAA", "1:0:0:1:0:0:0:1", "1:0:0:1::1"],
  ["NS", "ns1", "ns1.example.com.", "036e7331076578616d706c6503636f6d00"],
  ["NS", "@", "example.com."],
  ["CNAME", "Www.Example.NET.", "Www.Example.NET."],
  ["DNAME", "example.net.", undefined],
  ["PTR", "host\\.name.example.", undefined, "09686f73742e6e616d65076578616d706c6500"],
  ["MX", "10 mail", "10 mail.example.com."],
  [
    "SOA",
    "ns1 hostmaster ( 2024010101 7200 3600 1w 300 )",
    "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 604800 300",
  ],
  ["SOA", "ns. h. 1 1h30m 1d 2w 5m", "ns. h. 1 5400 86400 1209600 300"],
  ["TXT", '"hello world"', undefined, "0b68656c6c6f20776f726c64"],
  ["TXT", 'a "b c" \\"q\\"', '"a" "b c" "\\"q\\""'],
  ["TXT", '"\\065\\255\\000x"', '"A\\255\\000x"', "0441ff0078"],
  ["TXT", '""', undefined, "00"],
  ["SPF", '"v=spf1 -all"', undefined],
  ["HINFO", '"PC" "Linux"', undefined],
  ["RP", "admin.example. txt.example.", undefined],
  ["AFSDB", "1 afs.example.", undefined],
  ["SRV", "10 20 5060 sip", "10 20 5060 sip.example.com.", "000a001413c403736970076578616d706c6503636f6d00"],
  ["NAPTR", '100 10 "S" "SIP+D2U" "" _sip._udp.example.', undefined],
  ["NAPTR", '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .', undefined],
  ["CAA", '0 issue "letsencrypt.org"', undefined, "000569737375656c657473656e63727970742e6f7267"],
  ["CAA", "128 iodef mailto:security@example.com", '128 iodef "mailto:security@example.com"'],
  ["CAA", '0 issue ""', undefined, "00056973737565"],
  [
    "DS",
    "12345 8 2 ( 49fd46e6c4b45c55d4ac69cbd3cd34ac1afe51de 0A1B )",
    "12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE0A1B",
  ],
  ["CDS", "0 0 0 00", undefined, "0000000000"],
  [
    "DNSKEY",
    "257 3 13 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0d xCjjnopKl+GqJxpVXckHAeF+KkxLbxIL fDLUT0rAK9iUzy1L53eKGQ== )",
    "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
  ],
  ["CDNSKEY", "0 3 0 AA==", undefined, "0000030000"],
  ["DNSKEY", "256 3 ECDSAP256SHA256 AAECAwQF", "256 3 13 AAECAwQF"],
  ["DS", "1 RSASHA256 2 AABB", "1 8 2 AABB"],
  ["RRSIG", "A 13 3 300 20250101000000 20240101000000 12345 example.com. AAECAwQ=", undefined],
  [
    "RRSIG",
    "TYPE65280 13 3 300 1700000000 1690000000 1 example.com. AAECAwQ=",
    "TYPE65280 13 3 300 20231114221320 20230722042640 1 example.com. AAECAwQ=",
  ],
  [
    "NSEC",
    "host.example.com. A MX RRSIG NSEC TYPE1234",
    undefined,
    "04686f7374076578616d706c6503636f6d000006400100000003041b000000000000000000000000000000000000000000000000000020",
  ],
  ["NSEC", "a.example.com.", undefined],
  ["NSEC3", "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG", undefined],
  ["NSEC3", "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr", "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR"],
  ["NSEC3PARAM", "1 0 0 -", undefined, "0100000000"],
  ["NSEC3PARAM", "1 0 10 aabb", "1 0 10 AABB", "0100000a02aabb"],
  [
    "TLSA",
    "3 1 1 ( 0C72AC70B745AC19998811B1 31D662C9AC69DBDBE7CB23E5B514B56664C5D3D6 )",
    "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
  ],
  ["SMIMEA", "3 1 1 0C72AC70", undefined],
  [
    "SSHFP",
    "4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789",
    "4 2 123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF123456789",
  ],
  ["URI", '10 1 "ftp://ftp1.example.com/public"', undefined],
  ["OPENPGPKEY", "AAECAwQF", undefined],
  ["ZONEMD", "2018031900 1 1 FEBE3D4CE2EC2FFA4BA9", undefined],
  ["CERT", "PGP 0 0 AAECAwQF", undefined, "0003000000000102030405"],
  ["CERT", "65000 1 2 AAECAwQF", undefined],
  ["DHCID", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=", undefined],
  ["CSYNC", "66 3 A NS AAAA", undefined],
  ["EUI48", "00-00-5e-00-53-2a", undefined, "00005e00532a"],
  ["EUI64", "00-00-5e-ef-10-00-00-2a", undefined],
  ["KX", "10 kx.example.", undefined],
  ["LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000.00m 10.00m", undefined],
  [
    "LOC",
    "42 21 54 N 71 06 18 W -24m 30m",
    "42 21 54.000 N 71 6 18.000 W -24.00m 30.00m 10000.00m 10.00m",
    "0033161389172dd070be15f000988d20" /* as printed by nsd-checkzone */,
  ],
  ["LOC", "0 S 0 E 0", "0 0 0.000 N 0 0 0.000 E 0.00m 1.00m 10000.00m 10.00m"],
  ["SVCB", "0 svc.example.", undefined, "000003737663076578616d706c6500"],
  ["SVCB", "1 . alpn=h2,h3 port=8443", '1 . alpn="h2,h3" port=8443'],
  [
    "HTTPS",
    '1 . port=443 alpn="h3,h2" ipv6hint=2001:db8::1,2001:db8::2 ipv4hint=192.0.2.1 mandatory=alpn,port',
    '1 . mandatory=alpn,port alpn="h3,h2" port=443 ipv4hint=192.0.2.1 ipv6hint=2001:db8::1,2001:db8::2',
  ],
  ["HTTPS", "1 . no-default-alpn alpn=h2 ech=AEj+DQBE", '1 . alpn="h2" no-default-alpn ech=AEj+DQBE'],
  ["SVCB", '1 foo.example.com. key667="hello\\210qoo"', '1 foo.example.com. key667="hello\\210qoo"'],
  ["SVCB", '1 . alpn="f\\\\\\\\oo\\\\,bar,h2"', '1 . alpn="f\\\\\\\\oo\\\\,bar,h2"'],
  ["SVCB", "1 . key65535", undefined],
  ["HTTPS", '1 . dohpath="/dns-query{?dns}"', undefined],
  // RFC 3597 generic form, also for known types (then printed in the type's own form).
  ["A", "\\# 4 C0000201", "192.0.2.1"],
  ["TYPE65280", "\\# 4 0A000001", "\\# 4 0A000001"],
  ["TYPE65280", "\\# 0", "\\# 0"],
  ["TYPE65280", "\\# 3 ( 0a 00 01 )", "\\# 3 0A0001"],
  ["APL", "\\# 5 00010401C0", "1:192.0.0.0/4"],
  [
    "APL",
    "1:192.168.32.0/21 !1:192.168.38.0/28 2:2001:db8::/32",
    undefined,
    "00011503c0a820" + "00011c83c0a826" + "0002200420010db8",
  ],
  ["APL", "", undefined, ""],
  ["IPSECKEY", "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", undefined],
  ["IPSECKEY", "10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", undefined],
  ["IPSECKEY", "10 3 2 gw.example.net. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==", undefined],
  ["IPSECKEY", "10 2 2 2001:db8::1", undefined, "0a02022001" + "0db8000000000000000000000001"],
];

describe("rdataFromText/rdataToText round trips", () => {
  test.each(ROUND_TRIPS)("%s %s", (type, text, canonical, hex) => {
    const w = wire(type, text);
    if (hex) expect(w.toString("hex")).toBe(hex);
    const out = rdataToText(typeFromText(type)!, w);
    expect(out).toBe(canonical ?? text);
    // The canonical text parses back to the same bytes.
    expect(wire(type, out).equals(w)).toBe(true);
  });
});

// [type, presentation, reason (substring), bad field index]
const ERRORS: [string, string, string, number][] = [
  ["A", "192.0.2.256", "bad IPv4", 0],
  ["A", "192.0.2", "bad IPv4", 0],
  ["A", "", "missing field", 0],
  ["A", "1.2.3.4 5.6.7.8", "trailing garbage", 1],
  ["AAAA", "2001:db8:::1", "bad IPv6", 0],
  ["AAAA", "1:2:3:4:5:6:7:8:9", "bad IPv6", 0],
  ["MX", "65536 mail", "above 65535", 0],
  ["MX", "10", "missing field: expected a domain name", 1],
  ["NS", `${"a".repeat(64)}.example.`, "label longer than 63", 0],
  ["NS", `${"abcdefghi.".repeat(26)}`, "longer than 255", 0],
  ["TXT", `"${"x".repeat(256)}"`, "longer than 255", 0],
  ["TXT", "ok \\999", "\\DDD", 1],
  ["SOA", "ns. h. 1 2 3 4", "missing field", 6],
  ["SOA", "ns. h. 1 2 3 4 1x", "bad time value", 6],
  ["DS", "1 8 2 ABC", "hex", 3],
  ["DNSKEY", "257 3 13 !!!!", "base64", 3],
  ["RRSIG", "A 13 3 300 20251301000000 20240101000000 1 example. AA==", "signature time", 4],
  ["RRSIG", "BOGUS 13 3 300 20250101000000 20240101000000 1 example. AA==", "unknown type", 0],
  ["NSEC", "next.example. A BOGUS", "unknown type 'BOGUS'", 2],
  ["NSEC3", "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJW", "base32hex", 4],
  ["CAA", "0 is-sue x", "bad CAA tag", 1],
  ["CAA", "0 issue a b", "trailing", 3],
  ["SVCB", "1 . port=99999", "above 65535", 2],
  ["SVCB", "1 . port=1 port=2", "duplicate SvcParam", 3],
  ["SVCB", "1 . mandatory=port", "absent", 2],
  ["SVCB", "1 . bogus=1", "unknown SvcParamKey", 2],
  ["SVCB", "1 . no-default-alpn=x", "takes no value", 2],
  ["SVCB", "1 . ipv4hint=1.2.3", "bad IPv4", 2],
  ["LOC", "91 N 0 E 0", "bad degrees", 0],
  ["APL", "1:192.0.2.0/24 3:x/1", "bad APL item", 1],
  ["APL", "1:192.0.2.0/33", "too long", 0],
  ["IPSECKEY", "10 1 2 2001:db8::1", "bad IPv4", 3],
  ["IPSECKEY", "10 4 2 x", "unknown gateway type", 1],
  ["IPSECKEY", "10 1 2", "missing field", 3],
  ["LOC", "52 22 X N", "bad minutes", 2],
  ["TYPE65280", "0a000001", "use '\\# len hex'", 0],
  ["A", "\\# 5 C0000201", "does not match", 1],
  ["A", "\\# 4 C00002", "does not match", 1],
  ["A", "\\# 4 C000020", "hex", 2],
  ["A", "\\#", "needs a length", 1],
];

describe("rdataFromText errors", () => {
  test.each(ERRORS)("%s %s → %s", (type, text, reason, field) => {
    let err: unknown;
    try {
      wire(type, text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RdataTextError);
    expect((err as RdataTextError).message).toContain(reason);
    expect((err as RdataTextError).field).toBe(field);
    expect((err as RdataTextError).code).toBe("EDGENS_ERR_RDATA");
  });
});

describe("rdataToText on malformed wire falls back to the generic form", () => {
  test.each([
    ["A", "c00002"],
    ["MX", "000a03"],
    ["TXT", ""],
    ["HTTPS", "0001000003000201bb00010003026832"], // keys out of order
    ["NSEC", "00000000"], // empty bitmap window
    ["LOC", `01${"00".repeat(15)}`], // unknown LOC version
  ])("%s %s", (type, hex) => {
    const t = typeFromText(type)!;
    const text = rdataToText(t, Buffer.from(hex, "hex"));
    expect(text).toBe(hex.length ? `\\# ${hex.length / 2} ${hex.toUpperCase()}` : "\\# 0");
    expect(rdataFromText(t, splitPresentation(text), null).toString("hex")).toBe(hex);
  });
});

test("canonicalRdata lower-cases embedded names only for RFC 4034 §6.2 types", () => {
  expect(
    canonicalRdata(15, wire("MX", "10 Mail.Example.COM.")).equals(wire("MX", "10 mail.example.com.")),
  ).toBe(true);
  const nsec = wire("NSEC", "Next.Example. A");
  expect(canonicalRdata(47, nsec).equals(nsec)).toBe(true);
});
