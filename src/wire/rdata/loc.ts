// LOC (RFC 1876): `d1 [m1 [s1]] N|S d2 [m2 [s2]] E|W alt[m] [size[m] [hp[m] [vp[m]]]]` ↔ 16 octets.
import { RdataTextError } from "./text-fields.js";

const EQUATOR = 2 ** 31;
const ALT_BASE = 10_000_000; // altitudes are cm above 100 km below the WGS 84 spheroid

function parseCoord(fields: string[], i: number, pos: string, neg: string, maxDeg: number) {
  const start = i;
  const want = (what: string) => {
    if (i >= fields.length) throw new RdataTextError(`missing field: expected ${what}`, fields.length);
    return fields[i]!;
  };
  const deg = want("degrees");
  if (!/^[0-9]{1,3}$/.test(deg) || Number(deg) > maxDeg) throw new RdataTextError(`bad degrees '${deg}'`, i);
  let ms = Number(deg) * 3_600_000;
  i++;
  for (const [unit, max, re] of [
    [60_000, 59, /^[0-9]{1,2}$/],
    [1000, 59.999, /^[0-9]{1,2}(\.[0-9]{1,3})?$/],
  ] as const) {
    const f = want(`${pos} or ${neg}`);
    if (f.toUpperCase() === pos || f.toUpperCase() === neg) break;
    if (!re.test(f) || Number(f) > max) throw new RdataTextError(`bad minutes/seconds '${f}'`, i);
    ms += Math.round(Number(f) * unit);
    i++;
  }
  const hemi = want(`${pos} or ${neg}`).toUpperCase();
  if (hemi !== pos && hemi !== neg)
    throw new RdataTextError(`expected ${pos} or ${neg}, got '${fields[i]}'`, i);
  if (ms > maxDeg * 3_600_000) throw new RdataTextError("coordinate out of range", start);
  return { value: hemi === pos ? EQUATOR + ms : EQUATOR - ms, next: i + 1 };
}

function parseMeters(text: string, i: number, allowNeg: boolean): number {
  const re = allowNeg ? /^-?[0-9]{1,8}(\.[0-9]{1,2})?[mM]?$/ : /^[0-9]{1,8}(\.[0-9]{1,2})?[mM]?$/;
  if (!re.test(text)) throw new RdataTextError(`bad distance '${text}'`, i);
  return Math.round(Number(text.replace(/[mM]$/, "")) * 100);
}

function precSize(cm: number, i: number): number {
  let e = 0;
  while (e < 9 && cm >= 10 ** (e + 1)) e++;
  const m = Math.floor(cm / 10 ** e);
  if (m > 9) throw new RdataTextError("size/precision too large", i);
  return (m << 4) | e;
}

export function locFromText(fields: string[]): Buffer {
  const lat = parseCoord(fields, 0, "N", "S", 90);
  const lon = parseCoord(fields, lat.next, "E", "W", 180);
  let i = lon.next;
  if (i >= fields.length) throw new RdataTextError("missing field: expected altitude", i);
  const alt = parseMeters(fields[i]!, i, true) + ALT_BASE;
  if (alt < 0 || alt > 0xffffffff) throw new RdataTextError("altitude out of range", i);
  i++;
  const prec = [0x12, 0x16, 0x13]; // defaults: size 1m, horizontal 10km, vertical 10m
  for (let k = 0; k < 3 && i < fields.length; k++, i++)
    prec[k] = precSize(parseMeters(fields[i]!, i, false), i);
  if (i < fields.length) throw new RdataTextError(`trailing garbage '${fields[i]}'`, i);
  const out = Buffer.alloc(16);
  out[0] = 0;
  out[1] = prec[0]!;
  out[2] = prec[1]!;
  out[3] = prec[2]!;
  out.writeUInt32BE(lat.value, 4);
  out.writeUInt32BE(lon.value, 8);
  out.writeUInt32BE(alt, 12);
  return out;
}

function coordToText(v: number, pos: string, neg: string, maxDeg: number): string {
  let ms = v - EQUATOR;
  const hemi = ms < 0 ? neg : pos;
  ms = Math.abs(ms);
  if (ms > maxDeg * 3_600_000) throw new Error("coordinate out of range");
  const deg = Math.floor(ms / 3_600_000);
  const min = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  return `${deg} ${min} ${sec.toFixed(3)} ${hemi}`;
}

function metersText(cm: number): string {
  const sign = cm < 0 ? "-" : "";
  const a = Math.abs(cm);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}m`;
}

function precToText(b: number): string {
  const m = b >> 4;
  const e = b & 15;
  if (m > 9 || e > 9 || (m === 0 && e !== 0)) throw new Error("bad or non-canonical precision");
  return metersText(m * 10 ** e);
}

export function locToText(b: Buffer): string {
  if (b.length !== 16 || b[0] !== 0) throw new Error("unsupported LOC version or length");
  return [
    coordToText(b.readUInt32BE(4), "N", "S", 90),
    coordToText(b.readUInt32BE(8), "E", "W", 180),
    metersText(b.readUInt32BE(12) - ALT_BASE),
    precToText(b[1]!),
    precToText(b[2]!),
    precToText(b[3]!),
  ].join(" ");
}
