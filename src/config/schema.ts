// The zod schema of the fully merged node config (after defaults and overlays). Strict objects: an unknown key
// is an error, so typos do not silently fall back to a default.
import { z } from "zod";
import { bgpConfigSchema } from "../bgp/config.js";
import { healthConfigSchema } from "../health/config.js";
import { NameError, nameToText, parseNameText } from "../wire/name.js";
import { LISTEN_ADDRESS_HINT, parseListenAddress } from "./listen-address.js";
import { checkTsigKeyReferences, provideSchema, tsigKeysSchema } from "./provide-schema.js";
import { catalogSchema, checkSecondaryConfig, secondarySchema } from "./secondary-schema.js";
import { parseXdpInterface, XDP_INTERFACE_HINT } from "./xdp-interface.js";

const listenAddress = z.string().superRefine((value, ctx) => {
  if (parseListenAddress(value) === null) {
    ctx.addIssue({
      code: "custom",
      message: `expected ${LISTEN_ADDRESS_HINT}, got ${JSON.stringify(value)}`,
    });
  }
});

/** A zone origin: any presentation-form domain name; normalised to absolute form (trailing dot). */
export const originSchema = z.string().transform((value, ctx) => {
  try {
    const text = value.endsWith(".") ? value : `${value}.`;
    return nameToText(parseNameText(text, null));
  } catch (e) {
    const why = e instanceof NameError ? e.message : String(e);
    ctx.addIssue({
      code: "custom",
      message: `expected a domain name, got ${JSON.stringify(value)} (${why})`,
    });
    return z.NEVER;
  }
});

const nonEmpty = z.string().min(1, { error: "expected a non-empty string" });
const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const configSchema = z
  .strictObject({
    node: z.strictObject({
      site: nonEmpty.nullable(),
      nsid: z
        .string()
        .min(1)
        .max(128, { error: "expected at most 128 characters (NSID payload)" })
        .nullable(),
      identity: nonEmpty.max(255, { error: "expected at most 255 characters (one TXT string)" }),
    }),
    listen: z.array(listenAddress).min(1, { error: "expected at least one listen address" }),
    zones: z.array(
      z.strictObject({
        origin: originSchema.nullable().optional(),
        // Required unless the zone is a secondary (checked by checkSecondaryConfig).
        file: nonEmpty.optional(),
        // Primary role: who may transfer this zone, whom to NOTIFY (src/config/provide-schema.ts).
        provide: provideSchema.optional(),
        // Secondary role: transferred from hidden primaries (src/config/secondary-schema.ts).
        secondary: secondarySchema.optional(),
      }),
    ),
    // RFC 9432 catalog zones: their members are served as secondary zones (src/config/secondary-schema.ts).
    catalogs: z.array(catalogSchema.extend({ zone: originSchema })),
    // Where transferred zones persist (secondary zones, catalogs and their members).
    stateDir: nonEmpty,
    // The text copy of a transferred zone (<zone>.zone) is written this long after the first change it lacks
    // (the wire copy + journal, written at once, are what a restart loads); 0 = after every change.
    textCopyDelaySec: int(0, 86_400),
    zonesDir: nonEmpty.nullable(),
    example: z.boolean(),
    workers: int(0, 256),
    edns: z.strictObject({ maxUdpPayload: int(512, 4096) }),
    precompile: z.strictObject({ budgetMiB: int(0, 1_048_576) }),
    tcp: z.strictObject({
      idleTimeoutMs: int(100, 3_600_000),
      maxConnections: int(1, 1_000_000),
      maxConnectionsPerClient: int(1, 1_000_000),
      maxPipelined: int(1, 65_535),
      maxMessageSize: int(12, 65_535),
      maxWriteBufferBytes: int(4096, 1 << 30),
    }),
    metrics: z.strictObject({ listen: listenAddress.nullable() }),
    log: z.strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]) }),
    pidFile: nonEmpty.nullable(),
    fastpath: z
      .strictObject({
        interfaces: z.array(
          nonEmpty.refine((v) => parseXdpInterface(v) !== null, {
            error: (iss) => `expected ${XDP_INTERFACE_HINT}, got ${JSON.stringify(iss.input)}`,
          }),
        ),
        mode: z.enum(["native", "generic", "off"]),
        // Kernel response rate limiting of the XDP answers, per /24 (IPv4) or /56 (IPv6) source prefix: over
        // `responsesPerSecond` a response is dropped, every `slip`-th sent truncated (TC=1); 0 drops all.
        // Absent or null: off. Answers from the sockets are not limited.
        rateLimit: z
          .strictObject({ responsesPerSecond: int(1, 1_000_000_000), slip: int(0, 255) })
          .nullable()
          .optional(),
      })
      .superRefine((fp, ctx) => {
        if (fp.mode !== "off" && fp.interfaces.length === 0) {
          ctx.addIssue({
            code: "custom",
            path: ["interfaces"],
            message: `expected at least one interface when mode is "${fp.mode}"`,
          });
        }
      }),
    // Optional: only nodes that announce the anycast prefixes themselves (src/bgp/config.ts).
    bgp: bgpConfigSchema.optional(),
    // Health agent tuning (src/health/config.ts): rise/fall, intervals, hold-down, drain.
    health: healthConfigSchema.prefault({}),
    // TSIG keys by name, referenced by zones[].provide (transfer ACLs, NOTIFY).
    tsigKeys: tsigKeysSchema,
  })
  .superRefine((config, ctx) => {
    checkTsigKeyReferences(config, ctx);
    checkSecondaryConfig(config, ctx);
  });

export type EdgensConfig = z.output<typeof configSchema>;
