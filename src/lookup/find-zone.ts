// Which served zone answers a question: the most specific one (longest origin that is a suffix of the name),
// so a child zone we also serve wins over the parent's delegation to it, except for DS at the child apex,
// which is answered from the parent side of the cut (RFC 4035 §3.1.4.1), as NSD and Knot do.
import { labelOffsets } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import type { ZoneData } from "../zone/zone.js";

export function findZone(zones: ReadonlyMap<string, ZoneData>, qkey: string, qtype: number): ZoneData | null {
  const offsets = labelOffsets(qkey);
  offsets.push(qkey.length - 1); // the root
  for (let i = 0; i < offsets.length; i++) {
    const at = offsets[i]!;
    const zone = zones.get(at === 0 ? qkey : qkey.slice(at));
    if (!zone) continue;
    if (at === 0 && qtype === RRType.DS) {
      // DS at a zone apex: prefer a parent zone we also serve.
      for (let j = i + 1; j < offsets.length; j++) {
        const parent = zones.get(qkey.slice(offsets[j]!));
        if (parent) return parent;
      }
    }
    return zone;
  }
  return null;
}
