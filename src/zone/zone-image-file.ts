// A zone image (src/zone/zone-image.ts) as one file, read back without building anything: the image is a
// few typed arrays and Buffers with no pointers, so its bytes are the zone. For processes of one host (a
// cluster's workers, issue #6: one image per cluster instead of one build per worker), not a portable format:
// the arrays keep this machine's byte order, which the header records and the reader checks.
//
// Layout: "EDGIMG01"; then u32 little-endian: byte-order mark, serial, name count, zone class, and the byte
// length of each of the image's 9 sections; then each section, padded to 8 bytes. Zones with an NSEC3 chain
// are not written (those records are kept beside the image, as objects).
import { readFileSync } from "node:fs";
import { nameKey } from "../wire/name.js";
import type { ZoneData } from "./zone.js";
import { ImageNodes, ZoneImage, zoneOfImage } from "./zone-image.js";

const MAGIC = Buffer.from("EDGIMG01", "latin1");
const SECTIONS = 9;
const HEADER = MAGIC.length + 4 * (4 + SECTIONS);
/** Read as a native Uint32: 0x01020304 on a little-endian machine, 0x04030201 on a big-endian one. */
const BYTE_ORDER = 0x01020304;

export class ZoneImageFileError extends Error {
  readonly code = "EDGENS_ERR_ZONE_IMAGE_FILE";
}

const pad8 = (n: number) => (n + 7) & ~7;

/** Whether `buf` starts as a zone image file does. */
export function isZoneImage(buf: Buffer): boolean {
  return buf.length >= MAGIC.length && buf.subarray(0, MAGIC.length).equals(MAGIC);
}

/** The records of a zone read from an image (all in the image: zones with NSEC3 are not written). */
export function countImageRecords(data: ZoneData): number {
  const image = imageOfZone(data);
  if (!image) throw new ZoneImageFileError("not a zone as built");
  return image.recordCount();
}

/** The image of `data` when it is one as built (no IXFR layer over it, no NSEC3 chain), else null. */
export function imageOfZone(data: ZoneData): ZoneImage | null {
  return data.nodes instanceof ImageNodes && data.nsec3 === null ? data.nodes.image : null;
}

/** The file's bytes for `data` at `serial`, as chunks (header, then each section and its padding). */
export function encodeZoneImage(data: ZoneData, serial: number): Buffer[] {
  const image = imageOfZone(data);
  if (!image) throw new ZoneImageFileError("only a zone as built, without NSEC3, is written as an image");
  const sections = image.sections();
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header, 0);
  let at = MAGIC.length;
  new Uint32Array(header.buffer, header.byteOffset + at, 1)[0] = BYTE_ORDER;
  at += 4;
  for (const v of [serial >>> 0, image.nameCount, data.class]) at = header.writeUInt32LE(v, at);
  for (const s of sections) at = header.writeUInt32LE(s.byteLength, at);
  const out: Buffer[] = [header];
  for (const s of sections) {
    out.push(Buffer.from(s.buffer, s.byteOffset, s.byteLength));
    const pad = pad8(s.byteLength) - s.byteLength;
    if (pad > 0) out.push(Buffer.alloc(pad));
  }
  return out;
}

/**
 * The zone in `buf` (a whole file, which the zone then uses: no copy when it is 8-aligned), whose origin must
 * be `origin`. Throws ZoneImageFileError naming what is wrong.
 */
export function decodeZoneImage(buf: Buffer, origin: Buffer): { serial: number; data: ZoneData } {
  if (buf.length < HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC))
    throw new ZoneImageFileError(`not a zone image file (${buf.length} bytes, bad header)`);
  // Typed-array views need aligned offsets: a Buffer from the pool may not be.
  const b = buf.byteOffset % 8 === 0 ? buf : Buffer.from(buf);
  if (new Uint32Array(b.buffer, b.byteOffset + MAGIC.length, 1)[0] !== BYTE_ORDER)
    throw new ZoneImageFileError("written on a machine of the other byte order");
  let at = MAGIC.length + 4;
  const serial = b.readUInt32LE(at);
  const nameCount = b.readUInt32LE(at + 4);
  const zoneClass = b.readUInt32LE(at + 8);
  at += 12;
  const lengths: number[] = [];
  for (let i = 0; i < SECTIONS; i++, at += 4) lengths.push(b.readUInt32LE(at));
  const size = HEADER + lengths.reduce((n, l) => n + pad8(l), 0);
  if (size !== b.length) throw new ZoneImageFileError(`${b.length} bytes where the header says ${size}`);
  const sections: Uint8Array[] = [];
  for (const l of lengths) {
    sections.push(new Uint8Array(b.buffer, b.byteOffset + at, l));
    at += pad8(l);
  }
  let image: ZoneImage;
  try {
    image = ZoneImage.fromSections(nameCount, sections);
    if (nameCount === 0 || image.key(0) !== nameKey(origin)) throw new Error("another zone's image");
  } catch (e) {
    throw new ZoneImageFileError(`not an image of this zone: ${(e as Error).message}`);
  }
  return { serial, data: zoneOfImage(image, zoneClass) };
}

/** `decodeZoneImage` of the file at `path`. */
export function readZoneImage(path: string, origin: Buffer): { serial: number; data: ZoneData } {
  return decodeZoneImage(readFileSync(path), origin);
}
