// `ADDR:PORT` and `[v6]:PORT` listen addresses. Every address is an explicit IP (never a wildcard or host name)
// so each socket is bound to it and replies leave from the address the query arrived on.
import { isIPv4, isIPv6 } from "node:net";

export interface ListenAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

export const LISTEN_ADDRESS_HINT = '"ADDR:PORT" (e.g. 192.0.2.1:53 or [2001:db8::1]:53)';

/** Parse `192.0.2.1:53` or `[2001:db8::1]:53`; null when the text is not such an address. */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^\[([^\]]+)\]:([0-9]{1,5})$/.exec(text) ?? /^([^:[\]]+):([0-9]{1,5})$/.exec(text);
  if (!m) return null;
  const host = m[1]!;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  const bracketed = text.startsWith("[");
  if (bracketed && isIPv6(host)) return { host, port, family: 6 };
  if (!bracketed && isIPv4(host)) return { host, port, family: 4 };
  return null;
}

/** Presentation form, with brackets around IPv6 hosts. */
export function formatListenAddress(addr: { host: string; port: number; family?: number }): string {
  return addr.host.includes(":") ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}
