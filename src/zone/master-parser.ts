// RFC 1035 §5 master-file parser: directives ($ORIGIN, $TTL, $INCLUDE), owner/TTL/class defaults, and RDATA via
// the per-type codecs. It never throws on bad input: every problem becomes a Diagnostic at file:line:column and
// parsing resumes at the next entry, so one run reports every error.
import { NameError, nameToText, parseNameText } from "../wire/name.js";
import { type Entry, lexEntries, type Token } from "../wire/rdata/presentation-lexer.js";
import { parseTtlText } from "../wire/rdata/text-fields.js";
import { RdataTextError, rdataFromText, rdataToText } from "../wire/rdata-text.js";
import {
  classFromText,
  classToText,
  isMetaType,
  RRClass,
  RRType,
  typeFromText,
  typeToText,
} from "../wire/rrtype.js";
import { DiagCode, type Diagnostic } from "./diagnostic.js";
import type { ResourceRecord } from "./record.js";

export interface ParseOptions {
  file: string;
  origin?: Buffer | null;
  /** TTL for records that give none when the file has no $TTL and no earlier explicit TTL. */
  defaultTtl?: number;
  /** Reads an $INCLUDE target; throw to report it unreadable. Without it $INCLUDE is an error. */
  readInclude?: (path: string, fromFile: string) => { text: string; file: string };
}

export interface ParseResult {
  records: ResourceRecord[];
  /** The zone origin: opts.origin, else the first $ORIGIN, else the first SOA owner. */
  origin: Buffer | null;
  diagnostics: Diagnostic[];
}

/** RFC 2181 §8: TTLs are 31-bit. */
export const MAX_TTL = 0x7fffffff;
const MAX_INCLUDE_DEPTH = 16;

/** Per-file parsing state; $INCLUDE gets a copy so nothing it changes leaks back (RFC 1035 §5.1). */
interface State {
  file: string;
  origin: Buffer | null;
  /** $TTL value (RFC 2308), else null. */
  dollarTtl: number | null;
  /** Last TTL given explicitly on a record (RFC 1035 default when there is no $TTL). */
  lastTtl: number | null;
  lastClass: number;
  /** Previous owner; "poisoned" after a bad owner so follow-on records do not repeat the error. */
  lastOwner: Buffer | null | "poisoned";
  depth: number;
}

class EntryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

interface Output {
  records: ResourceRecord[];
  diagnostics: Diagnostic[];
  firstOrigin: Buffer | null;
  firstSoaOwner: Buffer | null;
}

export function parseMasterFile(text: string, opts: ParseOptions): ParseResult {
  const out: Output = { records: [], diagnostics: [], firstOrigin: null, firstSoaOwner: null };
  const state: State = {
    file: opts.file,
    origin: opts.origin ?? null,
    dollarTtl: null,
    lastTtl: null,
    lastClass: RRClass.IN,
    lastOwner: null,
    depth: 0,
  };
  parseInto(text, state, opts, out);
  return {
    records: out.records,
    origin: opts.origin ?? out.firstOrigin ?? out.firstSoaOwner ?? null,
    diagnostics: out.diagnostics,
  };
}

function parseInto(text: string, state: State, opts: ParseOptions, out: Output): void {
  for (const entry of lexEntries(text)) {
    if (entry.errors.length > 0) {
      for (const e of entry.errors) {
        out.diagnostics.push(diag(state.file, DiagCode.SYNTAX, e.message, e.line, e.column));
      }
      // The entry's tokens are unreliable; a bad owner line must not give later records a wrong owner.
      if (!entry.blankOwner) state.lastOwner = "poisoned";
      continue;
    }
    try {
      const first = entry.tokens[0]!;
      if (!entry.blankOwner && !first.quoted && first.text.startsWith("$"))
        directive(entry, state, opts, out);
      else record(entry, state, opts, out);
    } catch (e) {
      if (e instanceof EntryError)
        out.diagnostics.push(diag(state.file, e.code, e.message, e.line, e.column));
      else {
        const t = entry.tokens[0]!;
        out.diagnostics.push(
          diag(state.file, DiagCode.SYNTAX, `internal: ${(e as Error).message}`, t.line, t.column),
        );
      }
    }
  }
}

function diag(file: string, code: string, message: string, line: number, column: number): Diagnostic {
  return { severity: "error", file, line, column, code, message };
}

function fail(code: string, message: string, at: Token): never {
  throw new EntryError(code, message, at.line, at.column);
}

function parseName(t: Token, origin: Buffer | null, what: string): Buffer {
  try {
    return parseNameText(t.text, origin);
  } catch (e) {
    if (e instanceof NameError) fail(DiagCode.NAME, `bad ${what}: ${e.message}`, t);
    throw e;
  }
}

function parseTtlToken(t: Token): number | undefined {
  let n: number | undefined;
  try {
    n = ttlValue(t.text);
  } catch {
    fail(DiagCode.TTL, `bad TTL '${t.text}'`, t);
  }
  if (n !== undefined && n > MAX_TTL) fail(DiagCode.TTL, `TTL ${t.text} above ${MAX_TTL} (RFC 2181 §8)`, t);
  return n;
}

/** Seconds of a TTL token (plain or with w/d/h/m/s units), undefined when the token is not TTL-shaped. */
function ttlValue(text: string): number | undefined {
  return parseTtlText(text, Number.MAX_SAFE_INTEGER);
}

function directive(entry: Entry, state: State, opts: ParseOptions, out: Output): void {
  const [d, ...args] = entry.tokens;
  const name = d!.text.toUpperCase();
  const want = (min: number, max: number) => {
    if (args.length < min) fail(DiagCode.DIRECTIVE, `${name} needs an argument`, d!);
    if (args.length > max)
      fail(DiagCode.DIRECTIVE, `trailing garbage after ${name}: '${args[max]!.text}'`, args[max]!);
  };
  switch (name) {
    case "$ORIGIN": {
      want(1, 1);
      state.origin = parseName(args[0]!, state.origin, "$ORIGIN");
      if (state.depth === 0 && !out.firstOrigin) out.firstOrigin = state.origin;
      return;
    }
    case "$TTL": {
      want(1, 1);
      const ttl = parseTtlToken(args[0]!);
      if (ttl === undefined) fail(DiagCode.TTL, `bad TTL '${args[0]!.text}'`, args[0]!);
      state.dollarTtl = ttl;
      return;
    }
    case "$INCLUDE": {
      want(1, 2);
      if (!opts.readInclude) fail(DiagCode.INCLUDE, "$INCLUDE is not allowed here", d!);
      if (state.depth >= MAX_INCLUDE_DEPTH)
        fail(DiagCode.INCLUDE, "$INCLUDE nested too deeply (a loop?)", d!);
      const origin = args[1] ? parseName(args[1], state.origin, "$INCLUDE origin") : state.origin;
      let src: { text: string; file: string };
      try {
        // The file name is a presentation field: `\X` escapes (e.g. a space) stand for X.
        src = opts.readInclude(args[0]!.text.replace(/\\(.)/g, "$1"), state.file);
      } catch (e) {
        fail(
          DiagCode.INCLUDE,
          `cannot read $INCLUDE file '${args[0]!.text}': ${(e as Error).message}`,
          args[0]!,
        );
      }
      const child: State = { ...state, file: src.file, origin, depth: state.depth + 1 };
      parseInto(src.text, child, opts, out);
      return;
    }
    case "$GENERATE":
      fail(DiagCode.DIRECTIVE, "$GENERATE is not supported", d!);
      break;
    default:
      fail(DiagCode.DIRECTIVE, `unknown directive '${d!.text}'`, d!);
  }
}

function isClassToken(text: string): number | undefined {
  const upper = text.toUpperCase();
  if (upper === "ANY" || upper === "NONE") return undefined;
  return classFromText(text);
}

function record(entry: Entry, state: State, opts: ParseOptions, out: Output): void {
  const toks = entry.tokens;
  let i = 0;
  let owner: Buffer;
  if (entry.blankOwner) {
    if (state.lastOwner === "poisoned") return;
    if (!state.lastOwner)
      fail(DiagCode.OWNER, "no owner name and no previous record to take it from", toks[0]!);
    owner = state.lastOwner;
  } else {
    try {
      owner = parseName(toks[0]!, state.origin, "owner name");
    } catch (e) {
      state.lastOwner = "poisoned";
      throw e;
    }
    i = 1;
  }
  state.lastOwner = owner;

  let ttl: number | undefined;
  let cls: number | undefined;
  for (let k = 0; k < 2 && i < toks.length; k++) {
    const t = toks[i]!;
    if (ttl === undefined) {
      const v = parseTtlToken(t);
      if (v !== undefined) {
        ttl = v;
        i++;
        continue;
      }
    }
    if (cls === undefined) {
      const c = isClassToken(t.text);
      if (c !== undefined) {
        cls = c;
        i++;
        continue;
      }
    }
    break;
  }
  const typeTok = toks[i];
  if (!typeTok) {
    const last = toks[toks.length - 1]!;
    throw new EntryError(DiagCode.TYPE, "missing type", last.endLine, last.endColumn);
  }
  const type = typeFromText(typeTok.text);
  if (type === undefined) {
    const what = /^[0-9]/.test(typeTok.text) ? "bad TTL or unknown type" : "unknown type";
    fail(DiagCode.TYPE, `${what} '${typeTok.text}'`, typeTok);
  }
  if (isMetaType(type))
    fail(DiagCode.TYPE, `meta type ${typeToText(type)} cannot appear in zone data`, typeTok);
  const rdataToks = toks.slice(i + 1);
  let rdata: Buffer;
  try {
    rdata = rdataFromText(
      type,
      rdataToks.map((t) => t.text),
      state.origin,
    );
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const field = e instanceof RdataTextError ? (e.field ?? 0) : 0;
    const at = rdataToks[field];
    if (at) fail(DiagCode.RDATA, `bad ${typeToText(type)} RDATA: ${msg}`, at);
    const last = toks[toks.length - 1]!;
    throw new EntryError(
      DiagCode.RDATA,
      `bad ${typeToText(type)} RDATA: ${msg}`,
      last.endLine,
      last.endColumn,
    );
  }

  if (ttl !== undefined) state.lastTtl = ttl;
  else if (state.dollarTtl !== null) ttl = state.dollarTtl;
  else if (state.lastTtl !== null) ttl = state.lastTtl;
  else if (opts.defaultTtl !== undefined) ttl = opts.defaultTtl;
  else if (type === RRType.SOA) {
    // BIND's fallback: with no $TTL and no TTL yet, the SOA MINIMUM field (RFC 1035 meaning) serves.
    if (rdata.length < 4)
      fail(DiagCode.TTL, "no TTL given and no $TTL or earlier TTL to default to", typeTok);
    ttl = rdata.readUInt32BE(rdata.length - 4);
    state.lastTtl = ttl;
    out.diagnostics.push({
      ...diag(
        state.file,
        DiagCode.TTL_FROM_SOA,
        "no TTL and no $TTL: using the SOA MINIMUM",
        typeTok.line,
        typeTok.column,
      ),
      severity: "warning",
    });
  } else fail(DiagCode.TTL, "no TTL given and no $TTL or earlier TTL to default to", typeTok);

  if (cls !== undefined) state.lastClass = cls;
  if (type === RRType.SOA && state.depth === 0 && !out.firstSoaOwner) out.firstSoaOwner = owner;
  out.records.push({
    owner,
    type,
    class: cls ?? state.lastClass,
    ttl,
    rdata,
    source: { file: state.file, line: toks[0]!.line, column: toks[0]!.column },
  });
}

/** One record as a master-file line with absolute names: "www.example. 300 IN A 192.0.2.1". */
export function recordToText(r: ResourceRecord): string {
  return `${nameToText(r.owner)} ${r.ttl} ${classToText(r.class)} ${typeToText(r.type)} ${rdataToText(r.type, r.rdata)}`;
}
