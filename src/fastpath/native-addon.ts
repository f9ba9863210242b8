// Loads the optional libbpf addon. Without it edgens runs socket-only; the result says why and how to fix it,
// so the server can print that once at startup.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One libbpf object as the C++ side exposes it: every method returns -errno on failure. */
export interface RawBpfObject {
  open(path: string): number;
  setMaxEntries(map: string, n: number): number;
  load(): number;
  /** [fd, type, keySize, valueSize, maxEntries] */
  mapInfo(map: string): number | [number, number, number, number, number];
  mapUpdate(map: string, key: Buffer, value: Buffer, flags: number): number;
  mapLookup(map: string, key: Buffer, out: Buffer): number;
  mapDelete(map: string, key: Buffer): number;
  mapNextKey(map: string, key: Buffer | null, out: Buffer): number;
  mapUpdateBatch(map: string, keys: Buffer, values: Buffer, count: number, flags: number): number;
  /** Returns the bpf_link fd. */
  attachXdp(prog: string, ifindex: number, xdpFlags: number): number;
  detachXdp(linkFd: number): number;
  /** [retval, dataSizeOut, durationNs] */
  testRun(prog: string, dataIn: Buffer, dataOut: Buffer, repeat: number): number | [number, number, number];
  /** Kernel id of a loaded program. */
  progId(prog: string): number;
  close(): void;
}

export interface NativeAddon {
  BpfObject: new () => RawBpfObject;
  /** libbpf messages since the last call. */
  takeLog(): string;
  ifNameToIndex(name: string): number;
  /** [progId, attachMode] with attachMode 0 none, 1 driver, 2 generic (skb), 3 offload, 4 multi. */
  xdpQuery(ifindex: number): number | [number, number];
  /** Move the calling thread into the netns at `path`; returns an fd of the previous netns for leaveNetns. */
  enterNetns(path: string): number;
  leaveNetns(fd: number): number;
  numPossibleCpus(): number;
  libbpfVersion(): string;
}

export type AddonLoad =
  | { available: true; addon: NativeAddon; path: string }
  | { available: false; reason: string; fix: string };

export const ADDON_FIX =
  "install clang, llvm and libbpf-dev (apt-get install clang llvm libbpf-dev g++ make python3), " +
  "then run `node scripts/build-native.mjs` in the edgens directory";

/** Package root, from src/fastpath/ or dist/fastpath/. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const DEFAULT_ADDON_PATHS: readonly string[] = [
  join(PACKAGE_ROOT, "build", "Release", "edgens_fastpath.node"),
  join(PACKAGE_ROOT, "build", "Debug", "edgens_fastpath.node"),
];

/** Where scripts/build-native.mjs puts the compiled XDP program. */
export const DEFAULT_OBJECT_PATH = join(PACKAGE_ROOT, "native", "build", "edgens.bpf.o");
export const BOUNCE_OBJECT_PATH = join(PACKAGE_ROOT, "native", "build", "bounce.bpf.o");

const EXPORTS: readonly (keyof NativeAddon)[] = [
  "BpfObject",
  "takeLog",
  "ifNameToIndex",
  "xdpQuery",
  "enterNetns",
  "leaveNetns",
  "numPossibleCpus",
  "libbpfVersion",
];

let cached: AddonLoad | undefined;

/** Try each candidate in order; the first that loads and has every export wins. Default paths are cached. */
export function loadNativeAddon(paths: readonly string[] = DEFAULT_ADDON_PATHS): AddonLoad {
  const useCache = paths === DEFAULT_ADDON_PATHS;
  if (useCache && cached) return cached;
  const require = createRequire(import.meta.url);
  const reasons: string[] = [];
  let result: AddonLoad | undefined;
  for (const path of paths) {
    if (!existsSync(path)) {
      reasons.push(`${path} not found (not built)`);
      continue;
    }
    try {
      const mod = require(path) as Partial<NativeAddon>;
      const missing = EXPORTS.filter((k) => typeof mod[k] !== "function");
      if (missing.length > 0) {
        reasons.push(`${path} lacks ${missing.join(", ")} (stale build)`);
        continue;
      }
      result = { available: true, addon: mod as NativeAddon, path };
      break;
    } catch (err) {
      // Typically "libbpf.so.1: cannot open shared object file" when the runtime library is missing.
      reasons.push(`${path} failed to load: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  result ??= { available: false, reason: reasons.join("; ") || "no addon path given", fix: ADDON_FIX };
  if (useCache) cached = result;
  return result;
}

/** One line for the startup log when the fast path cannot be used. */
export function unavailableMessage(load: AddonLoad): string | null {
  if (load.available) return null;
  return `XDP fast path unavailable (socket-only mode): ${load.reason}. To enable it: ${load.fix}`;
}
