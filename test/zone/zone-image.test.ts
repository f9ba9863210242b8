// The zone image (src/zone/zone-image.ts) against a plain model of what a zone built from a record list is:
// names with their empty non-terminals, RRsets (first record's TTL and class, exact duplicates dropped, the
// order records came in), RRSIGs under the type they cover, cuts and occlusion, the audit's findings. The
// model is written for the test from the RFC rules, with Maps; random zones exercise the image's growth,
// hashing and relocation paths that small hand-written zones do not reach.
import { describe, expect, it } from "vitest";
import { nameKey, parentName, parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { type BuildAudit, type BuildFinding, ZoneBuildError, type ZoneData } from "../../src/zone/zone.js";
import { buildZone, ImageNodes, ZoneBuilder } from "../../src/zone/zone-image.js";

const ORIGIN = parseNameText("Img.Example.", null);
const OKEY = nameKey(ORIGIN);
const SOA_RDATA = Buffer.concat([
  parseNameText("ns1.img.example.", null),
  parseNameText("h.img.example.", null),
  Buffer.from([0, 0, 0, 1, 0, 0, 0, 60, 0, 0, 0, 30, 0, 0, 1, 0, 0, 0, 0, 50]),
]);

interface ModelSet {
  type: number;
  cls: number;
  ttl: number;
  rdatas: string[];
}
interface ModelNode {
  owner: Buffer;
  sets: Map<number, ModelSet>; // key: type, or 0x10000 | covered for RRSIGs
}

/** What the zone must hold, computed the obvious way. */
function model(records: ResourceRecord[]) {
  const nodes = new Map<string, ModelNode>();
  const findings: { kind: string; key: string; type: number; ttl: number; rrsetTtl: number }[] = [];
  const ttlReported = new Set<ModelSet>();
  const ensure = (owner: Buffer): ModelNode => {
    const k = nameKey(owner);
    let n = nodes.get(k);
    if (!n) {
      n = { owner, sets: new Map() };
      nodes.set(k, n);
      for (let p = parentName(k); k !== OKEY && p !== null && p !== OKEY && !nodes.has(p); p = parentName(p))
        nodes.set(p, { owner: Buffer.from(p, "latin1"), sets: new Map() });
    }
    return n;
  };
  ensure(ORIGIN);
  for (const rr of records) {
    const n = ensure(rr.owner);
    const k = rr.type === RRType.RRSIG ? 0x10000 | rr.rdata.readUInt16BE(0) : rr.type;
    const set = n.sets.get(k);
    const hex = rr.rdata.toString("hex");
    if (!set) {
      n.sets.set(k, { type: rr.type, cls: rr.class, ttl: rr.ttl, rdatas: [hex] });
      continue;
    }
    const dup = set.rdatas.includes(hex);
    if (!dup) set.rdatas.push(hex);
    const key = nameKey(rr.owner);
    if (dup && rr.class === set.cls)
      findings.push({ kind: "duplicate", key, type: rr.type, ttl: rr.ttl, rrsetTtl: set.ttl });
    if (rr.ttl !== set.ttl && !ttlReported.has(set)) {
      ttlReported.add(set);
      findings.push({ kind: "ttl", key, type: rr.type, ttl: rr.ttl, rrsetTtl: set.ttl });
    }
  }
  const blocks = (k: string) => {
    const n = nodes.get(k);
    return !!n && ((k !== OKEY && n.sets.has(RRType.NS)) || n.sets.has(RRType.DNAME));
  };
  const occluded = (k: string) => {
    for (let p = parentName(k); p !== null && p.length >= OKEY.length; p = parentName(p))
      if (blocks(p)) return true;
    return false;
  };
  return { nodes, findings, occluded };
}

/** Every name, RRset, flag and order of `data` against the model of `records`. */
function expectMatches(data: ZoneData, records: ResourceRecord[]): void {
  const m = model(records);
  expect([...data.nodes.keys()]).toEqual([...m.nodes.keys()]);
  expect(data.nodes.size).toBe(m.nodes.size);
  for (const [k, want] of m.nodes) {
    const node = data.nodes.get(k)!;
    expect(node.key).toBe(k);
    expect(node.owner.equals(want.owner), `owner of ${JSON.stringify(k)}`).toBe(true);
    expect(node.cut).toBe(k !== OKEY && want.sets.has(RRType.NS));
    expect(node.occluded).toBe(k !== OKEY && m.occluded(k));
    const got: [number, ModelSet][] = [];
    for (const [t, rs] of node.rrsets)
      got.push([
        t,
        { type: rs.type, cls: rs.class, ttl: rs.ttl, rdatas: rs.rdataList().map((r) => r.toString("hex")) },
      ]);
    for (const [t, rs] of node.sigs)
      got.push([
        0x10000 | t,
        { type: rs.type, cls: rs.class, ttl: rs.ttl, rdatas: rs.rdataList().map((r) => r.toString("hex")) },
      ]);
    const wantSets = [...want.sets]
      .filter(([t]) => t < 0x10000)
      .concat([...want.sets].filter(([t]) => t >= 0x10000));
    expect(got).toEqual(wantSets);
    for (const rs of node.rrsets.values()) {
      expect(rs.ownerKey).toBe(k);
      expect(rs.owner.equals(want.owner)).toBe(true);
    }
  }
}

// A deterministic generator (xorshift) for the random zones.
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

function name(text: string): Buffer {
  return parseNameText(text, null);
}

function rec(owner: string, type: number, rdata: Buffer, ttl = 300, cls = 1): ResourceRecord {
  return { owner: name(owner), type, class: cls, ttl, rdata };
}

const apexRecords = (): ResourceRecord[] => [
  rec("img.example.", RRType.SOA, SOA_RDATA, 600),
  rec("img.example.", RRType.NS, name("ns1.img.example.")),
  rec("ns1.img.example.", RRType.A, Buffer.from([192, 0, 2, 53])),
];

/** A random zone: deep names (empty non-terminals), mixed case, duplicates, TTL mismatches, interleaving. */
function randomZone(seed: number, names: number): ResourceRecord[] {
  const r = rng(seed);
  const labels = ["a", "B", "cc", "dD", "www", "mail", "x1", "Y2", "zz"];
  const out = apexRecords();
  const made: string[] = [];
  for (let i = 0; i < names; i++) {
    const depth = 1 + r(3);
    let n = `n${i}${r(2) ? "Q" : "q"}`;
    for (let d = 1; d < depth; d++) n = `${n}.${labels[r(labels.length)]}`;
    made.push(`${n}.img.example.`);
  }
  const pick = () => made[r(made.length)]!;
  for (let i = 0; i < names * 2; i++) {
    const owner = i < names ? made[i]! : pick();
    const k = r(12);
    if (k < 5) out.push(rec(owner, RRType.A, Buffer.from([10, r(4), r(4), r(256)])));
    else if (k < 7) out.push(rec(owner, RRType.AAAA, Buffer.alloc(16, r(3))));
    else if (k < 8)
      out.push(rec(owner, RRType.TXT, Buffer.concat([Buffer.from([40]), Buffer.alloc(40, 0x61 + r(3))])));
    else if (k < 9) out.push(rec(owner, RRType.A, Buffer.from([10, 0, 0, 1]), 300 + r(2)));
    else if (k < 10) {
      const sig = Buffer.alloc(30, 7);
      sig.writeUInt16BE(r(2) ? RRType.A : RRType.TXT, 0);
      sig[29] = r(3);
      out.push(rec(owner, RRType.RRSIG, sig));
    } else if (k < 11)
      out.push(rec(owner, RRType.MX, Buffer.concat([Buffer.from([0, 10]), name("mx.img.example.")])));
    else out.push(rec(owner.toLowerCase(), RRType.A, Buffer.from([10, 9, 9, r(2)])));
  }
  return out;
}

describe("zone image", () => {
  it("holds what the model says for random zones: names, empty non-terminals, RRsets, order, case", () => {
    for (const [seed, names] of [
      [1, 10],
      [2, 200],
      [3, 3000],
    ] as const) {
      const records = randomZone(seed, names);
      expectMatches(buildZone(ORIGIN, records), records);
    }
  });

  it("gives the same zone when told how many records to expect (tables sized at once) as when growing", () => {
    const records = randomZone(4, 2000);
    const b = new ZoneBuilder(ORIGIN);
    b.expectRecords(records.length);
    for (const rr of records) b.add(rr);
    expectMatches(b.finish(), records);
    // A hint far too small, and one far too large, change nothing but the sizes.
    for (const hint of [3, 100_000]) {
      const c = new ZoneBuilder(ORIGIN);
      c.expectRecords(hint);
      for (const rr of records) c.add(rr);
      expectMatches(c.finish(), records);
    }
  });

  it("reports duplicates and TTL mismatches as the model does, and counts only the records held", () => {
    const records = randomZone(5, 500);
    const audit: BuildAudit = { clean: true, findings: [] };
    const b = new ZoneBuilder(ORIGIN, audit);
    for (const rr of records) b.add(rr);
    b.finish();
    const want = model(records).findings;
    const got = audit.findings!.map((f: BuildFinding) => ({
      kind: f.kind,
      key: nameKey(f.owner),
      type: f.type,
      ttl: f.ttl,
      rrsetTtl: f.rrsetTtl,
    }));
    expect(got).toEqual(want);
    expect(audit.clean).toBe(want.length === 0);
    let held = 0;
    for (const n of model(records).nodes.values()) for (const s of n.sets.values()) held += s.rdatas.length;
    expect(b.recordCount).toBe(held);
    expect([...b.heldRecords()].length).toBe(held);
  });

  it("keeps an RRset whole when its records come apart (it moves to the arena's end) and others intact", () => {
    const records = [
      ...apexRecords(),
      rec("a.img.example.", RRType.A, Buffer.from([10, 0, 0, 1])),
      rec("b.img.example.", RRType.TXT, Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x62)])),
      rec("a.img.example.", RRType.AAAA, Buffer.alloc(16, 1)),
      rec("a.img.example.", RRType.A, Buffer.from([10, 0, 0, 2])),
      rec("b.img.example.", RRType.TXT, Buffer.concat([Buffer.from([3]), Buffer.from("end")])),
      rec("a.img.example.", RRType.A, Buffer.from([10, 0, 0, 1])),
    ];
    const data = buildZone(ORIGIN, records);
    expectMatches(data, records);
    expect(data.nodes.get(nameKey(name("a.img.example.")))!.rrsets.get(RRType.A)!.rdataCount).toBe(2);
  });

  it("marks cuts and everything below cuts and DNAMEs occluded, the apex's DNAME included", () => {
    const records = [
      ...apexRecords(),
      rec("sub.img.example.", RRType.NS, name("ns.sub.img.example.")),
      rec("ns.sub.img.example.", RRType.A, Buffer.from([192, 0, 2, 1])),
      rec("deep.x.sub.img.example.", RRType.A, Buffer.from([192, 0, 2, 2])),
      rec("d.img.example.", RRType.DNAME, name("other.example.")),
      rec("y.d.img.example.", RRType.TXT, Buffer.from([1, 0x79])),
      rec("free.img.example.", RRType.A, Buffer.from([192, 0, 2, 3])),
    ];
    const data = buildZone(ORIGIN, records);
    expectMatches(data, records);
    const node = (t: string) => data.nodes.get(nameKey(name(t)))!;
    expect(node("sub.img.example.").cut).toBe(true);
    expect(node("ns.sub.img.example.").occluded).toBe(true);
    expect(node("x.sub.img.example.").occluded).toBe(true); // an empty non-terminal below the cut
    expect(node("y.d.img.example.").occluded).toBe(true);
    expect(node("free.img.example.").occluded).toBe(false);
    const apexDname = [
      ...apexRecords(),
      rec("img.example.", RRType.DNAME, name("x.example.")),
      rec("q.img.example.", RRType.A, Buffer.from([1, 2, 3, 4])),
    ];
    const z = buildZone(ORIGIN, apexDname);
    expect(z.nodes.get(nameKey(name("q.img.example.")))!.occluded).toBe(true);
    expect(z.apex.occluded).toBe(false);
  });

  it("returns the same apex and NSEC-chain objects on every lookup, and recent names until pushed out", () => {
    const nsec = (next: string) => Buffer.concat([name(next), Buffer.from([0, 1, 0x40])]);
    const records = [
      ...apexRecords(),
      rec("img.example.", RRType.NSEC, nsec("b.img.example.")),
      rec("b.img.example.", RRType.NSEC, nsec("img.example.")),
      rec("b.img.example.", RRType.A, Buffer.from([192, 0, 2, 9])),
    ];
    const data = buildZone(ORIGIN, records);
    expect(data.nodes.get(OKEY)).toBe(data.apex);
    expect(data.nsecChain.map((n) => n.key)).toEqual([OKEY, nameKey(name("b.img.example."))]);
    expect(data.nodes.get(data.nsecChain[1]!.key)).toBe(data.nsecChain[1]);
    // Other names: kept while recent (the same object for the next lookups), made again once pushed out.
    const ns1 = nameKey(name("ns1.img.example."));
    const first = data.nodes.get(ns1)!;
    expect(data.nodes.get(ns1)).toBe(first);
    // A walk reads the names through the same cache (the precompiler walks, then looks each name up).
    const fromIteration = [...data.nodes.values()].find((n) => n.key === ns1)!;
    expect(fromIteration).toBe(first);
    expect(data.nodes).toBeInstanceOf(ImageNodes);
    expect(data.nodes.get(`${ns1}x`)).toBeUndefined();
    expect(data.nodes.has(nameKey(name("nope.img.example.")))).toBe(false);
    // Iteration gives the pinned objects too.
    expect([...data.nodes.values()][0]).toBe(data.apex);
  });

  it("keeps NSEC3 records out of the names and files them by hash", () => {
    const hashOwner = "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.img.example.";
    const nsec3 = Buffer.from(`010000010014${"00".repeat(20)}000122`, "hex");
    const records = [...apexRecords(), rec(hashOwner, RRType.NSEC3, nsec3)];
    const data = buildZone(ORIGIN, records);
    expect(data.nodes.has(nameKey(name(hashOwner)))).toBe(false);
    expect(data.nsec3!.entries).toHaveLength(1);
  });

  it("rejects a record outside the zone, a zone without SOA, and RDATA longer than 65 535 octets", () => {
    expect(() => buildZone(ORIGIN, [rec("other.example.", RRType.A, Buffer.from([1, 2, 3, 4]))])).toThrow(
      ZoneBuildError,
    );
    expect(() => buildZone(ORIGIN, [rec("a.img.example.", RRType.A, Buffer.from([1, 2, 3, 4]))])).toThrow(
      /no SOA/,
    );
    const b = new ZoneBuilder(ORIGIN);
    expect(() => b.addRecord(OKEY, null, RRType.TXT, 1, 300, Buffer.alloc(70_000))).toThrow(RangeError);
  });
});

describe("zone image: recent names", () => {
  it("makes a node again once 1024 other names took its place, with the same data", () => {
    const records = [...apexRecords()];
    for (let i = 0; i < 3000; i++)
      records.push(rec(`h${i}.img.example.`, RRType.A, Buffer.from([10, 0, i >> 8, i & 255])));
    const data = buildZone(ORIGIN, records);
    const keys = [...data.nodes.keys()];
    const k = keys[5]!;
    const a = data.nodes.get(k)!;
    for (const other of keys) if (other !== k) data.nodes.get(other);
    const b = data.nodes.get(k)!;
    expect(b).not.toBe(a);
    expect(b.rrsets.get(RRType.A)!.rdataAt(0)).toEqual(a.rrsets.get(RRType.A)!.rdataAt(0));
    expect(b.key).toBe(k);
  });
});
