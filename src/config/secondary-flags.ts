// The secondary-role flags of `edgens serve` → config overlay entries:
//   --secondary ORIGIN=ADDR:PORT   a secondary zone's primary (repeat for more primaries, tried in order)
//   --catalog ORIGIN=ADDR:PORT     an RFC 9432 catalog zone and its primary (members pull from it too)
//   --tsig NAME:ALGORITHM:SECRET   the key for every flag primary (transfers, SOA queries, NOTIFY); at most one
//   --allow-notify ADDR            accept NOTIFY from ADDR too (besides the primaries), for every flag zone
//   --state-dir DIR                where transferred zones persist (flag-only runs: ./edgens-state)
import { parseTsigKey } from "../transfer/tsig.js";
import { LISTEN_ADDRESS_HINT, parseListenAddress } from "./listen-address.js";
import type { Plain } from "./merge.js";

interface Values {
  config?: string;
  secondary?: string[];
  catalog?: string[];
  tsig?: string[];
  "allow-notify"?: string[];
  "state-dir"?: string;
}

/** `ORIGIN=ADDR:PORT` lists grouped by origin (first-seen order), primaries in flag order. */
function byOrigin(flag: string, specs: string[], problems: string[]): Map<string, Plain[]> {
  const out = new Map<string, Plain[]>();
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    const addr = eq > 0 ? parseListenAddress(spec.slice(eq + 1)) : null;
    if (!addr) {
      problems.push(`--${flag}: expected ORIGIN=${LISTEN_ADDRESS_HINT}, got ${JSON.stringify(spec)}`);
      continue;
    }
    const origin = spec.slice(0, eq);
    const key = (origin.endsWith(".") ? origin : `${origin}.`).toLowerCase();
    const list = out.get(key) ?? [];
    list.push({ address: addr.host, port: addr.port });
    out.set(key, list);
  }
  return out;
}

export function secondaryFlags(values: Values, overlay: Plain, problems: string[]): void {
  const secondaries = byOrigin("secondary", values.secondary ?? [], problems);
  const catalogs = byOrigin("catalog", values.catalog ?? [], problems);
  const any = secondaries.size > 0 || catalogs.size > 0;
  let keyName: string | undefined;
  const tsig = values.tsig ?? [];
  if (tsig.length > 1) problems.push("--tsig: give one key (per-primary keys need a config file: tsigKeys)");
  if (tsig.length === 1) {
    try {
      const k = parseTsigKey(tsig[0]!);
      keyName = tsig[0]!.split(":")[0]!;
      overlay.tsigKeys = { [keyName]: { algorithm: k.algorithm, secret: k.secret.toString("base64") } };
    } catch (e) {
      problems.push(`--tsig: ${(e as Error).message}`);
    }
  }
  const allowNotify = values["allow-notify"] ?? [];
  if (!any && (tsig.length > 0 || allowNotify.length > 0)) {
    problems.push("--tsig and --allow-notify apply to --secondary/--catalog primaries: give one of those");
  }
  const withKey = (ps: Plain[]) => (keyName ? ps.map((p) => ({ ...p, tsigKey: keyName })) : ps);
  if (secondaries.size > 0) {
    const zones = Array.isArray(overlay.zones) ? (overlay.zones as Plain[]) : [];
    for (const [origin, primaries] of secondaries) {
      zones.push({ origin, secondary: { primaries: withKey(primaries), allowNotify } });
    }
    overlay.zones = zones;
  }
  if (catalogs.size > 0) {
    overlay.catalogs = [...catalogs].map(([zone, primaries]) => ({
      zone,
      primaries: withKey(primaries),
      allowNotify,
    }));
  }
  if (values["state-dir"] !== undefined) overlay.stateDir = values["state-dir"];
  else if (any && values.config === undefined) overlay.stateDir = "edgens-state";
}
