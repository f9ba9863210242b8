// NXDOMAIN in the kernel: the zone tables of the XDP program (names and zones maps) compiled from a snapshot.
//
// The program answers NXDOMAIN for a qname only when the socket path provably sends the same bytes:
// - the deepest zone (served or unavailable) whose apex is a suffix of the qname is a served zone without
//   DNAME, and either unsigned or asked without DO (no NSEC/NSEC3 proof, which depends on the qname);
// - walking down from the apex, some name does not exist before any delegation point (ENTs exist), and its
//   parent (the closest encloser, RFC 4592 §3.3.1) owns no `*` child (NAME_F_WILD), so the lookup ends in
//   "no such name" with the apex SOA (negative TTL) in authority rather than in a wildcard expansion;
// - the qname's label right below the apex is not the first label below the apex of the SOA MNAME or RNAME
//   (otherwise those names would compress against the question differently).
// NODATA (an existing name without the type asked) uses the same body with rcode NOERROR; the candidates are
// the names of such zones that are no cut, own no CNAME, lie in no deeper zone and whose label right below the
// apex is not forbidden. FastPath keeps those whose every type has an answer entry (per DO bit), so a miss in
// the answer map then means "no such type"; the program verifies the full name.
// The authority body is produced by the socket path's own writer (`writeInternetAnswer`) for two synthetic
// names of different lengths; every compression pointer in it then moves with the qname length, which the
// program adds back per query. Anything else is passed to the sockets.

import { writeInternetAnswer } from "../responder/answer.js";
import type { Snapshot } from "../responder/snapshot.js";
import { MAX_MESSAGE, MessageWriter } from "../wire/message-writer.js";
import { isSubdomainKey, labelOffsets, MAX_NAME_LENGTH, nameKey, readName } from "../wire/name.js";
import { parseQuery } from "../wire/query-parser.js";
import { Rcode, RRClass, RRType } from "../wire/rrtype.js";
import type { ZoneData } from "../zone/zone.js";
import {
  BODY_MAX,
  FORBID,
  MAX_NAMES,
  MAX_ZONES,
  NAME_F_APEX,
  NAME_F_CUT,
  NAME_F_WILD,
  NEG_PTRS,
  ZONE_F_NX,
  ZONE_F_SIGNED,
  ZONE_F_SUBZONES,
} from "./layout.js";

const QHASH_OFFSET = 0xcbf29ce484222325n;
const QHASH_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;

/** One zone of the tables (struct edgens_zone). */
export interface FastZone {
  /** 1..255 */
  id: number;
  /** Lower-cased wire apex. */
  apex: Buffer;
  /** ZONE_F_* */
  flags: number;
  /** The NXDOMAIN authority section with its compression pointers zeroed (empty when not ZONE_F_NX). */
  body: Buffer;
  ptrOff: number[];
  /** Pointer target = base + qname length (mod 2^16). */
  ptrBase: number[];
  /** Lower-cased wire labels (length octet first) the qname's label right below the apex must not equal. */
  forbid: Buffer[];
  /** Why NXDOMAIN answers are off for this zone (undefined when on). */
  off?: string;
}

/** One entry of the names map (struct edgens_name_key + edgens_name). */
export interface FastName {
  hash: bigint;
  /** Zone the name exists in; 0 for apex entries. */
  zone: number;
  /** Wire length. */
  len: number;
  /** Apex entries: the zone id; else 0. */
  apexOf: number;
  flags: number;
}

/** A name that may be answered NODATA for the types it lacks (struct edgens_nodata, before the DO check). */
export interface FastNodata {
  /** Lower-cased wire name. */
  qname: Buffer;
  /** Its zone's id. */
  zone: number;
  /** Its types that must have answer entries (DNSSEC and DS types excluded: never answered NODATA). */
  types: number[];
}

export interface NegativeTable {
  zones: FastZone[];
  names: FastName[];
  /** NODATA candidates (absent in tables from older callers: none). */
  nodata?: FastNodata[];
}

export const EMPTY_NEGATIVE_TABLE: NegativeTable = { zones: [], names: [], nodata: [] };

/** qtypes the program never answers NODATA for (edgens.bpf.c): their existence is not checked either. */
const NODATA_NEVER = new Set<number>([RRType.DS, RRType.RRSIG, RRType.NSEC, RRType.NSEC3]);

/** Step of the suffix hash over one label (length octet + octets, zero-padded to 8, host-order words). */
function hashLabel(h: bigint, label: Uint8Array): bigint {
  const padded = Buffer.alloc(Math.ceil(label.length / 8) * 8);
  padded.set(label);
  const le = new DataView(padded.buffer, padded.byteOffset, padded.length);
  for (let i = 0; i < padded.length; i += 8) h = ((h ^ le.getBigUint64(i, true)) * QHASH_PRIME) & U64;
  return h;
}

/**
 * The suffix hash of edgens.bpf.c for a lower-cased wire name: the labels from the root up, so the program
 * gets every suffix's hash in one walk. (Host order is little-endian on every machine XDP runs on here.)
 */
export function suffixHash(lowerWire: Uint8Array): bigint {
  const offs = labelOffsets(lowerWire);
  let h = QHASH_OFFSET;
  for (let i = offs.length - 1; i >= 0; i--) {
    const o = offs[i]!;
    h = hashLabel(h, lowerWire.subarray(o, o + lowerWire[o]! + 1));
  }
  return h;
}

export interface NegativeOptions {
  /** Names per generation (default the compiled map size). */
  maxNames?: number;
}

/** The first label below `apexKey` of `key` (lower-cased, length octet first), or null when not strictly below. */
function labelBelow(key: string, apexKey: string): Buffer | null {
  if (key === apexKey || !isSubdomainKey(key, apexKey)) return null;
  const offs = labelOffsets(key);
  const at = offs[offs.length - labelOffsets(apexKey).length - 1]!;
  return Buffer.from(key.slice(at, at + key.charCodeAt(at) + 1), "latin1");
}

interface Template {
  body: Buffer;
  ptrOff: number[];
  ptrBase: number[];
}

/** Pointer positions of the names in an NXDOMAIN authority body (owner; MNAME and RNAME of the SOA). */
function pointerSlots(body: Buffer): number[] | null {
  const slots: number[] = [];
  const name = (at: number): number => {
    let i = at;
    for (let n = 0; n < 128 && i < body.length; n++) {
      const len = body[i]!;
      if (len === 0) return i + 1;
      if ((len & 0xc0) === 0xc0) {
        slots.push(i);
        return i + 2;
      }
      if (len > 63) return -1;
      i += len + 1;
    }
    return -1;
  };
  let p = name(0);
  if (p < 0 || p + 10 > body.length || body.readUInt16BE(p) !== RRType.SOA) return null;
  const rdEnd = p + 10 + body.readUInt16BE(p + 8);
  p = name(p + 10);
  if (p < 0) return null;
  p = name(p);
  if (p < 0 || p + 20 !== rdEnd || rdEnd !== body.length) return null;
  return slots;
}

/** The socket path's NXDOMAIN response (no DO) for `qname`: header flags and the bytes after the question. */
function socketNxdomain(
  w: MessageWriter,
  zoneByKey: ReadonlyMap<string, ZoneData>,
  qname: Buffer,
): { body: Buffer; ok: boolean } {
  const msg = Buffer.alloc(12 + qname.length + 4);
  msg.writeUInt16BE(1, 4);
  qname.copy(msg, 12);
  msg.writeUInt16BE(RRType.A, 12 + qname.length);
  msg.writeUInt16BE(RRClass.IN, 14 + qname.length);
  const q = parseQuery(msg);
  if (q.status !== "ok") return { body: Buffer.alloc(0), ok: false };
  const written = writeInternetAnswer(w, zoneByKey, msg, q, {
    dnssecOk: false,
    minimalAny: true,
    limit: MAX_MESSAGE,
  });
  const ok =
    written.complete &&
    written.rcode === Rcode.NXDOMAIN &&
    written.flags === (0x8000 | 0x0400 | Rcode.NXDOMAIN) &&
    w.an === 0 &&
    w.ns === 1 &&
    w.ar === 0;
  return { body: Buffer.from(w.buf.subarray(q.questionEnd, w.pos)), ok };
}

/**
 * Compile the NXDOMAIN body of `zone` for any qname, or say why not. The synthetic names lie right below
 * `parentKey`: the apex, or (when the apex owns a `*`) an existing name without one; the body depends only on
 * the qname's length either way, the owner and SOA names compressing against the apex suffix.
 */
function compileTemplate(
  w: MessageWriter,
  zoneByKey: ReadonlyMap<string, ZoneData>,
  origins: ReadonlySet<string>,
  zone: ZoneData,
  forbid: Buffer[],
  parentKey: string,
): Template | string {
  // Two synthetic names below the parent, of lengths n and n + 1, that exist nowhere.
  const picks: Buffer[] = [];
  for (const size of [1, 2]) {
    for (let c = 0x61; c <= 0x7a && picks.length < size; c++) {
      const label = Buffer.alloc(size + 1, c);
      label[0] = size;
      const key = label.toString("latin1") + parentKey;
      if (key.length > MAX_NAME_LENGTH) break;
      if (zone.nodes.has(key) || origins.has(key) || forbid.some((f) => f.equals(label))) continue;
      picks.push(Buffer.from(key, "latin1"));
    }
  }
  if (picks.length !== 2) return "no synthetic name fits below the apex";
  const [a, b] = picks as [Buffer, Buffer];
  const ra = socketNxdomain(w, zoneByKey, a);
  const rb = socketNxdomain(w, zoneByKey, b);
  if (!ra.ok || !rb.ok) return "the socket path does not answer NXDOMAIN with the SOA alone";
  if (ra.body.length !== rb.body.length || ra.body.length > BODY_MAX) return "negative answer too big";
  const slots = pointerSlots(ra.body);
  if (!slots || slots.length > NEG_PTRS) return "unexpected negative answer layout";
  const body = Buffer.from(ra.body);
  const ptrBase: number[] = [];
  for (const s of slots) {
    const pa = ra.body.readUInt16BE(s) & 0x3fff;
    const pb = rb.body.readUInt16BE(s) & 0x3fff;
    if ((rb.body[s]! & 0xc0) !== 0xc0 || pb - pa !== b.length - a.length)
      return "compression moves unexpectedly";
    ptrBase.push((pa - a.length) & 0xffff);
    body.writeUInt16BE(0, s);
    rb.body.writeUInt16BE(0, s);
  }
  if (!body.equals(rb.body)) return "compression depends on the qname";
  return { body, ptrOff: slots, ptrBase };
}

/** Whether the zone's names the map would hold (neither the apex nor occluded) are at most `room`. */
function namesFit(zone: ZoneData, room: number): boolean {
  if (zone.nodes.size - 1 <= room) return true;
  let n = 0;
  for (const node of zone.nodes.values()) {
    if (node.occluded || node.key === zone.originKey) continue;
    if (++n > room) return false;
  }
  return true;
}

function hasDname(zone: ZoneData): boolean {
  for (const node of zone.nodes.values()) if (!node.occluded && node.rrsets.has(RRType.DNAME)) return true;
  return false;
}

/** Keys of the names that own a `*` child (wildcard closest encloser candidates), occluded ones included. */
function wildcardParents(zone: ZoneData): Set<string> {
  const out = new Set<string>();
  for (const key of zone.nodes.keys())
    if (key.charCodeAt(0) === 1 && key.charCodeAt(1) === 0x2a) out.add(key.slice(2));
  return out;
}

/**
 * Names the template's synthetic names may lie below: the apex when it owns no `*`, else existing names that
 * own none, whose lookup reaches them (no cut, not occluded, in no deeper zone, label below the apex allowed).
 */
function* templateParents(
  zone: ZoneData,
  wild: ReadonlySet<string>,
  origins: ReadonlySet<string>,
  forbid: readonly Buffer[],
): Generator<string> {
  if (!wild.has(zone.originKey)) {
    yield zone.originKey;
    return;
  }
  let tried = 0;
  for (const node of zone.nodes.values()) {
    if (node.occluded || node.cut || wild.has(node.key) || node.key === zone.originKey) continue;
    if (node.key.length + 3 > MAX_NAME_LENGTH) continue;
    if (!nodataCandidate(node.key, zone.originKey, origins, forbid, { rrsets: new Map() })) continue;
    yield node.key;
    if (++tried === 8) return;
  }
}

/**
 * The zone tables for `snapshot`: every zone apex (served or unavailable: the program must know the deepest
 * zone of a name) and, for zones that qualify, every existing name with its cut flag. With more zones than
 * the map holds nothing is answered (an unlisted deeper zone could be missed).
 */
export function compileNegativeTable(
  snapshot: Pick<Snapshot, "zoneByKey" | "unavailable">,
  opts: NegativeOptions = {},
): NegativeTable {
  const maxNames = opts.maxNames ?? MAX_NAMES;
  const originKeys = new Set<string>([...snapshot.zoneByKey.keys(), ...snapshot.unavailable]);
  if (originKeys.size > MAX_ZONES - 1 || originKeys.size > maxNames) return EMPTY_NEGATIVE_TABLE;
  const w = new MessageWriter(Buffer.allocUnsafe(MAX_MESSAGE));
  const zones: FastZone[] = [];
  const names = new Map<string, FastName>();
  const nodata: FastNodata[] = [];
  const entryKey = (hash: bigint, zone: number, len: number) => `${hash}/${zone}/${len}`;
  let id = 0;
  for (const originKey of originKeys) {
    id++;
    const apex = Buffer.from(originKey, "latin1");
    let flags = 0;
    for (const other of originKeys)
      if (other !== originKey && isSubdomainKey(other, originKey)) flags |= ZONE_F_SUBZONES;
    const zone = snapshot.zoneByKey.get(originKey);
    const fz: FastZone = { id, apex, flags, body: Buffer.alloc(0), ptrOff: [], ptrBase: [], forbid: [] };
    zones.push(fz);
    const hash = suffixHash(apex);
    const k = entryKey(hash, 0, apex.length);
    if (names.has(k)) return EMPTY_NEGATIVE_TABLE; // two apexes on one key: cannot tell them apart
    names.set(k, { hash, zone: 0, len: apex.length, apexOf: id, flags: NAME_F_APEX });
    if (!zone) {
      fz.off = "zone unavailable";
      continue;
    }
    if (zone.signed) fz.flags |= ZONE_F_SIGNED;
    // Before any walk of every name: a zone too big for the map is told in at most `room` + 1 steps (a 1 M-name
    // zone took 4-5 s here, on every snapshot, to find out at the end).
    if (!namesFit(zone, maxNames - names.size - (originKeys.size - id))) {
      fz.off = "names map full";
      continue;
    }
    if (hasDname(zone)) {
      fz.off = "DNAME";
      continue;
    }
    const wild = wildcardParents(zone);
    if (wild.has(originKey)) names.get(k)!.flags |= NAME_F_WILD;
    const soa = zone.negativeSoa.rdataAt(0);
    const mname = readName(soa, 0);
    const rname = readName(soa, mname.next);
    const forbid: Buffer[] = [];
    for (const n of [mname.name, rname.name]) {
      const label = labelBelow(nameKey(n), originKey);
      if (label && !forbid.some((f) => f.equals(label))) forbid.push(label);
    }
    if (forbid.length > FORBID) {
      fz.off = "too many forbidden labels";
      continue;
    }
    let t: Template | string = "no name without a wildcard child for the template";
    for (const parent of templateParents(zone, wild, originKeys, forbid)) {
      t = compileTemplate(w, snapshot.zoneByKey, originKeys, zone, forbid, parent);
      if (typeof t !== "string") break;
    }
    if (typeof t === "string") {
      fz.off = t;
      continue;
    }
    const entries: FastName[] = [];
    const candidates: FastNodata[] = [];
    for (const node of zone.nodes.values()) {
      if (!node.occluded && !node.cut && nodataCandidate(node.key, originKey, originKeys, forbid, node)) {
        const types = [...node.rrsets.keys()].filter((t) => !NODATA_NEVER.has(t));
        candidates.push({ qname: Buffer.from(node.key, "latin1"), zone: id, types });
      }
      if (node.occluded || node.key === originKey) continue;
      const wire = Buffer.from(node.key, "latin1");
      entries.push({
        hash: suffixHash(wire),
        zone: id,
        len: wire.length,
        apexOf: 0,
        flags: (node.cut ? NAME_F_CUT : 0) | (wild.has(node.key) ? NAME_F_WILD : 0),
      });
    }
    if (names.size + entries.length + (originKeys.size - id) > maxNames) {
      fz.off = "names map full";
      continue;
    }
    for (const e of entries) {
      const ek = entryKey(e.hash, e.zone, e.len);
      const prev = names.get(ek);
      // Two names on one key: both exist; a cut or wildcard flag only ever makes the program pass.
      if (prev) prev.flags |= e.flags;
      else names.set(ek, e);
    }
    nodata.push(...candidates);
    fz.flags |= ZONE_F_NX;
    fz.body = t.body;
    fz.ptrOff = t.ptrOff;
    fz.ptrBase = t.ptrBase;
    fz.forbid = forbid;
  }
  return { zones, names: [...names.values()], nodata };
}

/** Whether an existing, unoccluded, non-cut node of zone `originKey` gets the zone's negative body as NODATA. */
function nodataCandidate(
  key: string,
  originKey: string,
  originKeys: ReadonlySet<string>,
  forbid: readonly Buffer[],
  node: { rrsets: { has(type: number): boolean } },
): boolean {
  if (node.rrsets.has(RRType.CNAME) || node.rrsets.has(RRType.DNAME)) return false;
  // A deeper zone (served or unavailable) at or above the name answers it instead.
  for (const other of originKeys) {
    if (other !== originKey && isSubdomainKey(other, originKey) && isSubdomainKey(key, other)) return false;
  }
  // The label right below the apex would change how the SOA's MNAME/RNAME compress.
  const below = labelBelow(key, originKey);
  return !(below && forbid.some((f) => f.equals(below)));
}
