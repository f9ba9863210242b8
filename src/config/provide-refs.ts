// The key names and ACL addresses a `provide` section refers to, without the zod schema around them: the
// serving processes use these at run time and need not load zod (start-up time, docs/BENCHMARKS.md).
import { isIP } from "node:net";

/** Key names compare case-insensitively, with or without the trailing dot. */
export function tsigKeyId(name: string): string {
  return (name.endsWith(".") ? name : `${name}.`).toLowerCase();
}

/** `ADDR` or `ADDR/LEN`, IPv4 or IPv6. */
export function parseAclAddress(text: string): { address: string; prefix: number; family: 4 | 6 } | null {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
  if (!m) return null;
  const family = isIP(m[1]!);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return null;
  return { address: m[1]!, prefix, family };
}
