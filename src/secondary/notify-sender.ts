// NOTIFY (RFC 1996) from the primary side: tell secondaries a zone changed. Each peer gets the query over UDP
// until it answers or the tries run out (§3.6: retransmit on timeout); a definite answer (any RCODE) ends the
// tries. Signed with TSIG when the peer has a key; the answer's signature is then verified.
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { TsigError, XfrError } from "../transfer/errors.js";
import { encodeRecord, HEADER_LENGTH, parseMessage } from "../transfer/message.js";
import { signMessage, type TsigKey, TsigResponseVerifier } from "../transfer/tsig.js";
import { nameKey } from "../wire/name.js";
import { RRClass, RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import { OPCODE_NOTIFY } from "./notify-handler.js";

export interface NotifyPeer {
  host: string;
  port: number;
  tsig?: TsigKey;
}

export interface SendNotifyOptions {
  /** The zone's new SOA, sent in the answer section as a hint (§3.7). */
  soa?: ResourceRecord;
  /** Tries per peer. Default 5. */
  tries?: number;
  /** Wait for an answer per try, ms; doubles with each retry. Default 1000. */
  timeoutMs?: number;
  /** Source address to send from (default: any). */
  localAddress?: string;
}

export interface NotifyPeerResult {
  peer: NotifyPeer;
  /** The peer answered NOERROR (and the TSIG answer verified). */
  ok: boolean;
  /** RCODE of the answer, when one arrived. */
  rcode?: number;
  tries: number;
  error?: Error;
}

/** Build a NOTIFY query for `origin` (AA set, QTYPE SOA), with the SOA in the answer section when given. */
export function buildNotify(id: number, origin: Buffer, soa?: ResourceRecord): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE((OPCODE_NOTIFY << 11) | 0x0400, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(soa ? 1 : 0, 6);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(RRType.SOA, 0);
  q.writeUInt16BE(RRClass.IN, 2);
  return Buffer.concat([header, origin, q, ...(soa ? [encodeRecord(soa)] : [])]);
}

/** Notify every peer (in parallel); resolves when each has answered or run out of tries. Never throws. */
export function sendNotify(
  origin: Buffer,
  peers: NotifyPeer[],
  opts: SendNotifyOptions = {},
): Promise<NotifyPeerResult[]> {
  return Promise.all(peers.map((p) => notifyPeer(origin, p, opts)));
}

async function notifyPeer(
  origin: Buffer,
  peer: NotifyPeer,
  opts: SendNotifyOptions,
): Promise<NotifyPeerResult> {
  const tries = opts.tries ?? 5;
  let timeout = opts.timeoutMs ?? 1000;
  let lastError: Error | undefined;
  for (let t = 1; t <= tries; t++) {
    try {
      const rcode = await oneTry(origin, peer, opts, timeout);
      return { peer, ok: rcode === 0, rcode, tries: t };
    } catch (e) {
      lastError = e as Error;
      if (!(e instanceof XfrError) || e.code !== "EDGENS_ERR_XFR_TIMEOUT") break;
    }
    timeout *= 2;
  }
  return { peer, ok: false, tries, ...(lastError ? { error: lastError } : {}) };
}

function oneTry(
  origin: Buffer,
  peer: NotifyPeer,
  opts: SendNotifyOptions,
  timeoutMs: number,
): Promise<number> {
  const id = randomInt(0, 0x10000);
  let query = buildNotify(id, origin, opts.soa);
  let verifier: TsigResponseVerifier | undefined;
  if (peer.tsig) {
    const s = signMessage(query, peer.tsig);
    query = s.message;
    verifier = new TsigResponseVerifier(peer.tsig, s.mac);
  }
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(peer.host) ? "udp6" : "udp4");
    let settled = false;
    const done = (err: Error | null, rcode?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(rcode!);
    };
    const timer = setTimeout(
      () => done(new XfrError("EDGENS_ERR_XFR_TIMEOUT", `no NOTIFY answer from ${peer.host}#${peer.port}`)),
      timeoutMs,
    );
    sock.on("message", (raw, rinfo) => {
      if (rinfo.port !== peer.port || raw.length < HEADER_LENGTH || raw.readUInt16BE(0) !== id) return;
      try {
        const msg = parseMessage(raw);
        if (!msg.qr || ((msg.flags >> 11) & 0xf) !== OPCODE_NOTIFY)
          throw new XfrError("EDGENS_ERR_XFR_MALFORMED", "answer is not a NOTIFY response");
        const q = msg.question[0];
        if (q && nameKey(q.name) !== nameKey(origin))
          throw new XfrError("EDGENS_ERR_XFR_BAD_QUESTION", "NOTIFY answer is for another zone");
        if (verifier && (msg.rcode === 0 || msg.tsig)) {
          verifier.verify(raw, msg);
          verifier.finish();
        }
        done(null, msg.rcode);
      } catch (e) {
        done(
          e instanceof XfrError || e instanceof TsigError
            ? e
            : new XfrError("EDGENS_ERR_XFR_MALFORMED", String(e)),
        );
      }
    });
    sock.on("error", (e) => done(new XfrError("EDGENS_ERR_XFR_CONNECT", e.message)));
    const send = () => sock.send(query, peer.port, peer.host);
    if (opts.localAddress) sock.bind(0, opts.localAddress, send);
    else send();
  });
}
