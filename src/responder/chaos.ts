// CHAOS-class identity (`id.server.` RFC 4892, and the older `hostname.bind.`) so operators can tell which
// node of an anycast group answered. Everything else in class CH is REFUSED, as NSD does.
import { nameKey, parseNameText } from "../wire/name.js";

const IDENTITY_NAMES = new Set([
  nameKey(parseNameText("id.server.", null)),
  nameKey(parseNameText("hostname.bind.", null)),
]);

export function isIdentityName(qkey: string): boolean {
  return IDENTITY_NAMES.has(qkey);
}

/** TXT RDATA holding `identity`, split into character-strings of at most 255 octets. */
export function identityTxtRdata(identity: string): Buffer {
  const bytes = Buffer.from(identity, "utf8");
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
    if (bytes.length === 0) break;
  }
  return Buffer.concat(parts);
}
