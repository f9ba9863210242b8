// The file a cluster's worker 0 hands a whole zone to the other workers in (secondary-table.ts): once it has
// checked and built a transferred zone, it writes the zone's image (src/zone/zone-image-file.ts) and names
// the file in its verdict over IPC; every other worker reads it instead of building the zone itself (one
// build per cluster). The bytes never cross the cluster primary.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { compareSerial } from "../transfer/serial.js";

/**
 * How long a handed-off file is kept at least. The workers open it as soon as its IPC message arrives, but
 * the host may be done with it sooner than that (the restart copy of a small zone is written within
 * milliseconds), and a worker that finds it gone loads nothing and waits for the restart copy instead.
 */
export const CANDIDATE_GRACE_MS = 10_000;

/**
 * Worker 0's candidate files of one zone, each named by its verdict as it is written. Each is deleted once no
 * worker needs it: once the restart copy of its serial is written (a worker that missed the file reads that
 * copy), or a newer one is written; but not before it is CANDIDATE_GRACE_MS old. `dropAll` (the zone stops)
 * deletes at once.
 */
export class CandidateFiles {
  /** Id → its file: the serial of the zone it holds, and when it was written. */
  private readonly files = new Map<number, { path: string; serial: number; handedAt: number }>();
  /** Deletions waiting for their file's grace period (path → timer). */
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly pathOf: (id: number) => string,
    private readonly onError: (path: string, e: Error) => void,
    private readonly graceMs = CANDIDATE_GRACE_MS,
  ) {}

  /**
   * Write file `id`, the image of the zone at `serial` that the verdict names, from `chunks` at once: between
   * the host's swap and its verdict, so that no other change can come between them (~80 ms at 1 M records).
   * The files written before it are no longer needed (without this, a zone whose restart copy cannot be
   * written would keep one file per transfer). Null when the write failed (reported): nothing is handed off.
   */
  writeSync(
    id: number,
    serial: number,
    chunks: readonly Uint8Array[],
  ): { path: string; bytes: number } | null {
    const path = this.pathOf(id);
    let bytes = 0;
    try {
      mkdirSync(dirname(path), { recursive: true });
      const fd = openSync(path, "w", 0o600);
      try {
        for (const c of chunks) for (let at = 0; at < c.length; ) at += writeSync(fd, c, at);
      } finally {
        closeSync(fd);
      }
      for (const c of chunks) bytes += c.length;
    } catch (e) {
      this.onError(path, e as Error);
      remove(path);
      return null;
    }
    for (const other of [...this.files.keys()]) this.drop(other);
    this.files.set(id, { path, serial, handedAt: performance.now() });
    return { path, bytes };
  }

  /**
   * The restart copy of `serial` is on disk: the files of that serial or an older one go. Not a newer one's:
   * the copy of the previous transfer may be written after the next one was handed on, while the workers still
   * read its file.
   */
  persisted(serial: number): void {
    for (const [id, f] of this.files) if (compareSerial(f.serial, serial) !== "gt") this.drop(id);
  }

  /** Delete file `id` once it is `graceMs` old (a worker may not have opened it yet). */
  private drop(id: number): void {
    const f = this.files.get(id);
    if (!f) return;
    this.files.delete(id);
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
