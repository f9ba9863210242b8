// The zone and the query corpus of the `edgens serve --xdp` tests, and the rule that says which queries the XDP
// program must answer itself (docs/FASTPATH.md, "What is answered"), so the test can count the expected hits.
import dnsPacket from "dns-packet";
import { fastAnswersFromPrecompiled } from "../../src/fastpath/answer-codec.js";
import { ZONE_F_NX, ZONE_F_SIGNED } from "../../src/fastpath/layout.js";
import { compileNegativeTable, type NegativeTable } from "../../src/fastpath/negative.js";
import type { Snapshot } from "../../src/responder/snapshot.js";
import { exactKey } from "../../src/responder/snapshot.js";
import { isSubdomainKey, labelOffsets, nameKey, parseNameText } from "../../src/wire/name.js";

export const ORIGIN = "fp.test.";

/** Answers are small (they fit the ≈200 octets a veth frame can grow at the front) except `big`. */
export function zoneText(serial: number): string {
  return `$ORIGIN ${ORIGIN}
$TTL 300
@     IN SOA ns1 hostmaster ${serial} 7200 3600 1209600 300
@     IN NS  ns1
@     IN MX  ${serial} mail
@     IN TXT "v=spf1 -all"
ns1   IN A   192.0.2.1
mail  IN A   10.0.${serial}.25
www   IN A   192.0.2.80
www   IN AAAA 2001:db8::80
alias IN CNAME www
gen   IN TXT "serial-${serial}"
*.wild IN A  192.0.2.99
sub   IN NS  ns.sub
ns.sub IN A  192.0.2.53
big   IN TXT "${"x".repeat(250)}" "${"y".repeat(250)}"
`;
}

export const NAMES = [
  "fp.test",
  "www.fp.test",
  "alias.fp.test",
  "mail.fp.test",
  "ns1.fp.test",
  "gen.fp.test",
];
export const TYPES: dnsPacket.RecordType[] = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "SRV"];
/** Queries beyond the answer map: NXDOMAIN (answered from the zone tables), wildcard, referral below a cut, ANY
 * and a big answer (passed). */
export const MISSES: [string, dnsPacket.RecordType][] = [
  ["nope.fp.test", "A"],
  ["x.wild.fp.test", "A"],
  ["www.sub.fp.test", "A"],
  ["www.fp.test", "ANY" as dnsPacket.RecordType],
  ["big.fp.test", "TXT"],
];

export interface Variant {
  name: string;
  edns?: { udpSize: number; do: boolean; options?: { code: number; data: Buffer }[] };
  rd?: boolean;
}

export const VARIANTS: Variant[] = [
  { name: "no EDNS" },
  { name: "no EDNS, RD", rd: true },
  { name: "EDNS 1232", edns: { udpSize: 1232, do: false } },
  { name: "EDNS 512 DO", edns: { udpSize: 512, do: true } },
  { name: "EDNS 4096 DO, RD", edns: { udpSize: 4096, do: true }, rd: true },
  {
    name: "EDNS + cookie",
    edns: { udpSize: 1232, do: false, options: [{ code: 10, data: Buffer.alloc(8, 7) }] },
  },
  { name: "EDNS + NSID", edns: { udpSize: 1232, do: false, options: [{ code: 3, data: Buffer.alloc(0) }] } },
];

/** Mixed case, deterministic per index (0x20 case echo). */
export function mixCase(name: string, seed: number): string {
  return [...name].map((c, i) => ((seed >> (i % 16)) & 1 ? c.toUpperCase() : c)).join("");
}

export interface CorpusQuery {
  label: string;
  qname: string;
  qtype: dnsPacket.RecordType;
  variant: Variant;
  bytes: Buffer;
}

export function encodeQuery(id: number, qname: string, qtype: dnsPacket.RecordType, v: Variant): Buffer {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: v.rd ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ name: qname, type: qtype, class: "IN" }],
    additionals: v.edns
      ? [
          {
            type: "OPT",
            name: ".",
            udpPayloadSize: v.edns.udpSize,
            flags: v.edns.do ? dnsPacket.DNSSEC_OK : 0,
            options: v.edns.options ?? [],
          } as dnsPacket.Answer,
        ]
      : [],
  });
}

export function buildCorpus(): CorpusQuery[] {
  const out: CorpusQuery[] = [];
  let id = 1;
  const add = (name: string, qtype: dnsPacket.RecordType, variant: Variant) => {
    const qname = mixCase(name, id * 2654435761);
    out.push({
      label: `${qname} ${qtype} (${variant.name})`,
      qname,
      qtype,
      variant,
      bytes: encodeQuery(id, qname, qtype, variant),
    });
    id++;
  };
  for (const name of NAMES) for (const t of TYPES) for (const v of VARIANTS) add(name, t, v);
  for (const [name, t] of MISSES) for (const v of VARIANTS) add(name, t, v);
  return out;
}

// How far a veth frame can grow at the front depends on how the kernel built it (≈200 octets of XDP headroom,
// more when veth copied the packet into a fresh page): answers that grow the frame more than this may or may
// not be answered by XDP (else passed with pass_no_room), so the zone keeps every answer well below it except
// big.fp.test.
const VETH_ROOM = 200;

/**
 * Whether the XDP program answers `q` itself, given the socket path's reply to the same query: an entry for
 * (qname, qtype, DO) in the snapshot — or a negative answer from the zone tables (`fromZoneTables`) — no
 * NSID/ECS option, a reply that needs no truncation and fits the frame.
 */
export function xdpShouldAnswer(
  snapshot: Snapshot,
  q: CorpusQuery,
  socketReply: Buffer,
): "yes" | "no" | "maybe" {
  const options = q.variant.edns?.options ?? [];
  if (options.some((o) => o.code === 3 || o.code === 8)) return "no";
  const dnssecOk = q.variant.edns?.do ?? false;
  const qkey = nameKey(parseNameText(`${q.qname}.`, null));
  const entry = snapshot.exactAnswers.get(exactKey(qkey, typeCode(q.qtype), dnssecOk));
  if (!entry && !fromZoneTables(snapshot, qkey, typeCode(q.qtype), dnssecOk, socketReply)) return "no";
  if (entry && entry.rcode > 15) return "no";
  if (socketReply.readUInt16BE(2) & 0x0200) return "no"; // TC: too big for this requester
  return socketReply.length - q.bytes.length <= VETH_ROOM ? "yes" : "maybe";
}

const tables = new WeakMap<Snapshot, { table: NegativeTable; loaded: Set<string> }>();

/**
 * Whether an answer-map miss is answered NXDOMAIN or NODATA from the zone tables (docs/FASTPATH.md): the rules
 * of edgens.bpf.c restated over `compileNegativeTable` and the answers `FastPath` would load.
 */
function fromZoneTables(
  snapshot: Snapshot,
  qkey: string,
  qtype: number,
  dnssecOk: boolean,
  socketReply: Buffer,
): boolean {
  if (qtype === 0 || qtype === 41 || (qtype >= 128 && qtype <= 255) || [43, 46, 47, 50].includes(qtype))
    return false;
  let t = tables.get(snapshot);
  if (!t) {
    const { answers } = fastAnswersFromPrecompiled(snapshot.exactAnswers.values());
    const loaded = new Set(
      answers.map((a) => `${Buffer.from(a.qname).toString("latin1").toLowerCase()}/${a.qtype}/${a.dnssecOk}`),
    );
    t = { table: compileNegativeTable(snapshot), loaded };
    tables.set(snapshot, t);
  }
  const zone = t.table.zones
    .filter((z) => isSubdomainKey(qkey, z.apex.toString("latin1")))
    .sort((a, b) => b.apex.length - a.apex.length)[0];
  if (!zone || !(zone.flags & ZONE_F_NX) || (dnssecOk && zone.flags & ZONE_F_SIGNED)) return false;
  const rcode = socketReply[3]! & 0x0f;
  if (rcode === 3) {
    const offs = labelOffsets(qkey);
    const at = offs[offs.length - labelOffsets(zone.apex.toString("latin1")).length - 1]!;
    const below = Buffer.from(qkey.slice(at, at + qkey.charCodeAt(at) + 1), "latin1");
    return !zone.forbid.some((f) => f.equals(below));
  }
  const c = (t.table.nodata ?? []).find((n) => n.qname.toString("latin1") === qkey);
  return rcode === 0 && !!c && c.types.every((ty) => t.loaded.has(`${qkey}/${ty}/${dnssecOk}`));
}

const TYPE_CODES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  ANY: 255,
};

function typeCode(t: string): number {
  const c = TYPE_CODES[t];
  if (c === undefined) throw new Error(`add ${t} to TYPE_CODES`);
  return c;
}
