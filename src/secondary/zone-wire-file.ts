// A whole checked zone as one private binary file: a secondary's restart copy (with the IXFR journal after it,
// src/secondary/zone-journal.ts) and what cluster workers load, without the text copy (formatting 1 M records
// as text takes seconds, parsing it again longer).
// Layout: "EDGWIRE1", serial (u32), record count (u32), then each record in the RFC 1035 RR layout, uncompressed
// (owner, type, class, TTL, rdlength, rdata), the apex SOA first; then the SHA-256 of everything before it, so
// a truncated or damaged file is refused instead of served. Written after the zone checks, read back (at a
// restart, by workers) without checking again (the checks passed on exactly these records).
import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "../util/atomic-file.js";
import { nameKey } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { OwnerKeys } from "../zone/owner-keys.js";
import type { ResourceRecord } from "../zone/record.js";
import { ZoneBuildError, type ZoneData } from "../zone/zone.js";
import { ZoneBuilder } from "../zone/zone-image.js";
import { countRecords, recordsOfZone } from "../zone/zone-records.js";
import { forEachRecordWire, readRecordsWire, recordWireLength, writeRecordWire } from "./record-wire.js";

const MAGIC = Buffer.from("EDGWIRE1", "latin1");
const HEADER = MAGIC.length + 8;
const HASH = 32;
/**
 * Bytes per chunk: ~10 000 records of a big zone, ~10 ms of encoding, so that a process writing its restart
 * copy answers queries between chunks (4 MiB chunks held them ~200 ms).
 */
const CHUNK = 256 << 10;

/** The file's chunks (header, records, hash): one pass over the tree, no text. */
export function encodeZoneWire(data: ZoneData, serial: number): Buffer[] {
  return [...zoneWireChunks(data, serial)];
}

/**
 * The same chunks, made as they are consumed (about CHUNK bytes each, the SHA-256 last): a caller that awaits a
 * write between chunks lets the event loop run while a big zone is encoded.
 */
export function* zoneWireChunks(data: ZoneData, serial: number): Generator<Buffer> {
  const hash = createHash("sha256");
  let buf = Buffer.allocUnsafe(CHUNK);
  MAGIC.copy(buf, 0);
  buf.writeUInt32BE(serial >>> 0, MAGIC.length);
  buf.writeUInt32BE(countRecords(data), MAGIC.length + 4);
  let at = HEADER;
  for (const r of recordsOfZone(data)) {
    const need = recordWireLength(r);
    if (at + need > buf.length) {
      const c = buf.subarray(0, at);
      hash.update(c);
      yield c;
      buf = Buffer.allocUnsafe(Math.max(CHUNK, need));
      at = 0;
    }
    at = writeRecordWire(buf, at, r);
  }
  const last = buf.subarray(0, at);
  hash.update(last);
  yield last;
  yield hash.digest();
}

/**
 * The restart copy of a secondary zone (src/secondary/zone-store.ts): written chunk by chunk (the event loop
 * runs in between), fsynced, renamed over `path` (src/util/atomic-file.ts). Resolves to the file's size.
 */
export async function saveZoneWire(path: string, data: ZoneData, serial: number): Promise<number> {
  let bytes = 0;
  const counted = function* () {
    for (const c of zoneWireChunks(data, serial)) {
      bytes += c.length;
      yield c;
    }
  };
  await writeFileAtomic(path, counted(), 0o600);
  return bytes;
}

/**
 * Write it at once (synchronous), beside `path` then renamed over it, so a reader sees the old or the new file.
 * No fsync (tests, bench/xfr/wire-handoff.mjs); the secondary's restart copy uses saveZoneWire.
 */
export function writeZoneWire(path: string, data: ZoneData, serial: number): void {
  const chunks = encodeZoneWire(data, serial);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "w", 0o600);
    try {
      for (const c of chunks) for (let at = 0; at < c.length; ) at += writeSync(fd, c, at);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export class ZoneWireError extends Error {}

/** The header's serial and record count once the header and the SHA-256 check out; else ZoneWireError. */
function checkZoneWire(buf: Buffer): { serial: number; count: number; end: number } {
  if (buf.length < HEADER + HASH || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ZoneWireError(`not a zone wire file (${buf.length} bytes, bad header)`);
  }
  const end = buf.length - HASH;
  const sum = createHash("sha256").update(buf.subarray(0, end)).digest();
  if (!sum.equals(buf.subarray(end))) throw new ZoneWireError("checksum mismatch (truncated or damaged)");
  return { serial: buf.readUInt32BE(MAGIC.length), count: buf.readUInt32BE(MAGIC.length + 4), end };
}

function firstIsSoa(first: { owner: Buffer; type: number } | null, origin: Buffer): void {
  if (!first || first.type !== RRType.SOA || nameKey(first.owner) !== nameKey(origin)) {
    throw new ZoneWireError("the first record is not the zone's SOA");
  }
}

/** The records of a wire file (views into `buf`); throws ZoneWireError naming what is wrong. */
export function decodeZoneWire(buf: Buffer, origin: Buffer): { serial: number; records: ResourceRecord[] } {
  const { serial, count, end } = checkZoneWire(buf);
  const records = readRecordsWire(buf, HEADER, end, count);
  if (typeof records === "string") throw new ZoneWireError(records);
  firstIsSoa(records[0] ?? null, origin);
  return { serial, records };
}

/**
 * Read and build (no zone checks: the writer ran them), each record straight into the tree (no record list: at
 * 1 M records a worker or a restart builds in less time and garbage). Throws ZoneWireError or the read's error.
 */
export function loadZoneWire(
  path: string,
  origin: Buffer,
): { serial: number; data: ZoneData; records: number; bytes: number } {
  const buf = readFileSync(path);
  const { serial, count, end } = checkZoneWire(buf);
  const builder = new ZoneBuilder(origin);
  const owners = new OwnerKeys();
  let first: { owner: Buffer; type: number } | null = null;
  let problem: string | null;
  try {
    problem = forEachRecordWire(buf, HEADER, end, count, (o, oEnd, type, cls, ttl, r, rEnd) => {
      if (first === null) {
        first = { owner: buf.subarray(o, oEnd), type };
        firstIsSoa(first, origin);
      }
      const key = owners.key(buf, o, oEnd);
      builder.addRecord(key, owners.cased, type, cls, ttl, buf, r, rEnd);
    });
  } catch (e) {
    if (e instanceof ZoneBuildError) throw new ZoneWireError(e.message);
    throw e;
  }
  if (problem !== null) throw new ZoneWireError(problem);
  firstIsSoa(first, origin);
  return { serial, data: builder.finish(), records: count, bytes: buf.length };
}
