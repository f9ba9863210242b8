// Typed errors of the transfer-in path. Callers branch on `code` (stable), never on the message text.

export type XfrErrorCode =
  | "EDGENS_ERR_XFR_TIMEOUT"
  | "EDGENS_ERR_XFR_CONNECT"
  | "EDGENS_ERR_XFR_CUT_OFF"
  | "EDGENS_ERR_XFR_TOO_BIG"
  | "EDGENS_ERR_XFR_RCODE"
  | "EDGENS_ERR_XFR_MALFORMED"
  | "EDGENS_ERR_XFR_BAD_ID"
  | "EDGENS_ERR_XFR_BAD_QUESTION"
  | "EDGENS_ERR_XFR_OUT_OF_ZONE"
  | "EDGENS_ERR_XFR_BAD_SOA"
  | "EDGENS_ERR_XFR_IXFR_APPLY";

export class XfrError extends Error {
  override readonly name = "XfrError";
  constructor(
    readonly code: XfrErrorCode,
    message: string,
    /** DNS RCODE of the answer, for EDGENS_ERR_XFR_RCODE. */
    readonly rcode?: number,
  ) {
    super(message);
  }
}

export type TsigErrorCode =
  | "EDGENS_ERR_TSIG_BADKEY"
  | "EDGENS_ERR_TSIG_BADSIG"
  | "EDGENS_ERR_TSIG_BADTIME"
  | "EDGENS_ERR_TSIG_BADTRUNC"
  | "EDGENS_ERR_TSIG_BADALG"
  | "EDGENS_ERR_TSIG_UNSIGNED"
  | "EDGENS_ERR_TSIG_FORMAT"
  | "EDGENS_ERR_TSIG_KEY_SYNTAX";

export class TsigError extends Error {
  override readonly name = "TsigError";
  constructor(
    readonly code: TsigErrorCode,
    message: string,
    /** The TSIG error field the peer sent (16 BADSIG, 17 BADKEY, 18 BADTIME, 22 BADTRUNC), when it sent one. */
    readonly tsigError?: number,
  ) {
    super(message);
  }
}
