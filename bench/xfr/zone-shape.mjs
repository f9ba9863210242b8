// The zone every transfer bench uses (issue 6): `records` records — hosts with an A record, every 4th also AAAA
// (so records / 1.25 hosts) — plus the apex SOA, two NS and their two addresses. A change moves the A record of
// `changed` hosts spread over the zone to another address (an IXFR of `changed` deletions and additions).
const ip4 = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

export const hostCount = (records) => Math.floor(records / 1.25);

/** The master-file text, and how many records it holds. */
export function xfrZoneText({ origin = "xfr.test.", records, serial = 1, changed = 0 }) {
  const hosts = hostCount(records);
  const out = [
    `$ORIGIN ${origin}`,
    "$TTL 3600",
    `@ SOA ns1 hostmaster ${serial} 3600 600 1209600 300`,
    "@ NS ns1",
    "@ NS ns2",
    "ns1 A 192.0.2.1",
    "ns2 A 192.0.2.2",
  ];
  const step = changed > 0 ? Math.max(1, Math.floor(hosts / changed)) : 0;
  for (let i = 0; i < hosts; i++) {
    const moved = step > 0 && i % step === 0 && i / step < changed;
    out.push(`h${i} A ${moved ? ip4(i + 0x800000) : ip4(i + 256)}`);
    if (i % 4 === 0) out.push(`h${i} AAAA 2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`);
  }
  return { text: `${out.join("\n")}\n`, records: out.length - 2 };
}

/** The hosts a change of `changed` moves, with both their addresses (as xfrZoneText writes them). */
export function changedHosts({ origin = "xfr.test.", records, changed }) {
  const hosts = hostCount(records);
  const step = Math.max(1, Math.floor(hosts / changed));
  const out = [];
  for (let i = 0; i < hosts && out.length < changed; i += step) out.push(i);
  return out.map((i) => ({ name: `h${i}.${origin}`, base: ip4(i + 256), moved: ip4(i + 0x800000) }));
}
