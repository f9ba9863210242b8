import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-file.js";
import { nameKey, nameToText } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { parseMasterFile, recordToText } from "../zone/master-parser.js";
import type { ResourceRecord } from "../zone/record.js";
import { SecondaryError } from "./errors.js";

export interface StoredState {
  version: 1;
  /** Zone origin, presentation form (a guard against a mixed-up state dir). */
  zone: string;
  serial: number;
  /** When a refresh last succeeded (ms since the epoch): expire counts from here. */
  lastSuccess: number;
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
  /** Cluster hosts: the newest transferred zone in wire form for the workers (src/secondary/zone-wire-file.ts). */
  readonly wirePath: string;
  private readonly zoneText: string;

  constructor(
    readonly dir: string,
    readonly origin: Buffer,
  ) {
    const stem = zoneFileStem(origin);
    this.zonePath = join(dir, `${stem}.zone`);
    this.statePath = join(dir, `${stem}.state.json`);
    this.wirePath = join(dir, `${stem}.wire`);
    this.zoneText = nameToText(origin);
  }

  private persistError(what: string, e: unknown): SecondaryError {
    return new SecondaryError(
      "EDGENS_ERR_SECONDARY_PERSIST",
      `cannot write ${what} of ${this.zoneText}: ${(e as Error).message}`,
    );
  }

  /** Write the zone copy: `records` as for `zoneToMasterChunks` (`recordsOfZone(tree)` for a held zone). */
  async saveZone(records: Iterable<ResourceRecord>, serial: number): Promise<void> {
    const header = [
      `edgens secondary copy of ${this.zoneText} serial ${serial}`,
      `written ${new Date().toISOString()}; replaced on every change, do not edit`,
    ];
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(this.zonePath, zoneToMasterChunks(this.origin, records, header));
    } catch (e) {
      throw this.persistError("the zone copy", e);
    }
  }

  async saveState(serial: number, lastSuccess: number): Promise<void> {
    const state: StoredState = { version: 1, zone: this.zoneText, serial, lastSuccess };
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
    const lastSuccess = state?.zone === this.zoneText && state.serial === serial ? state.lastSuccess : mtime;
    return { serial, records: parsed.records.map(stripSource), lastSuccess };
  }

  private async loadState(): Promise<StoredState | null> {
    try {
      const s = JSON.parse(await readFile(this.statePath, "utf8")) as Partial<StoredState>;
      if (s.version !== 1 || typeof s.serial !== "number" || typeof s.lastSuccess !== "number") return null;
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
