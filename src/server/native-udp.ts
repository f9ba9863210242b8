// The optional batch-UDP addon (build/Release/edgens_udp.node): a socket of its own per worker (SO_REUSEPORT,
// so every cluster worker gets its own receive queue), drained with recvmmsg on the Node loop and answered with
// sendmmsg. One JS call per batch instead of one per datagram plus one per send. Without the addon the UDP
// transport uses node:dgram; loadNativeUdp() says why and how to fix it.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { constants, endianness } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ListenAddress } from "../config/listen-address.js";
import type { RemoteAddress } from "../responder/types.js";

/** The C++ socket: every method returns -errno on failure. */
export interface RawUdpSocket {
  start(): number;
  /** Send txMeta[0 .. 3*count): returns how many datagrams the kernel refused, or -errno. */
  flush(count: number): number;
  close(): void;
}

export interface NativeUdpAddon {
  /** Returns the fd, or -errno. */
  openUdp(
    family: 4 | 6,
    addr: Buffer,
    port: number,
    rcvbuf: number,
    sndbuf: number,
    reusePort: number,
  ): number;
  /** [localPort, rcvbuf, sndbuf] or -errno. */
  socketInfo(fd: number): number | [number, number, number];
  closeFd(fd: number): number;
  UdpSocket: new (
    fd: number,
    batch: number,
    slot: number,
    rounds: number,
    rx: Buffer,
    rxMeta: Int32Array,
    peers: Buffer,
    tx: Buffer,
    txMeta: Int32Array,
    onBatch: (count: number) => void,
  ) => RawUdpSocket;
}

export type NativeUdpLoad =
  | { available: true; addon: NativeUdpAddon; path: string }
  | { available: false; reason: string; fix: string };

export const NATIVE_UDP_FIX =
  "install a C++ toolchain (apt-get install g++ make python3), then run `npm run build:native` in the edgens directory";

/** sizeof(struct sockaddr_in6): the slot each peer address gets in the peers buffer. */
export const PEER_SIZE = 28;

/** build/{Release,Debug}/edgens_udp.node in the package root, found from src/server/, dist/server/ or a copy. */
function defaultPaths(): string[] {
  const paths: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  // Bounded walk up: the compiled tree may sit a few levels below the package root (e.g. a cache directory).
  for (let i = 0; i < 6; i++) {
    dir = dirname(dir);
    paths.push(
      join(dir, "build", "Release", "edgens_udp.node"),
      join(dir, "build", "Debug", "edgens_udp.node"),
    );
  }
  return paths;
}

export const DEFAULT_NATIVE_UDP_PATHS: readonly string[] = defaultPaths();
const EXPORTS = ["openUdp", "socketInfo", "closeFd", "UdpSocket"] as const;
let cached: NativeUdpLoad | undefined;

/** Try each candidate in order; the first that loads with every export wins. Default paths are cached. */
export function loadNativeUdp(paths: readonly string[] = DEFAULT_NATIVE_UDP_PATHS): NativeUdpLoad {
  const useCache = paths === DEFAULT_NATIVE_UDP_PATHS;
  if (useCache && cached) return cached;
  const require = createRequire(import.meta.url);
  const reasons: string[] = [];
  let result: NativeUdpLoad | undefined;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    try {
      const mod = require(path) as Partial<NativeUdpAddon>;
      const missing = EXPORTS.filter((k) => typeof mod[k] !== "function");
      if (missing.length > 0) {
        reasons.push(`${path} lacks ${missing.join(", ")} (stale build)`);
        continue;
      }
      result = { available: true, addon: mod as NativeUdpAddon, path };
      break;
    } catch (err) {
      reasons.push(`${path} failed to load: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  result ??= {
    available: false,
    reason: reasons.join("; ") || "build/Release/edgens_udp.node not found (not built)",
    fix: NATIVE_UDP_FIX,
  };
  if (useCache) cached = result;
  return result;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** Shaped like the errors node:dgram raises (code = errno name), so callers handle both transports alike. */
export class NativeUdpError extends Error {
  readonly code: string;
  constructor(
    readonly syscall: string,
    readonly errno: number,
  ) {
    const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
    super(`${syscall} ${code}`);
    this.code = code;
  }
}

/** The 4 or 16 bytes of an IP literal (ListenAddress hosts are validated IPs). */
export function ipBytes(host: string, family: 4 | 6): Buffer {
  if (family === 4) return Buffer.from(host.split(".").map(Number));
  // A trailing dotted quad (::ffff:192.0.2.1) becomes two hex groups.
  const text = host.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_m, a, b, c, d) =>
      `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const gap = text.indexOf("::");
  const all =
    gap < 0
      ? groups(text)
      : (() => {
          const head = groups(text.slice(0, gap));
          const tail = groups(text.slice(gap + 2));
          return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
        })();
  const out = Buffer.alloc(16);
  all.forEach((g, i) => {
    out.writeUInt16BE(g, 2 * i);
  });
  return out;
}

const LITTLE_ENDIAN = endianness() === "LE";

/** The peer address the kernel stored in slot `i` (sockaddr_in or sockaddr_in6). */
export function peerAddress(peers: Buffer, i: number): RemoteAddress {
  const base = i * PEER_SIZE;
  const port = peers.readUInt16BE(base + 2);
  // sa_family is in host byte order; AF_INET is 2 on Linux.
  const family = LITTLE_ENDIAN ? peers.readUInt16LE(base) : peers.readUInt16BE(base);
  if (family === 2) {
    return { address: `${peers[base + 4]}.${peers[base + 5]}.${peers[base + 6]}.${peers[base + 7]}`, port };
  }
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) groups.push(peers.readUInt16BE(base + 8 + 2 * g).toString(16));
  // Compress the longest run of zero groups (RFC 5952), as node:dgram's rinfo.address does.
  let best = -1;
  let bestLen = 1;
  for (let s = 0; s < 8; s++) {
    let e = s;
    while (e < 8 && groups[e] === "0") e++;
    if (e - s > bestLen) {
      best = s;
      bestLen = e - s;
    }
  }
  const address =
    best < 0
      ? groups.join(":")
      : `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
  return { address, port };
}

export interface BatchSocketOptions {
  /** Datagrams per recvmmsg/sendmmsg call. */
  batch: number;
  /** Receive slot per datagram; larger datagrams are reported with length -1. */
  slot: number;
  /** recvmmsg batches per loop wakeup before yielding to timers, TCP and IPC. */
  rounds: number;
  recvBufferSize: number;
  sendBufferSize: number;
  /** SO_REUSEPORT: each cluster worker binds the same address with its own receive queue. */
  reusePort: boolean;
}

/** One bound batch socket: onBatch(n) sees datagrams 0..n-1 in rx/rxMeta/peers and answers via tx/txMeta. */
export class BatchUdpSocket {
  readonly rx: Buffer;
  /** Per datagram: length (-1 when larger than the slot), peer address length. */
  readonly rxMeta: Int32Array;
  readonly peers: Buffer;
  readonly tx: Buffer;
  /** Per answer: offset in tx, length, index of the datagram it answers. */
  readonly txMeta: Int32Array;
  readonly port: number;
  readonly recvBufferSize: number;
  private readonly raw: RawUdpSocket;

  constructor(
    addon: NativeUdpAddon,
    addr: ListenAddress,
    readonly opts: BatchSocketOptions,
    onBatch: (count: number) => void,
  ) {
    const { batch, slot } = opts;
    this.rx = Buffer.alloc(batch * slot);
    this.rxMeta = new Int32Array(2 * batch);
    this.peers = Buffer.alloc(batch * PEER_SIZE);
    // Any UDP answer (<= 65535 bytes) fits after a flush.
    this.tx = Buffer.alloc(Math.max(65536, batch * 2048));
    this.txMeta = new Int32Array(3 * batch);
    const fd = addon.openUdp(
      addr.family,
      ipBytes(addr.host, addr.family),
      addr.port,
      opts.recvBufferSize,
      opts.sendBufferSize,
      opts.reusePort ? 1 : 0,
    );
    if (fd < 0) throw new NativeUdpError("bind", -fd);
    const info = addon.socketInfo(fd);
    this.port = typeof info === "number" ? addr.port : info[0];
    this.recvBufferSize = typeof info === "number" ? 0 : info[1];
    this.raw = new addon.UdpSocket(
      fd,
      batch,
      slot,
      opts.rounds,
      this.rx,
      this.rxMeta,
      this.peers,
      this.tx,
      this.txMeta,
      onBatch,
    );
    const err = this.raw.start();
    if (err < 0) {
      this.raw.close();
      throw new NativeUdpError("uv_poll_start", -err);
    }
  }

  /** Send answers 0..count-1 of txMeta; returns how many the kernel refused. */
  flush(count: number): number {
    const r = this.raw.flush(count);
    if (r < 0) throw new NativeUdpError("sendmmsg", -r);
    return r;
  }

  close(): void {
    this.raw.close();
  }
}
