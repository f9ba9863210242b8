// Typed errors of the XDP fast path. The addon returns -errno; these carry the operation, the errno name and,
// for load failures, libbpf's log (the verifier's explanation).
import { constants } from "node:os";

export type FastPathErrorCode =
  | "EDGENS_ERR_XDP_UNAVAILABLE"
  | "EDGENS_ERR_XDP_ARGUMENT"
  | "EDGENS_ERR_XDP_OPEN"
  | "EDGENS_ERR_XDP_LOAD"
  | "EDGENS_ERR_XDP_ATTACH"
  | "EDGENS_ERR_XDP_DETACH"
  | "EDGENS_ERR_XDP_MAP"
  | "EDGENS_ERR_XDP_TEST_RUN"
  | "EDGENS_ERR_XDP_CLOSED";

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, n]) => [n, name] as [number, string]),
);

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

export class FastPathError extends Error {
  readonly code: FastPathErrorCode;
  /** Positive errno from the kernel/libbpf, or 0 when not an OS error. */
  readonly errno: number;
  /** libbpf messages collected during the failed call (verifier log on load). */
  readonly log: string;

  constructor(code: FastPathErrorCode, message: string, errno = 0, log = "") {
    super(errno ? `${message}: ${errnoName(errno)}` : message);
    this.name = "FastPathError";
    this.code = code;
    this.errno = Math.abs(errno);
    this.log = log;
  }
}

/** Throw a typed error when an addon call returned a negative errno; returns the (non-negative) result. */
export function check(ret: number, code: FastPathErrorCode, what: string, log = ""): number {
  if (ret < 0) throw new FastPathError(code, what, -ret, log);
  return ret;
}
