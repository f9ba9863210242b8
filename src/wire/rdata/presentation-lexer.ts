// Lexer for RFC 1035 §5.1 presentation text: splits the input into entries (one logical line each; parentheses
// join physical lines), and entries into tokens. Comments (`;`) are dropped; quotes are removed from tokens while
// backslash escapes are kept as written, so each field codec decodes escapes the way its type needs. A quote
// may start mid-token (SVCB `alpn="h2,h3"`). Lexical errors are attached to the entry; lexing always finishes.

export interface Token {
  /** Token text: quotes removed, backslash escapes kept. */
  text: string;
  /** True when the token began with a quote (so `"\#"` or `"$TTL"` are data, not syntax). */
  quoted: boolean;
  line: number;
  /** 1-based column of the token's first character. */
  column: number;
  /** Position just after the token, for "missing field" errors. */
  endLine: number;
  endColumn: number;
}

export interface LexError {
  line: number;
  column: number;
  message: string;
}

export interface Entry {
  tokens: Token[];
  /** The entry's first physical line starts with a blank: the owner is omitted (RFC 1035 §5.1). */
  blankOwner: boolean;
  line: number;
  errors: LexError[];
}

const isBlank = (c: string) => c === " " || c === "\t" || c === "\r";

/** Characters that end a plain run inside a token: newline, quote, backslash, and outside quotes delimiters. */
function isSpecialIn(c: number, inQuote: boolean): boolean {
  if (c === 0x0a || c === 0x22 || c === 0x5c) return true;
  if (inQuote) return false;
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x3b || c === 0x28 || c === 0x29;
}

/** Entries one at a time, so a big zone file is never held as tokens all at once. */
export function* lexEntries(text: string): Generator<Entry> {
  const entries: Entry[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  let depth = 0;
  let openLine = 0;
  let openCol = 0;
  let openNextLine = 0; // index where the line after the open '(' starts

  let entry: Entry = { tokens: [], blankOwner: isBlank(text[0] ?? ""), line: 1, errors: [] };
  let atLineStart = true;

  const finish = () => {
    if (entry.tokens.length > 0 || entry.errors.length > 0) entries.push(entry);
  };
  const advance = () => {
    if (text[i] === "\n") {
      line++;
      col = 1;
    } else col++;
    i++;
  };

  for (;;) {
    while (entries.length > 0) yield entries.shift()!;
    if (i >= text.length) {
      if (depth === 0) break;
      // An unclosed '(' swallowed the rest of the input: report it, drop that entry, and lex again from the
      // line after the '(' so later records are still read (and their errors reported).
      entry.errors.push({
        line: openLine,
        column: openCol,
        message: "unbalanced parentheses: '(' not closed",
      });
      entry.tokens = [];
      finish();
      entry = { tokens: [], blankOwner: false, line, errors: [] };
      i = openNextLine;
      line = openLine + 1;
      col = 1;
      depth = 0;
      atLineStart = true;
      continue;
    }
    const c = text[i]!;
    if (atLineStart && depth === 0) {
      // A new physical line outside parentheses starts a new entry.
      if (entry.tokens.length > 0 || entry.errors.length > 0) {
        finish();
      }
      entry = { tokens: [], blankOwner: isBlank(c), line, errors: [] };
    }
    atLineStart = false;
    if (c === "\n") {
      advance();
      atLineStart = true;
      continue;
    }
    if (isBlank(c)) {
      advance();
      continue;
    }
    if (c === ";") {
      while (i < text.length && text[i] !== "\n") advance();
      continue;
    }
    if (c === "(") {
      if (depth === 0) {
        openLine = line;
        openCol = col;
        const nl = text.indexOf("\n", i);
        openNextLine = nl < 0 ? text.length : nl + 1;
      }
      depth++;
      advance();
      continue;
    }
    if (c === ")") {
      if (depth === 0)
        entry.errors.push({ line, column: col, message: "unbalanced parentheses: ')' without '('" });
      else depth--;
      advance();
      continue;
    }
    // A token: runs to a blank, newline, `;` or parenthesis outside quotes.
    const tok: Token = { text: "", quoted: c === '"', line, column: col, endLine: line, endColumn: col };
    let inQuote = false;
    let quoteLine = 0;
    let quoteCol = 0;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === "\n") {
        if (inQuote) {
          entry.errors.push({ line: quoteLine, column: quoteCol, message: "unterminated quoted string" });
          inQuote = false;
        }
        break;
      }
      if (!inQuote && (isBlank(ch) || ch === ";" || ch === "(" || ch === ")")) break;
      if (ch === '"') {
        if (!inQuote) {
          quoteLine = line;
          quoteCol = col;
        }
        inQuote = !inQuote;
        advance();
        continue;
      }
      if (ch === "\\") {
        if (i + 1 >= text.length || text[i + 1] === "\n") {
          entry.errors.push({ line, column: col, message: "dangling backslash at end of line" });
          advance();
          continue;
        }
        tok.text += ch + text[i + 1]!;
        advance();
        advance();
        continue;
      }
      // Plain run: take it in one slice (columns only move, no newline can be inside).
      let j = i + 1;
      while (j < text.length && !isSpecialIn(text.charCodeAt(j), inQuote)) j++;
      tok.text += text.slice(i, j);
      col += j - i;
      i = j;
    }
    if (inQuote)
      entry.errors.push({ line: quoteLine, column: quoteCol, message: "unterminated quoted string" });
    tok.endLine = line;
    tok.endColumn = col;
    entry.tokens.push(tok);
  }
  finish();
  yield* entries;
}

/** The RDATA fields of a presentation string such as `10 mail.example.` (a convenience for tests and tools). */
export function splitPresentation(text: string): string[] {
  return [...lexEntries(text.replace(/\n/g, " "))].flatMap((e) => {
    if (e.errors.length > 0) throw new Error(e.errors[0]!.message);
    return e.tokens.map((t) => t.text);
  });
}
