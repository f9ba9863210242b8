// Escaping for ExaBGP 4.2 configuration text. ExaBGP's tokeniser (configuration/core/format.py) first turns
// `\x` into `x` (and `\n`, `\t`, `\uXXXX` into characters), then splits on blanks and on `; { } [ ] ,` and
// strips `#` comments — except inside '…' or "…". Quotes have no escape of their own, and any quote character
// inside a quoted string toggles the quoting (even the other kind). So a value is safe bare only without any
// of those characters, and can be quoted only when it holds no quote character at all.

/** Characters that end or split a bare ExaBGP token. */
const SPECIAL = /[\s;{}[\],#'"\\]/;

/** True when `text` can be written as one bare ExaBGP token. */
export function isBareToken(text: string): boolean {
  return text.length > 0 && !SPECIAL.test(text);
}

/** Printable ASCII only: no control characters (they would end the line or be eaten by the unescaper). */
export function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/**
 * Quotes `text` as one ExaBGP token, or returns null when that is impossible (control characters or quote
 * characters). Backslashes are doubled because ExaBGP unescapes the line before tokenising it.
 */
export function quoteToken(text: string): string | null {
  if (!isPrintableAscii(text) || /['"]/.test(text)) return null;
  return `"${text.replaceAll("\\", "\\\\")}"`;
}

/** Bare when possible (easier to read), quoted otherwise; null when it cannot be written at all. */
export function token(text: string): string | null {
  return isBareToken(text) ? text : quoteToken(text);
}
