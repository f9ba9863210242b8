// Typed errors of the secondary zone manager, and the stable `reason` label every refresh failure is counted
// under (metrics, status, logs). Callers branch on codes and reasons, never on message text.
import { TsigError, XfrError } from "../transfer/errors.js";

export type SecondaryErrorCode =
  /** The primary's serial is older than ours (RFC 1982): its data is rejected, ours kept. */
  | "EDGENS_ERR_SECONDARY_SERIAL_BACKWARDS"
  /** The transferred zone fails the zone checks (the same ones as zone files). */
  | "EDGENS_ERR_SECONDARY_INVALID_ZONE"
  /** Writing the zone copy or its timing state to disk failed. */
  | "EDGENS_ERR_SECONDARY_PERSIST"
  /** The persisted copy on disk is unreadable or fails the checks. */
  | "EDGENS_ERR_SECONDARY_STORE"
  /** The zone was stopped while a refresh was in flight. */
  | "EDGENS_ERR_SECONDARY_STOPPED";

export class SecondaryError extends Error {
  override readonly name = "SecondaryError";
  constructor(
    readonly code: SecondaryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Failure reasons, the `reason` label of `edgens_zone_transfer_failures_total`. */
export type FailureReason =
  | "timeout"
  | "connect"
  | "tsig"
  | "rcode"
  | "malformed"
  | "too-big"
  | "serial-backwards"
  | "invalid-zone"
  | "persist"
  | "internal";

export function failureReason(e: unknown): FailureReason {
  if (e instanceof SecondaryError) {
    switch (e.code) {
      case "EDGENS_ERR_SECONDARY_SERIAL_BACKWARDS":
        return "serial-backwards";
      case "EDGENS_ERR_SECONDARY_INVALID_ZONE":
        return "invalid-zone";
      case "EDGENS_ERR_SECONDARY_PERSIST":
        return "persist";
      default:
        return "internal";
    }
  }
  if (e instanceof TsigError) return "tsig";
  if (e instanceof XfrError) {
    switch (e.code) {
      case "EDGENS_ERR_XFR_TIMEOUT":
        return "timeout";
      case "EDGENS_ERR_XFR_CONNECT":
      case "EDGENS_ERR_XFR_CUT_OFF":
        return "connect";
      case "EDGENS_ERR_XFR_RCODE":
        // NOTAUTH to a signed query is how some primaries say the TSIG did not verify.
        return e.rcode === 9 ? "tsig" : "rcode";
      case "EDGENS_ERR_XFR_TOO_BIG":
        return "too-big";
      default:
        return "malformed";
    }
  }
  return "internal";
}
