// The seam between transports (UDP/TCP sockets, later XDP) and the query processor: bytes in, bytes out.

export type Transport = "udp" | "tcp";

/** Filled in by the responder for each query so transports can count it without re-parsing. */
export interface QueryOutcome {
  /** Question type, or -1 when the question could not be parsed. */
  qtype: number;
  /** Response rcode (incl. extended bits), or -1 when the query was dropped. */
  rcode: number;
  /** True when a UDP response was truncated (TC=1). */
  truncated: boolean;
}

/** Where a message came from (the server routes NOTIFY with it; the query responder ignores it). */
export interface RemoteAddress {
  address: string;
  port: number;
}

export interface Responder {
  /**
   * Answer one DNS message as received on `transport`. Returns the response, or null when the message must be
   * dropped silently (e.g. QR=1). Never throws: malformed input yields FORMERR or null.
   */
  respond(query: Buffer, transport: Transport, outcome: QueryOutcome, remote?: RemoteAddress): Buffer | null;
}

export function newOutcome(): QueryOutcome {
  return { qtype: -1, rcode: -1, truncated: false };
}
