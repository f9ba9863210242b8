import { mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-file.js";
import { nameKey, nameToText } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { parseMasterFile, recordToText } from "../zone/master-parser.js";
import type { ResourceRecord } from "../zone/record.js";
import type { ZoneData } from "../zone/zone.js";
import { SecondaryError } from "./errors.js";
import {
  appendJournal,
  JOURNAL_HEADER,
  type JournalEntry,
  type Replayed,
  readJournal,
  replayJournal,
  resetJournal,
} from "./zone-journal.js";
import { loadZoneWire, saveZoneWire } from "./zone-wire-file.js";

export interface StoredState {
  /** 1: written by versions whose restart source was the text copy (`serial` is the text copy's). */
  version: 1 | 2;
  /** Zone origin, presentation form (a guard against a mixed-up state dir). */
  zone: string;
  /** The newest serial persisted: the wire copy's plus its journal (version 1: the text copy's). */
  serial: number;
  /** When a refresh last succeeded (ms since the epoch): expire counts from here. */
  lastSuccess: number;
  /** Version 2: the serial the wire copy holds (null: none written yet). */
  wireSerial?: number | null;
  /** Version 2: where the journal's last entry ends (bytes) and how many entries it holds. */
  journalEnd?: number;
  journalEntries?: number;
  /** Version 2: the serial of the text copy (null: none written yet). */
  textSerial?: number | null;
}

/** What a version-2 state file records beside the serial and the time. */
export type PersistedPositions = Required<
  Pick<StoredState, "wireSerial" | "journalEnd" | "journalEntries" | "textSerial">
>;

/** The wire copy with its journal replayed: built, no checks needed (the writer ran them). */
export interface StoredWire {
  serial: number;
  data: ZoneData;
  /** Records in the wire copy (the journal's changes are not counted). */
  records: number;
  wireSerial: number;
  /** The wire copy's size (the journal is compacted when it grows past a share of it). */
  wireBytes: number;
  /** Where the next journal entry goes (the end of the last good one), and how many entries are in use. */
  journalEnd: number;
  journalEntries: number;
  /** Why the journal replay stopped early (torn or damaged entry), null when it did not. */
  journalProblem: string | null;
  /** When the newest of the files used was written (ms since the epoch). */
  mtime: number;
}

export interface StoredZone {
  serial: number;
  records: ResourceRecord[];
  /** From the state file; the zone file's mtime when there is none (it was written at a success). */
  lastSuccess: number;
}

/** A file name for a zone: lower case, anything outside [a-z0-9._-] as %XX; the root zone is "root". */
export function zoneFileStem(origin: Buffer): string {
  const text = nameToText(Buffer.from(nameKey(origin), "latin1"));
  if (text === ".") return "root";
  return text
    .slice(0, -1)
    .replace(/[^a-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** The zone as a master file with absolute names, the SOA first. */
export function zoneToMasterText(
  origin: Buffer,
  records: Iterable<ResourceRecord>,
  header: string[],
): string {
  return [...zoneToMasterChunks(origin, records, header)].join("");
}

/** Text chunks of about this many characters: the file is written without ever being one string. */
const CHUNK_CHARS = 256 * 1024;

/**
 * `zoneToMasterText` in chunks, built as they are written (a million records are ~30 MiB of text). An array is
 * written SOA first; any other iterable in its own order (`recordsOfZone` yields the SOA first), in one pass.
 */
export function* zoneToMasterChunks(
  origin: Buffer,
  records: Iterable<ResourceRecord>,
  header: string[],
): Generator<string> {
  let chunk = `${[...header.map((h) => `; ${h}`), `$ORIGIN ${nameToText(origin)}`].join("\n")}\n`;
  // An array: the SOA first, then everything else in order (two passes instead of two filtered copies).
  for (const soaPass of Array.isArray(records) ? [true, false] : [null]) {
    for (const r of records) {
      if (soaPass !== null && (r.type === RRType.SOA) !== soaPass) continue;
      chunk += `${recordToText(r)}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = "";
      }
    }
  }
  yield chunk;
}

export class ZoneStore {
  readonly zonePath: string;
  readonly statePath: string;
  /** The restart copy in wire form (src/secondary/zone-wire-file.ts); cluster workers load it too. */
  readonly wirePath: string;
  /** The IXFR changes since the wire copy (src/secondary/zone-journal.ts). */
  readonly journalPath: string;
  private readonly zoneText: string;

  constructor(
    readonly dir: string,
    readonly origin: Buffer,
  ) {
    const stem = zoneFileStem(origin);
    this.zonePath = join(dir, `${stem}.zone`);
    this.statePath = join(dir, `${stem}.state.json`);
    this.wirePath = join(dir, `${stem}.wire`);
    this.journalPath = join(dir, `${stem}.journal`);
    this.zoneText = nameToText(origin);
  }

  /**
   * Where this process puts the messages of transfer `id` for the other cluster workers
   * (src/server/candidate-file.ts). Named as a temp file of this process: one that outlives it is stale.
   */
  candidatePath(id: number): string {
    return join(this.dir, `.${zoneFileStem(this.origin)}.candidate.${process.pid}-${id}.tmp`);
  }

  /**
   * Delete temp files of this zone's copies and transfer candidates left by another process (one stopped
   * mid-write: a text copy cut off by the exit timer is tens of MiB). This process's own are in use. Resolves
   * to how many went.
   */
  async removeStaleTemps(): Promise<number> {
    const stem = zoneFileStem(this.origin);
    const mine = `.${process.pid}-`;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    const stale = names.filter(
      (n) =>
        n.endsWith(".tmp") &&
        [".zone.", ".wire.", ".journal.", ".state.json.", ".candidate."].some((ext) =>
          n.startsWith(`.${stem}${ext}`),
        ) &&
        !n.includes(mine),
    );
    await Promise.all(stale.map((n) => unlink(join(this.dir, n)).catch(() => {})));
    return stale.length;
  }

  private persistError(what: string, e: unknown): SecondaryError {
    return new SecondaryError(
      "EDGENS_ERR_SECONDARY_PERSIST",
      `cannot write ${what} of ${this.zoneText}: ${(e as Error).message}`,
    );
  }

  /** Write the zone copy: `records` as for `zoneToMasterChunks` (`recordsOfZone(tree)` for a held zone). */
  async saveZone(records: Iterable<ResourceRecord>, serial: number, signal?: AbortSignal): Promise<void> {
    const header = [
      `edgens secondary copy of ${this.zoneText} serial ${serial}`,
      `written ${new Date().toISOString()}; replaced after changes, do not edit`,
    ];
    const chunks = zoneToMasterChunks(this.origin, records, header);
    // An abort stops between chunks; the temp file is removed and the previous copy stays.
    const until = function* () {
      for (const c of chunks) {
        signal?.throwIfAborted();
        yield c;
      }
    };
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(this.zonePath, until());
    } catch (e) {
      throw this.persistError("the zone copy", e);
    }
  }

  /**
   * The restart copy: the wire copy of `data`, then an empty journal starting at `serial` (a crash in between
   * leaves a journal naming the older copy: ignored on load). Resolves to the wire copy's size.
   */
  async saveWire(data: ZoneData, serial: number): Promise<number> {
    try {
      await mkdir(this.dir, { recursive: true });
      const bytes = await saveZoneWire(this.wirePath, data, serial);
      await resetJournal(this.journalPath, serial);
      return bytes;
    } catch (e) {
      throw this.persistError("the wire copy", e);
    }
  }

  /** Append one IXFR at byte `at` of the journal (see appendJournal); resolves to the new end. */
  async appendJournal(at: number, entry: JournalEntry): Promise<number> {
    try {
      return await appendJournal(this.journalPath, at, entry);
    } catch (e) {
      throw this.persistError("the journal", e);
    }
  }

  /** `positions`: what the wire copy, journal and text copy hold (version 2); without it a version-1 file. */
  async saveState(serial: number, lastSuccess: number, positions?: PersistedPositions): Promise<void> {
    const state: StoredState = positions
      ? { version: 2, zone: this.zoneText, serial, lastSuccess, ...positions }
      : { version: 1, zone: this.zoneText, serial, lastSuccess };
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(this.statePath, `${JSON.stringify(state)}\n`);
    } catch (e) {
      throw this.persistError("the refresh state", e);
    }
  }

  /** The persisted copy, null when there is none; throws EDGENS_ERR_SECONDARY_STORE when it does not parse. */
  async load(): Promise<StoredZone | null> {
    let text: string;
    let mtime: number;
    try {
      text = await readFile(this.zonePath, "latin1");
      mtime = (await stat(this.zonePath)).mtimeMs;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw this.storeError(`cannot read ${this.zonePath}: ${(e as Error).message}`);
    }
    // Only parsed here: the caller runs the zone checks, as for a transfer.
    const parsed = parseMasterFile(text, { file: this.zonePath, origin: this.origin });
    const first = parsed.diagnostics.find((d) => d.severity === "error");
    if (first) throw this.storeError(`${first.file}:${first.line}: ${first.message} [${first.code}]`);
    const soa = parsed.records.find(
      (r) => r.type === RRType.SOA && nameKey(r.owner) === nameKey(this.origin),
    );
    if (!soa || soa.rdata.length < 22) throw this.storeError(`${this.zonePath}: no SOA for ${this.zoneText}`);
    const serial = soa.rdata.readUInt32BE(soa.rdata.length - 20);
    // The state file is written after the zone file: when it names another serial, the process stopped in
    // between, and the zone file's mtime (written at that successful refresh) is the better time.
    const state = await this.loadState();
    const lastSuccess =
      state?.zone === this.zoneText && (state.serial === serial || state.textSerial === serial)
        ? state.lastSuccess
        : mtime;
    return { serial, records: parsed.records.map(stripSource), lastSuccess };
  }

  /**
   * The wire copy with its journal replayed (null when there is no wire copy). Throws ZoneWireError (or the
   * read's error) when the wire copy is unusable; a bad journal only ends the replay (`journalProblem`).
   */
  async loadWire(): Promise<StoredWire | null> {
    let w: ReturnType<typeof loadZoneWire>;
    try {
      w = loadZoneWire(this.wirePath, this.origin);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
    const j = await readJournal(this.journalPath);
    const out: StoredWire = {
      serial: w.serial,
      data: w.data,
      records: w.records,
      wireSerial: w.serial,
      wireBytes: w.bytes,
      journalEnd: JOURNAL_HEADER,
      journalEntries: 0,
      journalProblem: null,
      mtime: (await stat(this.wirePath)).mtimeMs,
    };
    // A journal of an older wire copy (the process stopped between the two writes), or none: nothing to replay.
    if (j.base !== w.serial) return out;
    const r = replayJournal(w.data, w.serial, j);
    out.serial = r.serial;
    out.data = r.data;
    out.journalEntries = r.applied;
    out.journalEnd = r.end ?? JOURNAL_HEADER;
    out.journalProblem = r.problem;
    if (r.applied > 0) out.mtime = Math.max(out.mtime, (await stat(this.journalPath)).mtimeMs);
    return out;
  }

  /**
   * The journal applied to `data` from the entry that starts at `serial` on: a text copy loaded instead of a
   * damaged wire copy still reaches the newest serial when the journal covers it.
   */
  async replayOnto(data: ZoneData, serial: number): Promise<Replayed> {
    return replayJournal(data, serial, await readJournal(this.journalPath));
  }

  /** The state file when it is this zone's and well-formed, else null. */
  async loadState(): Promise<StoredState | null> {
    try {
      const s = JSON.parse(await readFile(this.statePath, "utf8")) as Partial<StoredState>;
      if (s.zone !== undefined && s.zone !== this.zoneText) return null;
      if (
        (s.version !== 1 && s.version !== 2) ||
        typeof s.serial !== "number" ||
        typeof s.lastSuccess !== "number"
      )
        return null;
      return s as StoredState;
    } catch {
      return null;
    }
  }

  private storeError(message: string): SecondaryError {
    return new SecondaryError("EDGENS_ERR_SECONDARY_STORE", message);
  }
}

function stripSource(r: ResourceRecord): ResourceRecord {
  return { owner: r.owner, type: r.type, class: r.class, ttl: r.ttl, rdata: r.rdata };
}
