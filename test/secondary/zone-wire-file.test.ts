// The wire copy's reader refuses, with a reason, a file whose checksum is right but whose content is not a zone
// of this origin: the loader builds the tree straight from the file, so these checks are all that stands between
// a damaged or foreign copy and the served data.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordWireLength, writeRecordWire } from "../../src/secondary/record-wire.js";
import { encodeZoneWire, loadZoneWire } from "../../src/secondary/zone-wire-file.js";
import { parseNameText } from "../../src/wire/name.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { recordsOfZone } from "../../src/zone/zone-records.js";
import { zoneRecords } from "../helpers/zone-fixture.js";

const ORIGIN = "wire.test.";
const origin = parseNameText(ORIGIN, null);
const tmp = mkdtempSync(join(tmpdir(), "edgens-wirefile-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const zone = buildZone(
  origin,
  zoneRecords(
    "@ SOA ns1 hostmaster 7 3600 600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\n",
    ORIGIN,
  ),
);

/** Write `body` (header + records, without the hash) with a correct SHA-256 after it; returns the path. */
function withHash(name: string, body: Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, Buffer.concat([body, createHash("sha256").update(body).digest()]));
  return path;
}
const bodyOf = (buf: Buffer) => Buffer.from(buf.subarray(0, buf.length - 32));

/** A body of `records` under the header of `good` (its count must match). */
function bodyWith(good: Buffer, records: ResourceRecord[]): Buffer {
  const out = Buffer.alloc(16 + records.reduce((n, r) => n + recordWireLength(r), 0));
  good.copy(out, 0, 0, 16);
  let at = 16;
  for (const r of records) at = writeRecordWire(out, at, r);
  return out;
}

describe("loadZoneWire", () => {
  it("loads what encodeZoneWire wrote: same serial and records", () => {
    const path = join(tmp, "good.wire");
    writeFileSync(path, Buffer.concat(encodeZoneWire(zone, 7)));
    const w = loadZoneWire(path, origin);
    expect(w.serial).toBe(7);
    expect(w.records).toBe(4);
    expect([...recordsOfZone(w.data)].map((r) => r.rdata.toString("hex"))).toEqual(
      [...recordsOfZone(zone)].map((r) => r.rdata.toString("hex")),
    );
  });

  it("refuses a damaged record, a wrong count, another zone's records and a copy not starting with the SOA", () => {
    const good = bodyOf(Buffer.concat(encodeZoneWire(zone, 7)));
    const header = 16; // "EDGWIRE1", serial, count
    const label = Buffer.from(good);
    label[header] = 70; // the SOA owner's first label length: > 63
    expect(() => loadZoneWire(withHash("label.wire", label), origin)).toThrow(
      /record 0: bad label length 70/,
    );

    const count = Buffer.from(good);
    count.writeUInt32BE(5, 12);
    expect(() => loadZoneWire(withHash("count.wire", count), origin)).toThrow(
      /record 4: owner runs past the end/,
    );

    const other = parseNameText("other.test.", null);
    expect(() => loadZoneWire(withHash("other.wire", good), other)).toThrow(/not the zone's SOA/);

    const records = [...recordsOfZone(zone)];
    const foreign = { ...records[3]!, owner: parseNameText("www.other.test.", null) };
    expect(() =>
      loadZoneWire(withHash("foreign.wire", bodyWith(good, [...records.slice(0, 3), foreign])), origin),
    ).toThrow(/outside zone wire\.test\./);

    // The SOA moved after the NS record: the first record is not the SOA.
    const body = bodyWith(good, [records[1]!, records[0]!, ...records.slice(2)]);
    expect(() => loadZoneWire(withHash("order.wire", body), origin)).toThrow(/not the zone's SOA/);
  });
});
