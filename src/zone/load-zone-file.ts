// Load one zone from a master file on disk: parse (following $INCLUDE relative to the including file), settle
// the origin, run the semantic checks, and either return the records or throw with every diagnostic.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { DiagCode, type Diagnostic, formatDiagnostic, hasErrors } from "./diagnostic.js";
import { parseMasterFile } from "./master-parser.js";
import type { ResourceRecord } from "./record.js";
import { checkZone, normalizeRecords } from "./zone-check.js";

export interface LoadedZone {
  origin: Buffer;
  records: ResourceRecord[];
  /** Parse and zone-check findings; only warnings when loadZoneFile returns. */
  diagnostics: Diagnostic[];
}

export class ZoneLoadError extends Error {
  readonly code = "EDGENS_ERR_ZONE_PARSE";
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    const shown = errors.slice(0, 10).map(formatDiagnostic);
    if (errors.length > shown.length) shown.push(`... and ${errors.length - shown.length} more errors`);
    super(`zone file ${file} has ${errors.length} error(s):\n${shown.join("\n")}`);
  }
}

// Zone files are bytes, not UTF-8 text: latin1 maps each byte to one character, so escapes and columns are exact.
function readText(path: string): string {
  return readFileSync(path, "latin1");
}

export interface CheckedZone {
  origin: Buffer | null;
  records: ResourceRecord[];
  diagnostics: Diagnostic[];
}

/** $INCLUDE targets are read from disk, relative to the including file. */
function readIncludeFromDisk(target: string, fromFile: string): { text: string; file: string } {
  const file = isAbsolute(target) ? target : resolve(dirname(fromFile), target);
  return { text: readText(file), file };
}

/**
 * Parse and check zone text without throwing on zone errors. `file` names the text in diagnostics and anchors
 * relative $INCLUDE paths.
 */
export function parseZoneText(text: string, file: string, origin?: Buffer | null): CheckedZone {
  const parsed = parseMasterFile(text, { file, origin: origin ?? null, readInclude: readIncludeFromDisk });
  const diagnostics = [...parsed.diagnostics];
  let records = parsed.records;
  if (parsed.origin) {
    const checked = checkZone(parsed.origin, records, file);
    diagnostics.push(...checked);
    // Only rebuild the record list when the checks found something to fix.
    if (checked.some((d) => d.code === DiagCode.DUPLICATE || d.code === DiagCode.TTL_MISMATCH)) {
      records = normalizeRecords(records);
    }
  } else if (!hasErrors(diagnostics)) {
    diagnostics.push({
      severity: "error",
      file,
      line: 1,
      column: 1,
      code: DiagCode.NO_ORIGIN,
      message: "cannot tell the zone origin: no --origin, $ORIGIN or SOA record",
    });
  }
  return { origin: parsed.origin, records, diagnostics };
}

/** Parse and check a zone file without throwing on zone errors (the CLI reports them all). */
export function parseZoneFile(path: string, origin?: Buffer | null): CheckedZone {
  return parseZoneText(readText(path), path, origin);
}

function settle(file: string, r: CheckedZone): LoadedZone {
  if (hasErrors(r.diagnostics) || !r.origin) throw new ZoneLoadError(file, r.diagnostics);
  return { origin: r.origin, records: r.records, diagnostics: r.diagnostics };
}

/** Read, parse and check a zone file. Throws ZoneLoadError when any diagnostic is an error. */
export function loadZoneFile(path: string, origin?: Buffer | null): LoadedZone {
  return settle(path, parseZoneFile(path, origin));
}

/** loadZoneFile for zone text in memory (tests, transfers staged as text). Throws ZoneLoadError on errors. */
export function loadZoneText(text: string, origin?: Buffer | null, file = "<text>"): LoadedZone {
  return settle(file, parseZoneText(text, file, origin));
}
