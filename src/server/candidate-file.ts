// A whole zone's transfer messages as a file, for the other cluster workers (secondary-table.ts): worker 0
// writes the messages it received, each after its 2-byte length as on TCP (RFC 7766 §8), and names the file
// over IPC; every other worker reads it and builds its own tree. So the 25 MB of a 1 M-record zone never cross
// the cluster primary, which held ~45 MiB more while it passed them on (docs/BENCHMARKS.md, session 7).
import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { compareSerial } from "../transfer/serial.js";
import { MAX_MESSAGE } from "../wire/message-writer.js";
import { MessageFramer } from "./tcp-framer.js";

/** Write `messages` to `path` (created with its directory, or replaced); resolves to the file's size. */
export async function writeCandidateFile(path: string, messages: readonly Buffer[]): Promise<number> {
  let size = 0;
  for (const m of messages) size += 2 + m.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const m of messages) {
    at = out.writeUInt16BE(m.length, at);
    at += m.copy(out, at);
  }
  // The first transfer of a new state dir comes before anything else is written there.
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, out);
  return size;
}

/** The messages of a file `writeCandidateFile` wrote (views of one Buffer); throws on a cut-off file. */
export async function readCandidateFile(path: string): Promise<Buffer[]> {
  const framer = new MessageFramer(MAX_MESSAGE);
  framer.push(await readFile(path));
  const messages: Buffer[] = [];
  for (let m = framer.next(); m !== null; m = framer.next()) messages.push(m);
  if (framer.buffered > 0) throw new Error(`${path}: cut off after ${messages.length} messages`);
  return messages;
}

/**
 * How long a handed-off file is kept at least. The workers open it as soon as its IPC message arrives, but
 * the host may drop it sooner than that (a refused small zone: within milliseconds), and a worker that finds
 * it gone builds nothing and waits for the restart copy instead.
 */
export const CANDIDATE_GRACE_MS = 10_000;

/**
 * Worker 0's candidate files of one zone. Each is deleted once no worker needs it: when its transfer is
 * discarded, or once accepted and the restart copy of its serial is written (a worker that missed the file
 * reads that copy); but not before it is CANDIDATE_GRACE_MS old. `dropAll` (the zone stops) deletes at once.
 */
export class CandidateFiles {
  /**
   * Transfer id → its file; `accepted`: the serial of the verdict naming it, once that went out; `dropped`
   * while it was written; `handedAt`: when the write ended.
   */
  private readonly files = new Map<
    number,
    { path: string; writing: boolean; accepted: number | null; dropped: boolean; handedAt: number }
  >();
  /** Deletions waiting for their file's grace period (path → timer). */
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly pathOf: (id: number) => string,
    private readonly onError: (path: string, e: Error) => void,
    private readonly graceMs = CANDIDATE_GRACE_MS,
  ) {}

  /** Write transfer `id`'s messages; null when it was dropped meanwhile or the write failed (reported). */
  async write(id: number, messages: readonly Buffer[]): Promise<{ path: string; bytes: number } | null> {
    const f = { path: this.pathOf(id), writing: true, accepted: null, dropped: false, handedAt: 0 };
    this.files.set(id, f);
    let bytes: number | null = null;
    try {
      bytes = await writeCandidateFile(f.path, messages);
    } catch (e) {
      this.onError(f.path, e as Error);
    }
    f.writing = false;
    f.handedAt = performance.now();
    if (bytes !== null && !f.dropped) return { path: f.path, bytes };
    // Never handed off: no worker opens it.
    this.files.delete(id);
    remove(f.path);
    return null;
  }

  /** True while transfer `id`'s file is being written or was handed off (and not dropped). */
  has(id: number): boolean {
    return this.files.has(id);
  }

  /** The verdict naming transfer `id` went out: the file of a transfer accepted before it is no longer needed. */
  accepted(id: number, serial: number): void {
    const f = this.files.get(id);
    if (!f) return;
    f.accepted = serial;
    // Without this, a zone whose restart copy cannot be written would keep one file per transfer.
    for (const [other, o] of this.files) if (other !== id && o.accepted !== null) this.drop(other);
  }

  /**
   * The restart copy of `serial` is on disk: the files of transfers accepted at that serial or an older one go.
   * Not a newer one's: the copy of the previous transfer may be written after the next one was accepted, while
   * the workers still read its file.
   */
  persisted(serial: number): void {
    for (const [id, f] of this.files) {
      if (f.accepted !== null && compareSerial(f.accepted, serial) !== "gt") this.drop(id);
    }
  }

  drop(id: number): void {
    const f = this.files.get(id);
    if (!f) return;
    this.files.delete(id);
    // A file being written goes once the write ends (see write).
    if (f.writing) {
      f.dropped = true;
      return;
    }
    const wait = f.handedAt + this.graceMs - performance.now();
    if (wait <= 0) remove(f.path);
    else {
      const timer = setTimeout(() => {
        this.pending.delete(f.path);
        remove(f.path);
      }, wait);
      timer.unref();
      this.pending.set(f.path, timer);
    }
  }

  /** Delete every file now (the zone stops, or the process). */
  dropAll(): void {
    for (const id of [...this.files.keys()]) this.drop(id);
    for (const [path, timer] of this.pending) {
      clearTimeout(timer);
      remove(path);
    }
    this.pending.clear();
  }
}

function remove(path: string): void {
  void unlink(path).catch(() => {});
}
