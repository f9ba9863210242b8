// TSIG (RFC 8945): HMAC signatures over DNS messages with a shared secret. We sign requests and verify
// responses, including multi-message TCP transfers (§5.3.1) where each later digest chains the previous MAC
// and covers only the timers, and where up to 99 messages in a row may come unsigned.
// The signer also serves tests (a fake primary) and, later, the primary role.
import { createHmac, timingSafeEqual } from "node:crypto";
import { lowerAscii, NameError, nameKey, nameToText, parseNameText, readName } from "../wire/name.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import { TsigError } from "./errors.js";
import type { Message } from "./message.js";

export const TSIG_ALGORITHMS = {
  "hmac-sha1": "sha1",
  "hmac-sha224": "sha224",
  "hmac-sha256": "sha256",
  "hmac-sha384": "sha384",
  "hmac-sha512": "sha512",
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

const DIGEST_LENGTH: Record<TsigAlgorithm, number> = {
  "hmac-sha1": 20,
  "hmac-sha224": 28,
  "hmac-sha256": 32,
  "hmac-sha384": 48,
  "hmac-sha512": 64,
};

/** TSIG error field values (RFC 8945 §3 / IANA). */
export const TsigRcode = {
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADMODE: 19,
  BADNAME: 20,
  BADALG: 21,
  BADTRUNC: 22,
};

export const DEFAULT_FUDGE = 300;
/** §5.3.1: a signed message must come at least every 100 messages. */
const MAX_UNSIGNED_RUN = 99;

export interface TsigKey {
  /** Key name, uncompressed wire. */
  name: Buffer;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

function algorithmWire(alg: TsigAlgorithm): Buffer {
  return parseNameText(`${alg}.`, null);
}

function algorithmFromWire(wire: Buffer): TsigAlgorithm | undefined {
  const text = nameToText(lowerAscii(wire)).slice(0, -1);
  return text in TSIG_ALGORITHMS ? (text as TsigAlgorithm) : undefined;
}

/**
 * Parse `NAME:ALGORITHM:BASE64SECRET` (the `--tsig` flag), e.g. `xfr.example.:hmac-sha256:c2VjcmV0`.
 * The algorithm is case-insensitive and may end with a dot.
 */
export function parseTsigKey(spec: string): TsigKey {
  const bad = (why: string) =>
    new TsigError("EDGENS_ERR_TSIG_KEY_SYNTAX", `bad TSIG key '${redact(spec)}': ${why}`);
  const parts = spec.split(":");
  if (parts.length !== 3) throw bad("expected NAME:ALGORITHM:BASE64SECRET");
  const [nameText, algText, secretText] = parts as [string, string, string];
  if (!nameText) throw bad("empty key name");
  let name: Buffer;
  try {
    name = parseNameText(nameText.endsWith(".") ? nameText : `${nameText}.`, null);
  } catch (e) {
    if (e instanceof NameError) throw bad(e.message);
    throw e;
  }
  const alg = algText.toLowerCase().replace(/\.$/, "");
  if (!(alg in TSIG_ALGORITHMS))
    throw bad(`unknown algorithm '${algText}' (one of ${Object.keys(TSIG_ALGORITHMS).join(", ")})`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secretText) || secretText.length % 4 !== 0)
    throw bad("secret is not base64");
  const secret = Buffer.from(secretText, "base64");
  if (secret.length === 0) throw bad("empty secret");
  return { name, algorithm: alg as TsigAlgorithm, secret };
}

/** Hide the secret when a key spec appears in an error message. */
function redact(spec: string): string {
  const i = spec.lastIndexOf(":");
  return i < 0 ? spec : `${spec.slice(0, i)}:***`;
}

/** Presentation `NAME:ALGORITHM:SECRET` as kdig/dig `-y ALG:NAME:SECRET` expect it. */
export function tsigKeyToDigArg(key: TsigKey): string {
  return `${key.algorithm}:${nameToText(key.name)}:${key.secret.toString("base64")}`;
}

/** Fields of a TSIG RDATA. */
export interface TsigRdata {
  algorithm: Buffer;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  otherData: Buffer;
}

/** Decode TSIG RDATA (algorithm name is never compressed, §4.2, but tolerate it via the message). */
export function decodeTsigRdata(msg: Buffer, offset: number, length: number): TsigRdata {
  const end = offset + length;
  const fmt = (why: string) => new TsigError("EDGENS_ERR_TSIG_FORMAT", `malformed TSIG RDATA: ${why}`);
  let alg: { name: Buffer; next: number };
  try {
    alg = readName(msg, offset);
  } catch (e) {
    if (e instanceof NameError) throw fmt(e.message);
    throw e;
  }
  let p = alg.next;
  if (p + 10 > end) throw fmt("too short");
  const timeSigned = msg.readUIntBE(p, 6);
  const fudge = msg.readUInt16BE(p + 6);
  const macSize = msg.readUInt16BE(p + 8);
  p += 10;
  if (p + macSize + 6 > end) throw fmt("MAC runs past RDATA");
  const mac = Buffer.from(msg.subarray(p, p + macSize));
  p += macSize;
  const originalId = msg.readUInt16BE(p);
  const error = msg.readUInt16BE(p + 2);
  const otherLen = msg.readUInt16BE(p + 4);
  p += 6;
  if (p + otherLen !== end) throw fmt("other data length does not match RDATA length");
  return {
    algorithm: alg.name,
    timeSigned,
    fudge,
    mac,
    originalId,
    error,
    otherData: Buffer.from(msg.subarray(p, end)),
  };
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function timers(time: number, fudge: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUIntBE(time, 0, 6);
  b.writeUInt16BE(fudge, 6);
  return b;
}

/** §4.3.3 TSIG variables: the full set, or (for later messages of a transfer) only the timers. */
function tsigVariables(key: TsigKey, r: Omit<TsigRdata, "mac" | "originalId">, timersOnly: boolean): Buffer {
  if (timersOnly) return timers(r.timeSigned, r.fudge);
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(RRClass.ANY, 0);
  fixed.writeUInt32BE(0, 2);
  return Buffer.concat([
    lowerAscii(key.name),
    fixed,
    lowerAscii(r.algorithm),
    timers(r.timeSigned, r.fudge),
    u16(r.error),
    u16(r.otherData.length),
    r.otherData,
  ]);
}

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(TSIG_ALGORITHMS[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

export interface SignOptions {
  /** Seconds since the epoch; default now. */
  time?: number;
  fudge?: number;
  error?: number;
  otherData?: Buffer;
  /** Response: the request's MAC (first message) or the previous signed message's MAC (later messages). */
  priorMac?: Buffer;
  /** Later messages: unsigned messages sent since the previous signed one, in order. */
  unsignedSince?: Buffer[];
  /** Later messages of a multi-message response: the digest covers only time signed and fudge. */
  timersOnly?: boolean;
}

/** Append a TSIG record to `msg` (which must not have one). Returns the signed message and its MAC. */
export function signMessage(
  msg: Buffer,
  key: TsigKey,
  opts: SignOptions = {},
): { message: Buffer; mac: Buffer } {
  const rd = {
    algorithm: algorithmWire(key.algorithm),
    timeSigned: opts.time ?? Math.floor(Date.now() / 1000),
    fudge: opts.fudge ?? DEFAULT_FUDGE,
    error: opts.error ?? 0,
    otherData: opts.otherData ?? Buffer.alloc(0),
  };
  const parts: Buffer[] = [];
  if (opts.priorMac) parts.push(u16(opts.priorMac.length), opts.priorMac);
  parts.push(...(opts.unsignedSince ?? []), msg, tsigVariables(key, rd, opts.timersOnly ?? false));
  const mac = hmac(key, parts);
  const rdata = Buffer.concat([
    rd.algorithm,
    timers(rd.timeSigned, rd.fudge),
    u16(mac.length),
    mac,
    msg.subarray(0, 2), // original ID
    u16(rd.error),
    u16(rd.otherData.length),
    rd.otherData,
  ]);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(RRType.TSIG, 0);
  fixed.writeUInt16BE(RRClass.ANY, 2);
  fixed.writeUInt32BE(0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  const out = Buffer.concat([msg, lowerAscii(key.name), fixed, rdata]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return { message: out, mac };
}

/** The message as it was before the TSIG record was added: TSIG cut off, ARCOUNT - 1, original ID restored. */
function unsignedBytes(raw: Buffer, tsigOffset: number, originalId: number): Buffer {
  const b = Buffer.from(raw.subarray(0, tsigOffset));
  b.writeUInt16BE(originalId, 0);
  b.writeUInt16BE(b.readUInt16BE(10) - 1, 10);
  return b;
}

function macMatches(expected: Buffer, got: Buffer, alg: TsigAlgorithm): boolean {
  // §5.2.2.1: truncated MACs are allowed down to max(10, half the digest).
  const full = DIGEST_LENGTH[alg];
  if (got.length > full || got.length < Math.max(10, full / 2)) {
    throw new TsigError("EDGENS_ERR_TSIG_BADTRUNC", `TSIG MAC of ${got.length} octets for ${alg}`);
  }
  return timingSafeEqual(expected.subarray(0, got.length), got);
}

function peerError(error: number, key: TsigKey): TsigError {
  const keyText = nameToText(key.name);
  switch (error) {
    case TsigRcode.BADKEY:
      return new TsigError(
        "EDGENS_ERR_TSIG_BADKEY",
        `primary does not know TSIG key ${keyText} (BADKEY)`,
        error,
      );
    case TsigRcode.BADSIG:
      return new TsigError(
        "EDGENS_ERR_TSIG_BADSIG",
        `primary rejected our signature with ${keyText} (BADSIG)`,
        error,
      );
    case TsigRcode.BADTIME:
      return new TsigError(
        "EDGENS_ERR_TSIG_BADTIME",
        "primary says our clock is off by more than the fudge (BADTIME)",
        error,
      );
    case TsigRcode.BADTRUNC:
      return new TsigError(
        "EDGENS_ERR_TSIG_BADTRUNC",
        "primary rejected our truncated MAC (BADTRUNC)",
        error,
      );
    case TsigRcode.BADALG:
      return new TsigError(
        "EDGENS_ERR_TSIG_BADALG",
        `primary does not support ${key.algorithm} (BADALG)`,
        error,
      );
    default:
      return new TsigError("EDGENS_ERR_TSIG_BADSIG", `primary returned TSIG error ${error}`, error);
  }
}

export interface VerifierOptions {
  /** Clock in seconds since the epoch (tests). */
  now?: () => number;
}

/**
 * Verifies the messages of one response (a single UDP answer or a whole TCP transfer), fed in order.
 * Throws TsigError; after `finish()` every message was covered by a verified MAC.
 */
export class TsigResponseVerifier {
  private priorMac: Buffer;
  private pending: Buffer[] = [];
  private signedSeen = 0;
  private received = 0;
  private readonly now: () => number;

  constructor(
    private readonly key: TsigKey,
    requestMac: Buffer,
    opts: VerifierOptions = {},
  ) {
    this.priorMac = requestMac;
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Check one received message (raw bytes and its parse). */
  verify(raw: Buffer, msg: Message): void {
    this.received++;
    const rr = msg.tsig;
    if (!rr) {
      if (this.signedSeen === 0) {
        throw new TsigError("EDGENS_ERR_TSIG_UNSIGNED", "response is not signed although the request was");
      }
      this.pending.push(raw);
      if (this.pending.length > MAX_UNSIGNED_RUN) {
        throw new TsigError(
          "EDGENS_ERR_TSIG_UNSIGNED",
          `more than ${MAX_UNSIGNED_RUN} unsigned messages in a row`,
        );
      }
      return;
    }
    // §4.2: class ANY, TTL 0. Neither is covered by the MAC, so insist on them.
    if (rr.class !== RRClass.ANY || rr.ttl !== 0) {
      throw new TsigError("EDGENS_ERR_TSIG_FORMAT", `TSIG record with class ${rr.class} and TTL ${rr.ttl}`);
    }
    const rd = decodeTsigRdata(raw, rr.rdataOffset, rr.rdataLength);
    if (rd.error !== 0) throw peerError(rd.error, this.key);
    if (nameKey(rr.owner) !== nameKey(this.key.name)) {
      throw new TsigError(
        "EDGENS_ERR_TSIG_BADKEY",
        `response signed with another key: ${nameToText(rr.owner)}`,
      );
    }
    const alg = algorithmFromWire(rd.algorithm);
    if (alg !== this.key.algorithm) {
      throw new TsigError(
        "EDGENS_ERR_TSIG_BADALG",
        `response signed with algorithm ${nameToText(rd.algorithm)}`,
      );
    }
    const timersOnly = this.signedSeen > 0;
    const expected = hmac(this.key, [
      u16(this.priorMac.length),
      this.priorMac,
      ...this.pending,
      unsignedBytes(raw, rr.offset, rd.originalId),
      tsigVariables(this.key, rd, timersOnly),
    ]);
    if (!macMatches(expected, rd.mac, alg)) {
      throw new TsigError(
        "EDGENS_ERR_TSIG_BADSIG",
        `TSIG MAC of the response does not verify (message ${this.received})`,
      );
    }
    // Time is checked only after the MAC, so a forged time cannot be used to probe (§5.2.3).
    if (Math.abs(this.now() - rd.timeSigned) > rd.fudge) {
      throw new TsigError(
        "EDGENS_ERR_TSIG_BADTIME",
        `response time ${rd.timeSigned} is outside the fudge of ${rd.fudge} s`,
      );
    }
    this.priorMac = rd.mac;
    this.pending = [];
    this.signedSeen++;
  }

  /** The last message must be signed (§5.3.1). */
  finish(): void {
    if (this.signedSeen === 0 || this.pending.length > 0) {
      throw new TsigError("EDGENS_ERR_TSIG_UNSIGNED", "the last message of the response is not signed");
    }
  }
}

export interface VerifiedRequest {
  key: TsigKey;
  mac: Buffer;
}

/**
 * Server side: verify a signed request against known keys. Returns the key and request MAC to sign the answer
 * with, or throws TsigError (BADKEY, BADSIG, BADTIME, UNSIGNED). Used by test primaries now, the primary role later.
 */
export function verifyRequest(
  raw: Buffer,
  msg: Message,
  keys: TsigKey[],
  now = Math.floor(Date.now() / 1000),
): VerifiedRequest {
  const rr = msg.tsig;
  if (!rr) throw new TsigError("EDGENS_ERR_TSIG_UNSIGNED", "request is not signed");
  const rd = decodeTsigRdata(raw, rr.rdataOffset, rr.rdataLength);
  const alg = algorithmFromWire(rd.algorithm);
  const key = keys.find((k) => nameKey(k.name) === nameKey(rr.owner) && k.algorithm === alg);
  if (!key)
    throw new TsigError("EDGENS_ERR_TSIG_BADKEY", `unknown key ${nameToText(rr.owner)}`, TsigRcode.BADKEY);
  const expected = hmac(key, [unsignedBytes(raw, rr.offset, rd.originalId), tsigVariables(key, rd, false)]);
  if (!macMatches(expected, rd.mac, key.algorithm)) {
    throw new TsigError("EDGENS_ERR_TSIG_BADSIG", "request MAC does not verify", TsigRcode.BADSIG);
  }
  if (Math.abs(now - rd.timeSigned) > rd.fudge) {
    throw new TsigError("EDGENS_ERR_TSIG_BADTIME", "request time outside the fudge", TsigRcode.BADTIME);
  }
  return { key, mac: rd.mac };
}
