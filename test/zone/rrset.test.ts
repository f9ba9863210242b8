// RRsets packed into shared chunks (src/zone/rrset.ts): the byte layout, relocation of an RRset that is not at
// the chunk's end, duplicates, iteration, views and equality; and the zone builder's use of them (issue #6).
import { describe, expect, it } from "vitest";
import { MessageWriter, Section } from "../../src/wire/message-writer.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import { MAX_RDATA, RdataArena, RRset } from "../../src/zone/rrset.js";
import { buildZone, ZoneBuilder } from "../../src/zone/zone-image.js";

const owner = parseNameText("www.example.test.", null);
const b = (...bytes: number[]) => Buffer.from(bytes);
const hex = (rs: RRset) => rs.rdataList().map((r) => r.toString("hex"));

describe("RdataArena", () => {
  it("packs records as [u16 length][rdata] in one shared chunk, in the order added", () => {
    const arena = new RdataArena();
    const a = arena.open(owner, 1, 1, 300, b(192, 0, 2, 1));
    expect(arena.add(a, b(192, 0, 2, 2))).toBe(true);
    const t = arena.open(owner, 16, 1, 300, b(3, 0x61, 0x62, 0x63));
    expect(a.chunk).toBe(t.chunk);
    expect(a.chunk.subarray(a.start, a.end).toString("hex")).toBe("0004c00002010004c0000202");
    expect(t.start).toBe(a.end);
    expect(t.chunk.subarray(t.start, t.end).toString("hex")).toBe("000403616263");
    expect(a.rdataCount).toBe(2);
    expect(hex(a)).toEqual(["c0000201", "c0000202"]);
    expect(hex(t)).toEqual(["03616263"]);
    expect(arena.abandoned).toBe(0);
  });

  it("moves an RRset to the chunk's end when another RRset was added after it, keeping both intact", () => {
    const arena = new RdataArena();
    const a = arena.open(owner, 1, 1, 300, b(10, 0, 0, 1));
    const other = arena.open(owner, 28, 1, 300, Buffer.alloc(16, 0xee));
    const otherBytes = Buffer.from(other.chunk.subarray(other.start, other.end));
    expect(arena.add(a, b(10, 0, 0, 2))).toBe(true);
    expect(a.start).toBe(other.end);
    expect(hex(a)).toEqual(["0a000001", "0a000002"]);
    expect(other.chunk.subarray(other.start, other.end)).toEqual(otherBytes);
    expect(arena.abandoned).toBe(6);
    // Now at the end again: the next record goes in place.
    const start = a.start;
    expect(arena.add(a, b(10, 0, 0, 3))).toBe(true);
    expect(a.start).toBe(start);
    expect(hex(a)).toEqual(["0a000001", "0a000002", "0a000003"]);
    expect(arena.abandoned).toBe(6);
  });

  it("drops an exact duplicate (returns false) but keeps records that only share a prefix", () => {
    const arena = new RdataArena();
    const a = arena.open(owner, 16, 1, 300, b(2, 0x61, 0x62));
    expect(arena.add(a, b(2, 0x61, 0x62))).toBe(false);
    expect(arena.add(a, b(2, 0x61, 0x62, 1, 0x63))).toBe(true);
    expect(arena.add(a, b(2, 0x61))).toBe(true);
    expect(arena.add(a, b(2, 0x61, 0x62, 1, 0x63))).toBe(false);
    expect(arena.add(a, b())).toBe(true);
    expect(arena.add(a, b())).toBe(false);
    expect(hex(a)).toEqual(["026162", "0261620163", "0261", ""]);
    expect(a.hasRdata(b(2, 0x61))).toBe(true);
    expect(a.hasRdata(b(2, 0x62))).toBe(false);
  });

  it("keeps every RRset readable across many chunks, interleaved, with records up to 65535 octets", () => {
    const arena = new RdataArena();
    const sets: RRset[] = [];
    const want: string[][] = [];
    // 300 RRsets filled round-robin: every add after the first round relocates; chunks fill and double.
    for (let i = 0; i < 300; i++) {
      sets.push(arena.open(owner, 16, 1, 300, Buffer.alloc(1 + (i % 50), i & 0xff)));
      want.push([Buffer.alloc(1 + (i % 50), i & 0xff).toString("hex")]);
    }
    for (let round = 1; round < 4; round++) {
      for (let i = 0; i < 300; i++) {
        const r = Buffer.alloc(round * 20 + (i % 7), (i + round) & 0xff);
        expect(arena.add(sets[i]!, r)).toBe(true);
        want[i]!.push(r.toString("hex"));
      }
    }
    const big = Buffer.alloc(MAX_RDATA, 0x5a);
    expect(arena.add(sets[7]!, big)).toBe(true);
    want[7]!.push(big.toString("hex"));
    expect(new Set(sets.map((s) => s.chunk)).size).toBeGreaterThan(1);
    for (let i = 0; i < 300; i++) {
      expect(hex(sets[i]!)).toEqual(want[i]);
      expect(sets[i]!.rdataCount).toBe(want[i]!.length);
    }
    expect(arena.abandoned).toBeGreaterThan(0);
    expect(() => arena.open(owner, 16, 1, 300, Buffer.alloc(MAX_RDATA + 1))).toThrow(/65536 octets/);
  });
});

describe("RRset", () => {
  const rs = RRset.of(owner, 16, 1, 300, [b(1, 0x61), b(2, 0x62, 0x63), b()]);

  it("iterates by position, by index and by callback the same records, as views into the chunk", () => {
    const byPos: string[] = [];
    for (let pos = rs.start; pos < rs.end; pos = rs.nextRdata(pos)) {
      byPos.push(rs.rdataView(pos).toString("hex"));
      expect(rs.rdataLength(pos)).toBe(rs.rdataView(pos).length);
    }
    const byIndex = [0, 1, 2].map((i) => rs.rdataAt(i).toString("hex"));
    const byCallback: string[] = [];
    rs.forEachRdata((r, i) => {
      byCallback[i] = r.toString("hex");
    });
    expect(byPos).toEqual(["0161", "026263", ""]);
    expect(byIndex).toEqual(byPos);
    expect(byCallback).toEqual(byPos);
    expect(hex(rs)).toEqual(byPos);
    const view = rs.rdataAt(1);
    expect(view.buffer).toBe(rs.chunk.buffer);
    expect(view.byteOffset).toBe(rs.chunk.byteOffset + rs.start + 6);
    expect(() => rs.rdataAt(3)).toThrow(RangeError);
    expect(() => rs.rdataAt(-1)).toThrow(RangeError);
  });

  it("compares records byte for byte and in order, wherever they are stored", () => {
    const arena = new RdataArena();
    arena.open(owner, 1, 1, 300, b(9, 9, 9, 9)); // so the copy does not start at offset 0
    const copy = arena.open(owner, 16, 1, 60, b(1, 0x61));
    arena.add(copy, b(2, 0x62, 0x63));
    arena.add(copy, b());
    expect(rs.sameRdatas(copy)).toBe(true);
    expect(copy.sameRdatas(rs)).toBe(true);
    expect(rs.sameRdatas(RRset.of(owner, 16, 1, 300, [b(2, 0x62, 0x63), b(1, 0x61), b()]))).toBe(false);
    expect(rs.sameRdatas(RRset.of(owner, 16, 1, 300, [b(1, 0x61), b(2, 0x62, 0x63)]))).toBe(false);
    expect(rs.sameRdatas(RRset.of(owner, 16, 1, 300, [b(1, 0x61), b(2, 0x62, 0x64), b()]))).toBe(false);
  });

  it("withTtl and withOwner share the records and return the RRset itself when nothing changes", () => {
    const other = parseNameText("WWW.example.test.", null);
    expect(rs.withTtl(300)).toBe(rs);
    expect(rs.withOwner(rs.owner)).toBe(rs);
    const t = rs.withTtl(5);
    const o = rs.withOwner(other);
    expect([t.ttl, t.owner, t.chunk, t.start, t.end, t.rdataCount]).toEqual([
      5,
      rs.owner,
      rs.chunk,
      0,
      11,
      3,
    ]);
    expect(t.owner).toBe(rs.owner);
    expect(o.owner).toBe(other);
    expect([o.ttl, o.type, o.class]).toEqual([300, 16, 1]);
    expect(hex(o)).toEqual(hex(rs));
  });
});

describe("ZoneBuilder with packed RRsets", () => {
  const origin = parseNameText("example.test.", null);
  const zone = (text: string) =>
    buildZone(origin, parseMasterFile(text, { file: "t", origin, defaultTtl: 300 }).records);

  it("keeps zone-file order and drops duplicates when owners and types interleave", () => {
    const data = zone(
      [
        "@ SOA ns hostmaster 1 2 3 4 5",
        "@ NS ns",
        "a A 192.0.2.1",
        "b A 192.0.2.9",
        "a TXT one",
        "a A 192.0.2.2",
        "b A 192.0.2.9",
        "a TXT two",
        "a A 192.0.2.1",
        "a A 192.0.2.3",
        "",
      ].join("\n"),
    );
    const a = data.nodes.get(parseNameText("a.example.test.", null).toString("latin1"))!;
    expect(hex(a.rrsets.get(1)!)).toEqual(["c0000201", "c0000202", "c0000203"]);
    expect(hex(a.rrsets.get(16)!)).toEqual(["036f6e65", "0374776f"]);
    const bNode = data.nodes.get(parseNameText("b.example.test.", null).toString("latin1"))!;
    expect(hex(bNode.rrsets.get(1)!)).toEqual(["c0000209"]);
    // The RRsets of the tree share the builder's chunks.
    expect(a.rrsets.get(1)!.chunk).toBe(bNode.rrsets.get(1)!.chunk);
    // The negative SOA is the apex SOA's records under another TTL.
    const soa = data.apex.rrsets.get(6)!;
    expect(data.negativeSoa.ttl).toBe(5);
    expect(data.negativeSoa.sameRdatas(soa)).toBe(true);
  });

  it("keeps an owner Buffer only for names with an upper-case letter; `owner` gives the same bytes", () => {
    const data = zone(
      ["@ SOA ns hostmaster 1 2 3 4 5", "@ NS ns", "low A 192.0.2.1", "MiXed A 192.0.2.2", ""].join("\n"),
    );
    const low = data.nodes.get(parseNameText("low.example.test.", null).toString("latin1"))!;
    const mixedKey = parseNameText("mixed.example.test.", null).toString("latin1");
    const mixed = data.nodes.get(mixedKey)!;
    expect(low.casedOwner).toBeNull();
    expect(low.owner).toEqual(parseNameText("low.example.test.", null));
    const lowA = low.rrsets.get(1)!;
    expect([lowA.casedOwner, lowA.ownerKey]).toEqual([null, low.key]);
    expect(lowA.owner).toEqual(low.owner);
    expect(mixed.casedOwner).toEqual(parseNameText("MiXed.example.test.", null));
    expect(mixed.owner).toBe(mixed.casedOwner);
    const mixedA = mixed.rrsets.get(1)!;
    expect(mixedA.casedOwner).toBe(mixed.casedOwner);
    expect(mixedA.ownerKey).toBe(mixedKey);
    // Empty non-terminals keep none either.
    const deep = zone(["@ SOA ns hostmaster 1 2 3 4 5", "@ NS ns", "a.b.c A 192.0.2.1", ""].join("\n"));
    expect(deep.nodes.get(parseNameText("c.example.test.", null).toString("latin1"))!.casedOwner).toBeNull();
  });

  it("writes a key-only owner byte for byte as the same name given as a Buffer, compression included", () => {
    const data = zone(
      [
        "@ SOA ns hostmaster 1 2 3 4 5",
        "@ NS ns",
        "www MX 10 mail",
        "Mail A 192.0.2.1",
        "www A 192.0.2.2",
        "",
      ].join("\n"),
    );
    const sets = ["www", "mail"].flatMap((l) => {
      const node = data.nodes.get(parseNameText(`${l}.example.test.`, null).toString("latin1"))!;
      return [...node.rrsets.values()];
    });
    const write = (list: RRset[]) => {
      const w = new MessageWriter(Buffer.alloc(512));
      w.writeQuestion(parseNameText("www.example.test.", null), 15, 1);
      for (const rs of list) expect(w.writeRRset(rs, Section.answer)).toBe(true);
      return w.buf.subarray(0, w.finish(1, 0x8400));
    };
    const asBuffers = sets.map((rs) => RRset.of(rs.owner, rs.type, rs.class, rs.ttl, rs.rdataList()));
    expect(sets.map((rs) => rs.casedOwner === null)).toEqual([true, true, false]);
    expect(asBuffers.every((rs) => rs.ownerKey === null)).toBe(true);
    expect(write(sets).toString("hex")).toBe(write(asBuffers).toString("hex"));
  });

  it("copies the RDATA it is given: the caller may reuse its buffer", () => {
    const builder = new ZoneBuilder(origin);
    const soa = parseMasterFile("@ SOA ns hostmaster 1 2 3 4 5\n", { file: "t", origin, defaultTtl: 300 });
    const scratch = Buffer.from(soa.records[0]!.rdata);
    const serialAt = scratch.length - 20;
    builder.addRecord(origin.toString("latin1"), origin, 6, 1, 300, scratch);
    const addr = Buffer.from([192, 0, 2, 1]);
    const www = parseNameText("www.example.test.", null);
    builder.addRecord(www.toString("latin1"), www, 1, 1, 300, addr);
    addr[3] = 2;
    builder.addRecord(www.toString("latin1"), www, 1, 1, 300, addr);
    addr.fill(0);
    scratch.fill(0);
    const data = builder.finish();
    expect(hex(data.nodes.get(www.toString("latin1"))!.rrsets.get(1)!)).toEqual(["c0000201", "c0000202"]);
    expect(data.apex.rrsets.get(6)!.rdataAt(0).readUInt32BE(serialAt)).toBe(1);
  });
});
