// Config of the secondary role (docs/CONFIG.md "Secondary zones and catalogs"): `zones[].secondary` (primaries
// with an optional key from `tsigKeys`, extra NOTIFY sources, SOA timer clamps), `catalogs` (RFC 9432 catalog
// zones whose members become secondary zones) and the checks that tie them to the rest of the config.
import { isIP } from "node:net";
import { z } from "zod";
import { tsigKeyId } from "./provide-schema.js";

const nonEmpty = z.string().min(1, { error: "expected a non-empty string" });

const ipAddress = z.string().refine((v) => isIP(v) !== 0, {
  error: (iss) => `expected an IPv4 or IPv6 address, got ${JSON.stringify(iss.input)}`,
});

const clamp = z
  .strictObject({ min: z.number().int().min(1).optional(), max: z.number().int().min(1).optional() })
  .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, {
    error: "expected min <= max",
  });

/** A hidden primary: address, port (53) and the TSIG key (a `tsigKeys` name) for SOA queries, transfers, NOTIFY. */
export const primarySchema = z.strictObject({
  address: ipAddress,
  port: z.number().int().min(1).max(65_535).default(53),
  tsigKey: nonEmpty.optional(),
});

const pullSchema = {
  /** Tried in order on every check. */
  primaries: z.array(primarySchema).min(1, { error: "expected at least one primary" }),
  /** NOTIFY is accepted from the primaries and from these addresses. */
  allowNotify: z.array(ipAddress).default([]),
  /** Bounds (seconds) for the SOA refresh/retry/expire timers; defaults: Knot's minima. */
  clamps: z
    .strictObject({ refresh: clamp.optional(), retry: clamp.optional(), expire: clamp.optional() })
    .optional(),
};

export const secondarySchema = z.strictObject(pullSchema);

export const catalogSchema = z.strictObject({
  /** The catalog zone (RFC 9432 version 2); itself transferred from `primaries`, never served to clients. */
  zone: nonEmpty,
  ...pullSchema,
  /** Member zones whose `group` property names a key here use these settings instead of the catalog's. */
  groups: z
    .record(
      nonEmpty,
      // No defaults here: what a group leaves out comes from the catalog.
      z.strictObject({
        primaries: pullSchema.primaries.optional(),
        allowNotify: z.array(ipAddress).optional(),
        clamps: pullSchema.clamps,
      }),
    )
    .default({}),
});

export type SecondaryConfig = z.output<typeof secondarySchema>;
export type CatalogConfig = z.output<typeof catalogSchema>;
export type PrimaryConfig = z.output<typeof primarySchema>;

interface SecondaryRefs {
  tsigKeys: Record<string, unknown>;
  zones: {
    origin?: string | null | undefined;
    file?: string | undefined;
    secondary?: SecondaryConfig | undefined;
  }[];
  catalogs: CatalogConfig[];
}

/** A zone is a file or a secondary (with an origin); keys named by primaries exist; no zone twice. */
export function checkSecondaryConfig(config: SecondaryRefs, ctx: z.RefinementCtx): void {
  const known = new Set(Object.keys(config.tsigKeys).map(tsigKeyId));
  const checkKeys = (primaries: PrimaryConfig[] | undefined, path: (string | number)[]) => {
    primaries?.forEach((p, i) => {
      if (p.tsigKey !== undefined && !known.has(tsigKeyId(p.tsigKey))) {
        ctx.addIssue({
          code: "custom",
          path: [...path, i, "tsigKey"],
          message: `unknown TSIG key ${JSON.stringify(p.tsigKey)} (not in tsigKeys)`,
        });
      }
    });
  };
  const seen = new Map<string, string>();
  const claim = (origin: string, where: string, path: (string | number)[]) => {
    const k = origin.toLowerCase();
    const other = seen.get(k);
    if (other)
      ctx.addIssue({ code: "custom", path, message: `zone ${origin} is already configured (${other})` });
    else seen.set(k, where);
  };
  config.zones.forEach((zone, i) => {
    if (zone.secondary) {
      if (zone.file !== undefined) {
        ctx.addIssue({ code: "custom", path: ["zones", i, "file"], message: "a secondary zone has no file" });
      }
      if (!zone.origin) {
        ctx.addIssue({
          code: "custom",
          path: ["zones", i, "origin"],
          message: "a secondary zone needs an origin",
        });
      } else claim(zone.origin, `zones[${i}]`, ["zones", i, "origin"]);
      checkKeys(zone.secondary.primaries, ["zones", i, "secondary", "primaries"]);
    } else if (zone.file === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["zones", i, "file"],
        message: "expected string, received undefined (a zone needs a file, or a secondary section)",
      });
    }
  });
  config.catalogs.forEach((c, i) => {
    claim(c.zone, `catalogs[${i}]`, ["catalogs", i, "zone"]);
    checkKeys(c.primaries, ["catalogs", i, "primaries"]);
    for (const [g, s] of Object.entries(c.groups))
      checkKeys(s.primaries, ["catalogs", i, "groups", g, "primaries"]);
  });
}
