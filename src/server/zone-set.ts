// The zones one serving process holds: which zones the config names, loading them aside, and keeping the last
// good data of any zone whose reload fails (the old data keeps serving; the reason is logged with file:line).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { EdgensConfig } from "../config/schema.js";
import { EXAMPLE_ORIGIN, EXAMPLE_ZONE_TEXT } from "../example/example-zone.js";
import { nameToText, parseNameText } from "../wire/name.js";
import { RRType } from "../wire/rrtype.js";
import { type Diagnostic, formatDiagnostic, hasErrors } from "../zone/diagnostic.js";
import { loadZoneFile, ZoneLoadError } from "../zone/load-zone-file.js";
import { parseMasterFile } from "../zone/master-parser.js";
import type { ResourceRecord } from "../zone/record.js";
import type { ZoneData } from "../zone/zone.js";
import { checkZone } from "../zone/zone-check.js";
import { buildZone } from "../zone/zone-image.js";

/** Where one zone comes from. */
export interface ZoneSpec {
  /** Stable identity across reloads: the file path, or "example". */
  id: string;
  /** Configured origin (absolute presentation form), or null = from the file's $ORIGIN / SOA owner. */
  origin: string | null;
  file: string | null;
  /** Zone text held in memory (the embedded example zone). */
  text?: string;
}

export interface ServedZone {
  spec: ZoneSpec;
  /** Origin in presentation form: the metrics label and log field. */
  name: string;
  data: ZoneData;
  serial: number;
  records: number;
  loadSeconds: number;
}

export interface ZoneFailure {
  spec: ZoneSpec;
  /** Best known zone name for the label: the origin if known, else the file. */
  name: string;
  /** One line per problem, `file:line:column: error: message [code]`. */
  reasons: string[];
}

export interface ZoneLoadResult {
  /** The zones to serve now: newly loaded ones plus the old data of zones that failed. */
  zones: ServedZone[];
  loaded: ServedZone[];
  failures: ZoneFailure[];
}

export class ZoneSpecError extends Error {
  readonly code = "EDGENS_ERR_ZONES_DIR";
}

/** The zones a config names: `zones`, every `NAME.zone` in `zonesDir` (origin NAME), and the example. */
export function zoneSpecs(config: EdgensConfig): ZoneSpec[] {
  // Secondary zones (no file) are held by src/server/secondary-table.ts.
  const specs: ZoneSpec[] = config.zones.flatMap((z) =>
    z.file === undefined ? [] : [{ id: z.file, origin: z.origin ?? null, file: z.file }],
  );
  if (config.zonesDir) {
    let entries: string[];
    try {
      entries = readdirSync(config.zonesDir).filter((f) => f.endsWith(".zone") && f.length > 5);
    } catch (e) {
      throw new ZoneSpecError(`zonesDir ${config.zonesDir}: ${(e as Error).message}`);
    }
    for (const f of entries.sort()) {
      const file = join(config.zonesDir, f);
      const base = f.slice(0, -".zone".length);
      specs.push({ id: file, origin: base.endsWith(".") ? base : `${base}.`, file });
    }
  }
  if (config.example)
    specs.push({ id: "example", origin: EXAMPLE_ORIGIN, file: null, text: EXAMPLE_ZONE_TEXT });
  return specs;
}

/** SOA SERIAL: the first 4 octets after MNAME and RNAME (uncompressed wire names). */
export function soaSerial(rdata: Buffer): number {
  let i = 0;
  for (let names = 0; names < 2; names++) {
    while (rdata[i] !== 0) i += rdata[i]! + 1;
    i++;
  }
  return rdata.readUInt32BE(i);
}

function parseText(spec: ZoneSpec): { origin: Buffer; records: ResourceRecord[] } {
  const file = spec.file ?? `<${spec.id}>`;
  const origin = spec.origin ? parseNameText(spec.origin, null) : null;
  const parsed = parseMasterFile(spec.text!, { file, origin });
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  if (parsed.origin) diagnostics.push(...checkZone(parsed.origin, parsed.records, file));
  if (hasErrors(diagnostics) || !parsed.origin) throw new ZoneLoadError(file, diagnostics);
  return { origin: parsed.origin, records: parsed.records };
}

export class ZoneSet {
  private current = new Map<string, ServedZone>();

  get served(): ServedZone[] {
    return [...this.current.values()];
  }

  /**
   * Load every spec aside. Zones that load replace their old data; zones that fail keep their old data (if any).
   * Zones no longer named are dropped. Two specs with the same origin: the later one fails.
   */
  load(specs: ZoneSpec[]): ZoneLoadResult {
    const next = new Map<string, ServedZone>();
    const loaded: ServedZone[] = [];
    const failures: ZoneFailure[] = [];
    const byOrigin = new Map<string, ZoneSpec>();
    for (const spec of specs) {
      const old = this.current.get(spec.id);
      const start = performance.now();
      try {
        const { origin, records } = spec.text
          ? parseText(spec)
          : loadZoneFile(spec.file!, spec.origin ? parseNameText(spec.origin, null) : null);
        const data = buildZone(origin, records);
        const name = nameToText(origin);
        const key = data.originKey;
        const dup = byOrigin.get(key);
        if (dup) throw new Error(`zone ${name} is already loaded from ${dup.file ?? dup.id}`);
        byOrigin.set(key, spec);
        const soa = data.apex.rrsets.get(RRType.SOA)!;
        const served: ServedZone = {
          spec,
          name,
          data,
          serial: soaSerial(soa.rdataAt(0)),
          records: records.length,
          loadSeconds: (performance.now() - start) / 1000,
        };
        next.set(spec.id, served);
        loaded.push(served);
      } catch (e) {
        const reasons =
          e instanceof ZoneLoadError
            ? e.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)
            : [`${spec.file ?? spec.id}: ${(e as Error).message}`];
        failures.push({ spec, name: old?.name ?? spec.origin ?? spec.file ?? spec.id, reasons });
        if (old && !byOrigin.has(old.data.originKey)) {
          byOrigin.set(old.data.originKey, spec);
          next.set(spec.id, old);
        }
      }
    }
    this.current = next;
    return { zones: [...next.values()], loaded, failures };
  }
}
