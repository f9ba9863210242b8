// One DNS-over-TCP exchange (RFC 7766 framing: 2-octet length before each message): send a query, hand each
// answer message to a callback until it says the response is complete. Bounded by a per-message (idle) timeout,
// a whole-exchange timeout and a byte cap; a connection that closes early is a typed "cut off" error.
import { createConnection } from "node:net";
import { XfrError } from "./errors.js";

export interface Endpoint {
  host: string;
  port: number;
}

export interface StreamLimits {
  /** Longest wait for the connection and for each next message, ms. */
  messageTimeoutMs: number;
  /** Longest time for the whole exchange, ms. */
  totalTimeoutMs: number;
  /** Largest number of response bytes accepted. */
  maxBytes: number;
}

/**
 * Send `query` and feed each response message to `onMessage`, which returns true once the response is complete
 * (or throws to abort). Resolves after the last message; the connection is closed either way.
 */
export function tcpExchange(
  to: Endpoint,
  query: Buffer,
  limits: StreamLimits,
  onMessage: (msg: Buffer, totalBytes: number) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: to.host, port: to.port });
    let settled = false;
    let pending: Buffer = Buffer.alloc(0);
    let total = 0;
    const where = `${to.host}#${to.port}`;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(whole);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onIdle = () =>
      finish(
        new XfrError(
          "EDGENS_ERR_XFR_TIMEOUT",
          `no message from ${where} within ${limits.messageTimeoutMs} ms`,
        ),
      );
    let idle = setTimeout(onIdle, limits.messageTimeoutMs);
    const whole = setTimeout(
      () =>
        finish(
          new XfrError(
            "EDGENS_ERR_XFR_TIMEOUT",
            `transfer from ${where} took longer than ${limits.totalTimeoutMs} ms`,
          ),
        ),
      limits.totalTimeoutMs,
    );
    sock.setNoDelay(true);
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on("data", (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > limits.maxBytes) {
        finish(
          new XfrError("EDGENS_ERR_XFR_TOO_BIG", `response from ${where} exceeds ${limits.maxBytes} bytes`),
        );
        return;
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      try {
        while (pending.length >= 2) {
          const len = pending.readUInt16BE(0);
          if (pending.length < 2 + len) break;
          const msg = pending.subarray(2, 2 + len);
          pending = pending.subarray(2 + len);
          clearTimeout(idle);
          idle = setTimeout(onIdle, limits.messageTimeoutMs);
          if (onMessage(msg, total)) {
            finish();
            return;
          }
        }
      } catch (e) {
        finish(e as Error);
      }
    });
    sock.on("error", (e: NodeJS.ErrnoException) => {
      const code =
        total === 0 && e.code !== "ECONNRESET" ? "EDGENS_ERR_XFR_CONNECT" : "EDGENS_ERR_XFR_CUT_OFF";
      finish(new XfrError(code, `${where}: ${e.message}`));
    });
    sock.on("close", () =>
      finish(
        new XfrError(
          "EDGENS_ERR_XFR_CUT_OFF",
          `${where} closed the connection before the response was complete`,
        ),
      ),
    );
  });
}
