// A zone image written to a file and read back (src/zone/zone-image-file.ts): the same names, RRsets, flags,
// pinned nodes and negative SOA as the zone built; refused when damaged, of another zone, or not an image.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nameKey, parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { applyDeltaToZone } from "../../src/zone/zone-delta.js";
import { buildZone } from "../../src/zone/zone-image.js";
import {
  decodeZoneImage,
  encodeZoneImage,
  imageOfZone,
  readZoneImage,
  ZoneImageFileError,
} from "../../src/zone/zone-image-file.js";

const ORIGIN = parseNameText("File.Example.", null);
const name = (t: string) => parseNameText(t, null);
const rec = (owner: string, type: number, rdata: Buffer, ttl = 300): ResourceRecord => ({
  owner: name(owner),
  type,
  class: 1,
  ttl,
  rdata,
});
const soa = Buffer.concat([
  name("ns.file.example."),
  name("h.file.example."),
  Buffer.from([0, 0, 0, 7, 0, 0, 0, 60, 0, 0, 0, 30, 0, 0, 1, 0, 0, 0, 0, 40]),
]);
const nsec = (next: string) => Buffer.concat([name(next), Buffer.from([0, 1, 0x40])]);

function records(): ResourceRecord[] {
  const out = [
    rec("file.example.", RRType.SOA, soa, 600),
    rec("file.example.", RRType.NS, name("ns.file.example.")),
    rec("file.example.", RRType.NSEC, nsec("ns.file.example.")),
    rec("ns.file.example.", RRType.A, Buffer.from([192, 0, 2, 53])),
    rec("ns.file.example.", RRType.NSEC, nsec("file.example.")),
    rec("Sub.file.example.", RRType.NS, name("ns.sub.file.example.")),
    rec("ns.sub.file.example.", RRType.A, Buffer.from([192, 0, 2, 54])),
    rec("d.file.example.", RRType.DNAME, name("other.example.")),
  ];
  for (let i = 0; i < 500; i++) {
    const owner = `h${i}.${i % 3 ? "deep." : ""}File.example.`;
    out.push(rec(owner, RRType.A, Buffer.from([10, 0, i >> 8, i & 255])));
    if (i % 4 === 0) out.push(rec(owner, RRType.AAAA, Buffer.alloc(16, i & 255)));
    if (i % 7 === 0)
      out.push(rec(owner, RRType.TXT, Buffer.concat([Buffer.from([40]), Buffer.alloc(40, 0x61)])));
  }
  return out;
}

/** Everything a reader of the zone sees, as plain data. */
function described(data: ZoneData) {
  const sets = (
    m: ReadonlyMap<number, { type: number; class: number; ttl: number; rdataList(): Buffer[] }>,
  ) => [...m].map(([t, rs]) => [t, rs.type, rs.class, rs.ttl, rs.rdataList().map((r) => r.toString("hex"))]);
  return {
    origin: data.origin.toString("hex"),
    originKey: data.originKey,
    class: data.class,
    signed: data.signed,
    negativeSoa: [data.negativeSoa.ttl, data.negativeSoa.rdataAt(0).toString("hex")],
    nsecChain: data.nsecChain.map((n) => n.key),
    size: data.nodes.size,
    nodes: [...data.nodes.values()].map((n) => ({
      key: n.key,
      owner: n.owner.toString("hex"),
      cut: n.cut,
      occluded: n.occluded,
      rrsets: sets(n.rrsets),
      sigs: sets(n.sigs),
    })),
  };
}

const dir = mkdtempSync(join(tmpdir(), "edgens-image-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("zone image file", () => {
  const zone = buildZone(ORIGIN, records());

  it("reads back the zone as built: names, RRsets, case, flags, NSEC chain, negative SOA, serial", () => {
    const path = join(dir, "a.img");
    writeFileSync(path, Buffer.concat(encodeZoneImage(zone, 7)));
    const { serial, data } = readZoneImage(path, ORIGIN);
    expect(serial).toBe(7);
    expect(described(data)).toEqual(described(zone));
    // Pinned as in a built zone: the apex and the NSEC owners are the same objects on every lookup.
    expect(data.nodes.get(data.originKey)).toBe(data.apex);
    expect(data.nodes.get(data.nsecChain[1]!.key)).toBe(data.nsecChain[1]);
    expect(
      data.nodes
        .get(nameKey(name("h1.deep.file.example.")))!
        .rrsets.get(RRType.A)!
        .rdataAt(0),
    ).toEqual(Buffer.from([10, 0, 0, 1]));
    expect(data.nodes.get(nameKey(name("nope.file.example.")))).toBeUndefined();
  });

  it("reads a file whose bytes do not start 8-aligned (a copy is made for the typed arrays)", () => {
    const whole = Buffer.concat(encodeZoneImage(zone, 8));
    const shifted = Buffer.alloc(whole.length + 3);
    whole.copy(shifted, 3);
    expect(described(decodeZoneImage(shifted.subarray(3), ORIGIN).data)).toEqual(described(zone));
  });

  it("refuses a truncated or padded file, another zone's image, a bad header, a damaged section", () => {
    const whole = Buffer.concat(encodeZoneImage(zone, 9));
    expect(() => decodeZoneImage(whole.subarray(0, whole.length - 8), ORIGIN)).toThrow(
      /bytes where the header says/,
    );
    expect(() => decodeZoneImage(Buffer.concat([whole, Buffer.alloc(8)]), ORIGIN)).toThrow(
      ZoneImageFileError,
    );
    expect(() => decodeZoneImage(whole, name("other.example."))).toThrow(/another zone's image/);
    const bad = Buffer.from(whole);
    bad[0] = 0x58;
    expect(() => decodeZoneImage(bad, ORIGIN)).toThrow(/not a zone image file/);
    // The name count says one name more than the per-name sections hold.
    const count = Buffer.from(whole);
    count.writeUInt32LE(count.readUInt32LE(16) + 1, 16);
    expect(() => decodeZoneImage(count, ORIGIN)).toThrow(/per-name sections/);
    expect(() => decodeZoneImage(Buffer.alloc(10), ORIGIN)).toThrow(ZoneImageFileError);
  });

  it("writes only a zone as built: not one with an IXFR layer over it, not one with an NSEC3 chain", () => {
    expect(imageOfZone(zone)).not.toBeNull();
    const plain = buildZone(
      ORIGIN,
      records().filter((r) => r.type !== RRType.NSEC),
    );
    const touched = new Set([nameKey(name("h2.deep.file.example."))]);
    const next = records()
      .filter((r) => r.type !== RRType.NSEC)
      .map((r) =>
        nameKey(r.owner) === [...touched][0] && r.type === RRType.A
          ? { ...r, rdata: Buffer.from([10, 9, 9, 9]) }
          : r,
      );
    const layered = applyDeltaToZone(plain, next, touched);
    expect(layered).not.toBeNull();
    expect(imageOfZone(layered!)).toBeNull();
    expect(() => encodeZoneImage(layered!, 1)).toThrow(ZoneImageFileError);
    const hashOwner = "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.file.example.";
    const nsec3 = Buffer.from(`010000010014${"00".repeat(20)}000122`, "hex");
    const withNsec3 = buildZone(ORIGIN, [...records(), rec(hashOwner, RRType.NSEC3, nsec3)]);
    expect(imageOfZone(withNsec3)).toBeNull();
  });
});
