// Normalize a DNS response into presentation terms so that two servers' answers can be compared field by field:
// rcode (with the EDNS extended bits), the QR/AA/TC/RD flags, EDNS presence (version, DO, NSID), the question,
// and each section as sorted RR presentation strings with TTLs. The OPT record leaves the additional section
// and becomes the `edns` field; its advertised UDP size is an implementation choice and is not compared.
import type dnsPacket from "dns-packet";
import { decode, parseHeader } from "./dns-client.js";

export interface Normalized {
  rcode: string;
  flags: string;
  question: string[];
  edns: string;
  answer: string[];
  authority: string[];
  additional: string[];
}

export type Field = keyof Normalized;
export const FIELDS: readonly Field[] = [
  "rcode",
  "flags",
  "question",
  "edns",
  "answer",
  "authority",
  "additional",
];

const RCODES: Record<number, string> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  9: "NOTAUTH",
  16: "BADVERS",
};

/** Absolute presentation name; dns-packet drops the trailing dot. */
function abs(name: string): string {
  if (name === "" || name === ".") return ".";
  return name.endsWith(".") ? name : `${name}.`;
}

function quoteString(s: Buffer | string): string {
  const b = typeof s === "string" ? Buffer.from(s) : s;
  let out = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c < 0x20 || c >= 0x7f) out += `\\${c.toString().padStart(3, "0")}`;
    else out += String.fromCharCode(c);
  }
  return `${out}"`;
}

function hex(b: Buffer): string {
  return b.toString("hex").toUpperCase();
}

// biome-ignore lint/suspicious/noExplicitAny: dns-packet's decoded RDATA is a per-type union
function rdataText(type: string, data: any): string {
  switch (type) {
    case "A":
    case "AAAA":
      return String(data);
    case "NS":
    case "CNAME":
    case "DNAME":
    case "PTR":
      return abs(data);
    case "SOA":
      return `${abs(data.mname)} ${abs(data.rname)} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
    case "MX":
      return `${data.preference} ${abs(data.exchange)}`;
    case "SRV":
      return `${data.priority} ${data.weight} ${data.port} ${abs(data.target)}`;
    case "TXT":
      return (Array.isArray(data) ? data : [data]).map(quoteString).join(" ");
    case "HINFO":
      return `${quoteString(data.cpu)} ${quoteString(data.os)}`;
    case "CAA":
      return `${data.flags} ${data.tag} ${quoteString(data.value)}`;
    case "DS":
      return `${data.keyTag} ${data.algorithm} ${data.digestType} ${hex(data.digest)}`;
    default:
      if (Buffer.isBuffer(data)) return `\\# ${data.length}${data.length ? ` ${hex(data)}` : ""}`;
      return JSON.stringify(data);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: see rdataText
function rrText(rr: any): string {
  return `${abs(rr.name)} ${rr.ttl} ${rr.class} ${rr.type} ${rdataText(rr.type, rr.data)}`;
}

function sorted(list: string[]): string[] {
  return [...list].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()) || a.localeCompare(b));
}

/** A response that could not be obtained (timeout, refused connection) normalizes to this. */
export function failed(reason: string): Normalized {
  return {
    rcode: `NO-RESPONSE (${reason})`,
    flags: "",
    question: [],
    edns: "",
    answer: [],
    authority: [],
    additional: [],
  };
}

export function normalize(bytes: Buffer): Normalized {
  const h = parseHeader(bytes);
  const p: dnsPacket.Packet | null = decode(bytes);
  if (!p) return { ...failed("undecodable"), rcode: `UNDECODABLE rcode=${h.rcode}` };
  // biome-ignore lint/suspicious/noExplicitAny: dns-packet types OPT loosely
  const opt = (p.additionals ?? []).find((rr: any) => rr.type === "OPT") as any;
  const rcodeNum = h.rcode | ((opt?.extendedRcode ?? 0) << 4);
  const flags = [h.qr && "qr", h.aa && "aa", h.tc && "tc", h.rd && "rd"].filter(Boolean).join(" ");
  let edns = "none";
  if (opt) {
    const parts = [`v${opt.ednsVersion}`];
    if (opt.flag_do) parts.push("do");
    for (const o of opt.options ?? []) {
      if (o.code === 3) parts.push(`nsid=${quoteString(o.data ?? Buffer.alloc(0))}`);
      else if (o.code === 15 && o.data?.length >= 2) parts.push(`ede=${o.data.readUInt16BE(0)}`);
      else parts.push(`opt${o.code}`);
    }
    edns = parts.join(" ");
  }
  return {
    rcode: RCODES[rcodeNum] ?? `RCODE${rcodeNum}`,
    flags,
    question: (p.questions ?? []).map((q) => `${abs(q.name)} ${q.class} ${q.type}`),
    edns,
    answer: sorted((p.answers ?? []).map(rrText)),
    authority: sorted((p.authorities ?? []).map(rrText)),
    // biome-ignore lint/suspicious/noExplicitAny: see above
    additional: sorted((p.additionals ?? []).filter((rr: any) => rr.type !== "OPT").map(rrText)),
  };
}

export interface FieldDiff {
  field: Field;
  a: string;
  b: string;
}

function fieldText(n: Normalized, f: Field): string {
  const v = n[f];
  return Array.isArray(v) ? v.join("\n") : v;
}

/** The fields in which two normalized responses differ. */
export function diff(a: Normalized, b: Normalized): FieldDiff[] {
  return FIELDS.filter((f) => fieldText(a, f) !== fieldText(b, f)).map((f) => ({
    field: f,
    a: fieldText(a, f),
    b: fieldText(b, f),
  }));
}

/** Multi-line presentation of a normalized response, for reports and failure messages. */
export function render(n: Normalized): string {
  const lines = [
    `rcode=${n.rcode} flags=[${n.flags}] edns=${n.edns}`,
    `;; QUESTION ${n.question.join(" | ")}`,
  ];
  for (const s of ["answer", "authority", "additional"] as const) {
    lines.push(`;; ${s.toUpperCase()}`, ...n[s].map((r) => `  ${r}`));
  }
  return lines.join("\n");
}
