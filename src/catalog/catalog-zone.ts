// RFC 9432 catalog zones, version 2, consumer side: the member list of a catalog zone, and what changed
// between two lists. Pure: records in, members out; the server (src/server/secondary-host.ts) acts on it.
//
//   version.<catalog>              TXT "2"            required, exactly one (else the catalog is not processed)
//   <id>.zones.<catalog>           PTR <member>       one member per unique id
//   group.<id>.zones.<catalog>     TXT "<group>"      the member's group (mapped to settings by config)
//   coo.<id>.zones.<catalog>       PTR <catalog>      change of ownership (recorded, not acted on)
// Anything else in the catalog (SOA, NS, other properties) is ignored, as the RFC asks.
import { nameKey, nameToText } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import type { ResourceRecord } from "../zone/record.js";
import { CatalogError } from "./errors.js";

export interface CatalogMember {
  /** Member zone, presentation form, lower case (also the map key). */
  zone: string;
  /** The unique id label (presentation form). A new id for the same zone is a reset (RFC 9432 §5.6). */
  id: string;
  group: string | null;
  coo: string | null;
}

export interface ParsedCatalog {
  /** By member zone (lower case). */
  members: Map<string, CatalogMember>;
  /** Entries ignored, one line each (logged by the caller). */
  problems: string[];
}

export interface MemberChanges {
  added: CatalogMember[];
  removed: CatalogMember[];
  /** Same zone, new unique id: drop the data, transfer afresh. */
  reset: CatalogMember[];
  /** Same zone and id, another group. */
  regrouped: CatalogMember[];
}

/** The first <character-string> of TXT RDATA, latin1. */
function firstString(rdata: Buffer): string | null {
  if (rdata.length < 1 || rdata[0]! + 1 > rdata.length) return null;
  return rdata.toString("latin1", 1, 1 + rdata[0]!);
}

/** Labels of `owner` (uncompressed wire) in front of `suffixKey`, or null when it is not below it. */
function labelsBefore(owner: Buffer, suffixKey: string): Buffer[] | null {
  const key = nameKey(owner);
  if (!key.endsWith(suffixKey) || key.length === suffixKey.length) return null;
  const labels: Buffer[] = [];
  let i = 0;
  while (i < key.length - suffixKey.length) {
    const len = owner[i]!;
    labels.push(owner.subarray(i + 1, i + 1 + len));
    i += len + 1;
  }
  return i === key.length - suffixKey.length ? labels : null;
}

function labelText(label: Buffer): string {
  return nameToText(Buffer.concat([Buffer.from([label.length]), label, Buffer.from([0])])).slice(0, -1);
}

/** Parse a catalog zone's records; throws EDGENS_ERR_CATALOG_VERSION unless it says version 2. */
export function parseCatalog(origin: Buffer, records: readonly ResourceRecord[]): ParsedCatalog {
  const catalog = nameToText(origin);
  const versionKey = nameKey(Buffer.concat([Buffer.from([7]), Buffer.from("version"), origin]));
  const zonesKey = nameKey(Buffer.concat([Buffer.from([5]), Buffer.from("zones"), origin]));
  const versions = records.filter((r) => r.type === RRType.TXT && nameKey(r.owner) === versionKey);
  if (versions.length !== 1) {
    throw new CatalogError(
      "EDGENS_ERR_CATALOG_VERSION",
      `catalog ${catalog}: expected one version TXT record, found ${versions.length}`,
    );
  }
  const version = firstString(versions[0]!.rdata);
  if (version !== "2") {
    throw new CatalogError(
      "EDGENS_ERR_CATALOG_VERSION",
      `catalog ${catalog}: schema version ${JSON.stringify(version)} not supported (only "2")`,
    );
  }
  const problems: string[] = [];
  const ptrs = new Map<string, { id: string; zones: string[] }>(); // by id key
  const props = new Map<string, { group: string[]; coo: string[] }>();
  for (const r of records) {
    const labels = labelsBefore(r.owner, zonesKey);
    if (!labels) continue;
    const idLabel = labels[labels.length - 1]!;
    const idKey = idLabel.toString("latin1").toLowerCase();
    if (labels.length === 1 && r.type === RRType.PTR) {
      const e = ptrs.get(idKey) ?? { id: labelText(idLabel), zones: [] };
      e.zones.push(nameToText(Buffer.from(nameKey(r.rdata), "latin1")));
      ptrs.set(idKey, e);
    } else if (labels.length === 2) {
      const prop = labels[0]!.toString("latin1").toLowerCase();
      const p = props.get(idKey) ?? { group: [], coo: [] };
      if (prop === "group" && r.type === RRType.TXT) p.group.push(firstString(r.rdata) ?? "");
      else if (prop === "coo" && r.type === RRType.PTR) p.coo.push(nameToText(r.rdata));
      props.set(idKey, p);
    }
  }
  const members = new Map<string, CatalogMember>();
  // Sorted by id, so a zone listed under two ids resolves the same way on every node.
  for (const [idKey, e] of [...ptrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (e.zones.length !== 1) {
      problems.push(`unique id ${e.id}: ${e.zones.length} PTR records (expected one); ignored`);
      continue;
    }
    const zone = e.zones[0]!;
    const dup = members.get(zone);
    if (dup) {
      problems.push(`member ${zone} listed again under id ${e.id} (kept id ${dup.id})`);
      continue;
    }
    const p = props.get(idKey);
    if (p && p.group.length > 1)
      problems.push(`member ${zone}: ${p.group.length} group properties; using none`);
    members.set(zone, {
      zone,
      id: e.id,
      group: p?.group.length === 1 ? p.group[0]! : null,
      coo: p?.coo.length === 1 ? p.coo[0]! : null,
    });
  }
  return { members, problems };
}

/** What to do to go from `before` to `after`. */
export function diffMembers(
  before: ReadonlyMap<string, CatalogMember>,
  after: ReadonlyMap<string, CatalogMember>,
): MemberChanges {
  const out: MemberChanges = { added: [], removed: [], reset: [], regrouped: [] };
  for (const [zone, m] of after) {
    const old = before.get(zone);
    if (!old) out.added.push(m);
    else if (old.id.toLowerCase() !== m.id.toLowerCase()) out.reset.push(m);
    else if (old.group !== m.group) out.regrouped.push(m);
  }
  for (const [zone, m] of before) if (!after.has(zone)) out.removed.push(m);
  return out;
}
