// The IXFR journal of a secondary zone (`<zone>.journal`): the changes applied since the wire copy
// (`<zone>.wire`, src/secondary/zone-wire-file.ts) was written, so a restart reaches the newest serial without
// rewriting the whole zone after each small change (an append costs milliseconds; the wire copy of 1 M records
// about a second, the text copy seconds).
//
// Layout: "EDGJRNL1", the serial of the wire copy the journal starts from (u32); then entries, each
//   length (u32, of what follows up to the hash) | from serial | to serial | record count (u32 each) |
//   records in the RFC 1035 RR layout, uncompressed | SHA-256 of everything of the entry before it.
// An entry holds what the cluster IPC delta holds (src/server/secondary-table.ts `WireDelta`): every record
// the new version has at the names the IXFR touched, each of which keeps some data (deletions are the records
// missing there). Replayed with the same `applyDeltaToZone` that built the version in the first place.
//
// Entries are appended in place and fsynced: a crash mid-append leaves a torn tail, which fails its length or
// hash check and ends the replay at the last good entry (the writer truncates it before appending again).
// The journal is replaced whole (temp + rename) when a new wire copy is written, with that copy's serial in
// the header: a journal whose header names another serial belongs to an older wire copy and is ignored.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { writeFileAtomic } from "../util/atomic-file.js";
import { nameKey } from "../wire/name.js";
import type { ResourceRecord } from "../zone/record.js";
import type { ZoneData } from "../zone/zone.js";
import { applyDeltaToZone } from "../zone/zone-delta.js";
import { readRecordsWire, recordWireLength, writeRecordWire } from "./record-wire.js";

const MAGIC = Buffer.from("EDGJRNL1", "latin1");
export const JOURNAL_HEADER = MAGIC.length + 4;
const HASH = 32;
/** Bound on one entry (a delta of a few thousand records is ~100 KiB): a bigger length is damage. */
const MAX_ENTRY = 256 << 20;

export interface JournalEntry {
  fromSerial: number;
  toSerial: number;
  /** Every record of the new version at the touched names. */
  records: ResourceRecord[];
}

export interface JournalRead {
  /** The wire copy's serial named in the header; null when there is no usable header (or no file). */
  base: number | null;
  /** The entries that passed their checks, in file order. */
  entries: JournalEntry[];
  /** Byte offset after the last good entry (JOURNAL_HEADER for an empty journal, 0 without a header). */
  end: number;
  /** File size. */
  size: number;
  /** Why reading stopped before the end of the file (torn or damaged entry), null when it did not. */
  problem: string | null;
}

/** A journal holding only its header: written (atomically) with every new wire copy. */
export async function resetJournal(path: string, baseSerial: number): Promise<void> {
  const header = Buffer.allocUnsafe(JOURNAL_HEADER);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(baseSerial >>> 0, MAGIC.length);
  await writeFileAtomic(path, header, 0o600);
}

export function encodeJournalEntry(e: JournalEntry): Buffer {
  let size = 16;
  for (const r of e.records) size += recordWireLength(r);
  const buf = Buffer.allocUnsafe(size + HASH);
  buf.writeUInt32BE(size - 4, 0);
  buf.writeUInt32BE(e.fromSerial >>> 0, 4);
  buf.writeUInt32BE(e.toSerial >>> 0, 8);
  buf.writeUInt32BE(e.records.length, 12);
  let at = 16;
  for (const r of e.records) at = writeRecordWire(buf, at, r);
  createHash("sha256").update(buf.subarray(0, size)).digest().copy(buf, size);
  return buf;
}

/**
 * Write `entry` at byte `at` (the end of the last good entry: a torn tail beyond it is cut off first) and
 * fsync. Resolves to the new end.
 */
export async function appendJournal(path: string, at: number, entry: JournalEntry): Promise<number> {
  const buf = encodeJournalEntry(entry);
  const fh = await open(path, "r+");
  try {
    if ((await fh.stat()).size > at) await fh.truncate(at);
    for (let done = 0; done < buf.length; ) {
      done += (await fh.write(buf, done, buf.length - done, at + done)).bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return at + buf.length;
}

/** Parse a journal's bytes: the header, then entries until the end or the first that fails a check. */
export function decodeJournal(buf: Buffer): JournalRead {
  const out: JournalRead = { base: null, entries: [], end: 0, size: buf.length, problem: null };
  if (buf.length < JOURNAL_HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    out.problem = buf.length === 0 ? "empty file" : "bad header";
    return out;
  }
  out.base = buf.readUInt32BE(MAGIC.length);
  let at = JOURNAL_HEADER;
  out.end = at;
  while (at < buf.length) {
    const n = out.entries.length + 1;
    if (at + 4 > buf.length) {
      out.problem = `entry ${n} at byte ${at}: torn length`;
      break;
    }
    const len = buf.readUInt32BE(at);
    const stop = at + 4 + len;
    if (len < 12 || len > MAX_ENTRY || stop + HASH > buf.length) {
      out.problem = `entry ${n} at byte ${at}: torn or bad length ${len}`;
      break;
    }
    const sum = createHash("sha256").update(buf.subarray(at, stop)).digest();
    if (!sum.equals(buf.subarray(stop, stop + HASH))) {
      out.problem = `entry ${n} at byte ${at}: checksum mismatch`;
      break;
    }
    const records = readRecordsWire(buf, at + 16, stop, buf.readUInt32BE(at + 12));
    if (typeof records === "string") {
      out.problem = `entry ${n} at byte ${at}: ${records}`;
      break;
    }
    out.entries.push({ fromSerial: buf.readUInt32BE(at + 4), toSerial: buf.readUInt32BE(at + 8), records });
    at = stop + HASH;
    out.end = at;
  }
  return out;
}

/** The journal at `path`; a missing file reads as no journal. */
export async function readJournal(path: string): Promise<JournalRead> {
  try {
    return decodeJournal(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    return { base: null, entries: [], end: 0, size: 0, problem: null };
  }
}

/** readJournal for a cluster worker, which loads the restart copy synchronously. */
export function readJournalSync(path: string): JournalRead {
  try {
    return decodeJournal(readFileSync(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    return { base: null, entries: [], end: 0, size: 0, problem: null };
  }
}

export interface Replayed {
  data: ZoneData;
  serial: number;
  /** Entries applied. */
  applied: number;
  /** Byte offset after the last applied entry (where the next append goes), null when none applied. */
  end: number | null;
  /** Why the replay stopped before the journal's last entry (or the journal's own problem), else null. */
  problem: string | null;
}

/**
 * Apply the journal's entries to `data` (at `serial`), starting at the entry whose from-serial is `serial`,
 * each in order and each from the serial the previous one reached. An entry that does not follow on, or that
 * the local apply refuses, ends the replay there: the zone stays at the last good serial (never half-applied).
 */
export function replayJournal(data: ZoneData, serial: number, j: JournalRead): Replayed {
  const out: Replayed = { data, serial, applied: 0, end: null, problem: j.problem };
  let i = j.entries.findIndex((e) => e.fromSerial === serial);
  if (i < 0) {
    if (j.entries.length > 0) out.problem = `no entry starts at serial ${serial}`;
    return out;
  }
  // Byte offsets of the entries (the reader keeps only the end of the last good one).
  const ends: number[] = [];
  let at = JOURNAL_HEADER;
  for (const e of j.entries) {
    at += encodedSize(e);
    ends.push(at);
  }
  for (; i < j.entries.length; i++) {
    const e = j.entries[i]!;
    if (e.fromSerial !== out.serial) {
      out.problem = `entry ${i + 1} starts at serial ${e.fromSerial}, not ${out.serial}`;
      break;
    }
    const touched = new Set(e.records.map((r) => nameKey(r.owner)));
    const next = applyDeltaToZone(out.data, e.records, touched);
    if (!next) {
      out.problem = `entry ${i + 1} (serial ${e.fromSerial} → ${e.toSerial}) does not apply`;
      break;
    }
    out.data = next;
    out.serial = e.toSerial;
    out.applied++;
    out.end = ends[i]!;
  }
  return out;
}

function encodedSize(e: JournalEntry): number {
  let size = 16 + HASH;
  for (const r of e.records) size += recordWireLength(r);
  return size;
}
