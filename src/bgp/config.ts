// The `bgp:` section of the node config: who we peer with, what we announce and how ExaBGP runs the health
// agent. Cross-field rules (address families, next hops, prepend) live here too, so a rendered config that
// passes this schema is one ExaBGP accepts. Issue paths are relative to the section; the config loader
// prefixes `bgp.`.
import { z } from "zod";
import { token } from "./exabgp-syntax.js";
import { addressFamily, addressKey, type Family, parsePrefix, prefixKey } from "./ip-prefix.js";

export const EDGENS_ERR_BGP_CONFIG = "EDGENS_ERR_BGP_CONFIG";

/** RFC 8326 GRACEFUL_SHUTDOWN: receivers lower the route's preference, so traffic moves before withdrawal. */
export const GRACEFUL_SHUTDOWN_COMMUNITY = "65535:0";

const FAMILIES = ["ipv4", "ipv6"] as const;

// 0 is reserved, 23456 is AS_TRANS (RFC 6793) and 4294967295 is reserved (RFC 7300).
const asn = z
  .number()
  .int()
  .min(1)
  .max(4294967294)
  .refine((n) => n !== 23456, "23456 is AS_TRANS and cannot be a real AS number");

const ipAddress = z.string().refine((s) => addressFamily(s) !== null, "must be an IPv4 or IPv6 address");
const ipv4Address = z.string().refine((s) => addressFamily(s) === "ipv4", "must be an IPv4 address");

const u16 = (s: string) => /^\d{1,5}$/.test(s) && Number(s) <= 0xffff;
const u32 = (s: string) => /^\d{1,10}$/.test(s) && Number(s) <= 0xffffffff;

const standardCommunity = z
  .string()
  .refine(
    (s) => s.split(":").length === 2 && s.split(":").every(u16),
    "must be a community ASN:VALUE (0-65535 each)",
  );
const largeCommunity = z
  .string()
  .refine(
    (s) => s.split(":").length === 3 && s.split(":").every(u32),
    "must be a large community GLOBAL:LOCAL1:LOCAL2 (0-4294967295 each)",
  );

/** RFC 4271 §4.2: 0 (no keepalives — a hung peer is never detected, so refused here) or at least 3 s. */
const holdTime = z.number().int().min(3).max(65535);

const absolutePath = z
  .string()
  .refine((s) => s.startsWith("/"), "must be an absolute path")
  .refine((s) => token(s) !== null, "must be printable ASCII without quote characters");

/** Names written bare into exabgp.env (an INI file read by Python's ConfigParser, where `%` interpolates). */
const envWord = z.string().regex(/^[A-Za-z0-9_./-]+$/, "may only contain letters, digits and _ . / -");

const neighborSchema = z.strictObject({
  /** Peer address; its family is the session's transport. */
  address: ipAddress,
  peerAs: asn,
  /** Our side of the session: the source address, and what `next-hop self` resolves to. */
  localAddress: ipAddress,
  /** Overrides the section's holdTime for this peer. */
  holdTime: holdTime.optional(),
  /** TCP MD5 (RFC 2385). Linux keys are at most 80 bytes. */
  md5Password: z
    .string()
    .min(1)
    .max(80)
    .refine((s) => token(s) !== null, "must be printable ASCII without quote characters")
    .optional(),
  /** Address families carried on this session; default: the family of `address`. */
  families: z
    .array(z.enum(FAMILIES))
    .min(1)
    .refine((f) => new Set(f).size === f.length, "must not repeat a family")
    .optional(),
  description: z
    .string()
    .max(200)
    .refine((s) => token(s) !== null, "must be printable ASCII without quote characters")
    .optional(),
});

const prefixSchema = z.strictObject({
  /** An anycast service prefix, e.g. 192.0.2.53/32 or 2001:db8:53::/48. */
  prefix: z.string().refine((s) => parsePrefix(s) !== null, "must be an IPv4 or IPv6 prefix ADDRESS/LENGTH"),
  /** `self` (the session's local address) or an address of the prefix's family. */
  nextHop: z
    .string()
    .refine((s) => s === "self" || addressFamily(s) !== null, "must be 'self' or an IP address")
    .default("self"),
});

const apiSchema = z.strictObject({
  /** Name of the ExaBGP `process` section. */
  processName: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "may only contain letters, digits, _ and -")
    .default("edgens-health"),
  /** The node binary ExaBGP starts (ExaBGP requires an absolute, executable path). */
  node: absolutePath.default("/usr/bin/node"),
  /** The edgens CLI entry point. */
  cli: absolutePath.default("/usr/lib/edgens/dist/cli/main.js"),
  /** Node config file passed to the health agent. */
  config: absolutePath.default("/etc/edgens/edgens.yaml"),
  /** Optional per-site overlay passed to the health agent. */
  site: absolutePath.optional(),
  /** Replaces the whole command line (argv) — for wrappers and tests. The first word must be absolute. */
  run: z
    .array(z.string().refine((s) => token(s) !== null, "must be printable ASCII without quote characters"))
    .min(1)
    .refine((a) => a[0]?.startsWith("/") === true, "the program (first word) must be an absolute path")
    .optional(),
});

const envSchema = z.strictObject({
  /** User ExaBGP drops to after start (Debian's default env says `exabgp`, which may not exist). */
  user: envWord.default("root"),
  /**
   * ExaBGP's CLI pipes (default off: every instance would share /run/exabgp/exabgp.{in,out}). Set a
   * pipename to enable it with per-instance pipes.
   */
  pipename: envWord.optional(),
  /** ExaBGP answers `done`/`error` on the agent's stdin after each command. */
  ack: z.boolean().default(true),
  /** Respawn a dying agent; after more than 5 deaths within ~64 s ExaBGP shuts down (fail closed). */
  respawn: z.boolean().default(true),
  /** Shut ExaBGP down (dropping the sessions) when the agent cannot be started or written to. */
  terminate: z.boolean().default(true),
  log: z
    .strictObject({
      level: z.enum(["DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL"]).default("INFO"),
      /** stdout, stderr, syslog, or an absolute file path. */
      destination: envWord
        .refine((s) => ["stdout", "stderr", "syslog"].includes(s) || s.startsWith("/"), {
          message: "must be stdout, stderr, syslog or an absolute path",
        })
        .default("stdout"),
      /** Log every route change (noisy; useful in the lab). */
      routes: z.boolean().default(false),
    })
    .prefault({}),
});

/**
 * BFD between the site routers and an FRR `bfdd` on this host (`edgens bgp render` writes bfdd.conf). ExaBGP
 * has no BFD: without it a hung host is noticed only by the hold timer. 100 ms × 3 detects in ~0.3–0.45 s.
 */
const bfdSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Desired transmit and required receive interval (ms); the session runs at the slower side's value. */
  intervalMs: z.number().int().min(10).max(60_000).default(100),
  /** Missed packets before the session is declared down. */
  multiplier: z.number().int().min(2).max(255).default(3),
});

export const bgpConfigSchema = z
  .strictObject({
    localAs: asn,
    routerId: ipv4Address,
    /**
     * Hold time offered to every neighbor (the session uses the smaller of both sides). 9 s: keepalives every
     * 3 s, a dead host or hung ExaBGP is noticed after 9 s; see docs/BGP.md.
     */
    holdTime: holdTime.default(9),
    neighbors: z.array(neighborSchema).min(1),
    prefixes: z.array(prefixSchema).min(1),
    communities: z.array(standardCommunity).default([]),
    largeCommunities: z.array(largeCommunity).default([]),
    med: z.number().int().min(0).max(4294967295).optional(),
    /** Extra copies of localAs in the AS_PATH (eBGP only). */
    prepend: z.number().int().min(0).max(16).default(0),
    /** Added to every announcement while draining (RFC 8326), before the route is withdrawn. */
    drainCommunity: standardCommunity.default(GRACEFUL_SHUTDOWN_COMMUNITY),
    api: apiSchema.prefault({}),
    env: envSchema.prefault({}),
    bfd: bfdSchema.prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    const seenPeers = new Map<string, number>();
    const carried = new Set<Family>();
    cfg.neighbors.forEach((n, i) => {
      const fam = addressFamily(n.address);
      const localFam = addressFamily(n.localAddress);
      if (fam && localFam && fam !== localFam) {
        issue(
          ["neighbors", i, "localAddress"],
          `must be an ${fam} address like the neighbor address ${n.address}`,
        );
      }
      const key = addressKey(n.address);
      const prev = seenPeers.get(key);
      if (prev !== undefined) issue(["neighbors", i, "address"], `duplicates neighbors.${prev}.address`);
      seenPeers.set(key, i);
      if (cfg.prepend > 0 && n.peerAs === cfg.localAs) {
        issue(
          ["prepend"],
          `AS-path prepend is for eBGP; neighbors.${i} (${n.address}) is iBGP and would see its own AS in the path`,
        );
      }
      for (const f of neighborFamilies(n)) carried.add(f);
    });

    const seenPrefixes = new Map<string, number>();
    cfg.prefixes.forEach((p, i) => {
      const parsed = parsePrefix(p.prefix);
      if (!parsed) return;
      if (!parsed.canonical) issue(["prefixes", i, "prefix"], "has host bits set beyond the prefix length");
      const prev = seenPrefixes.get(prefixKey(p.prefix));
      if (prev !== undefined) issue(["prefixes", i, "prefix"], `duplicates prefixes.${prev}.prefix`);
      seenPrefixes.set(prefixKey(p.prefix), i);
      if (!carried.has(parsed.family)) {
        issue(
          ["prefixes", i, "prefix"],
          `is ${parsed.family} but no neighbor carries the ${parsed.family} family`,
        );
      }
      if (p.nextHop !== "self") {
        const nhFam = addressFamily(p.nextHop);
        if (nhFam !== parsed.family) {
          issue(
            ["prefixes", i, "nextHop"],
            `must be an ${parsed.family} address for the ${parsed.family} prefix`,
          );
        }
        return;
      }
      // `next-hop self` resolves to the session's local address: an IPv6 route over an IPv4 session would get
      // an IPv4 next hop, which the peer rejects.
      cfg.neighbors.forEach((n, j) => {
        if (neighborFamilies(n).includes(parsed.family) && addressFamily(n.address) !== parsed.family) {
          issue(
            ["prefixes", i, "nextHop"],
            `'self' would be the ${addressFamily(n.localAddress)} address of neighbors.${j} (${n.address}), ` +
              `which carries ${parsed.family}: give an explicit ${parsed.family} next hop`,
          );
        }
      });
    });
  });

export type BgpConfig = z.output<typeof bgpConfigSchema>;
export type BgpConfigInput = z.input<typeof bgpConfigSchema>;
export type BgpNeighbor = BgpConfig["neighbors"][number];
export type BgpPrefix = BgpConfig["prefixes"][number];

/** The families a neighbor carries: explicit, else the family of its address. */
export function neighborFamilies(n: { address: string; families?: readonly Family[] | undefined }): Family[] {
  if (n.families) return [...n.families];
  const fam = addressFamily(n.address);
  return fam ? [fam] : [];
}

export interface BgpConfigIssue {
  /** Dotted key path, e.g. `bgp.neighbors.1.peerAs`. */
  path: string;
  message: string;
}

export class BgpConfigError extends Error {
  readonly code = EDGENS_ERR_BGP_CONFIG;
  constructor(
    readonly issues: BgpConfigIssue[],
    readonly source?: string,
  ) {
    super(
      `${source ? `${source}: ` : ""}invalid BGP config:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`,
    );
    this.name = "BgpConfigError";
  }
}

/**
 * Validates the `bgp:` section. Throws BgpConfigError whose issues name the key path (prefixed with
 * `prefix`, default `bgp`). The result is deeply frozen.
 */
export function parseBgpConfig(input: unknown, opts: { prefix?: string; source?: string } = {}): BgpConfig {
  const result = bgpConfigSchema.safeParse(input);
  if (!result.success) {
    const prefix = opts.prefix ?? "bgp";
    const at = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter((s) => s !== "").join(".");
    const issues = result.error.issues.flatMap((i): BgpConfigIssue[] => {
      // One issue per unknown key, at the key itself: that is where the typo is.
      if (i.code === "unrecognized_keys") {
        return i.keys.map((k) => ({ path: at([...i.path, k]), message: "unknown key" }));
      }
      const missing = i.code === "invalid_type" && /received undefined$/.test(i.message);
      return [{ path: at(i.path), message: missing ? `is required (${i.expected})` : i.message }];
    });
    throw new BgpConfigError(issues, opts.source);
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
