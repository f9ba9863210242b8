// Command-line flags of `edgens health-agent` → validated agent settings. Kept apart from the loop so a future
// `--config FILE` (the node's YAML, src/config/) can produce the same settings object.
import { BlockList } from "node:net";
import { parseArgs } from "node:util";
import type dnsPacket from "dns-packet";
import { parsePrefix } from "../bgp/ip-prefix.js";
import { ConfigError } from "../config/errors.js";
import { formatListenAddress, type ListenAddress, parseListenAddress } from "../config/listen-address.js";
import { loadConfig } from "../config/load-config.js";
import type { EdgensConfig } from "../config/schema.js";
import { DEFAULT_ADMIN_STATE_FILE } from "./admin-state.js";
import { type AgentPrefix, HealthConfigError } from "./agent.js";
import type { DnsCheckSpec } from "./checks.js";
import { type HealthConfig, healthConfigSchema } from "./config.js";
import type { RouteLineConfig } from "./route-effects.js";
import type { MachineConfig } from "./state-machine.js";

export interface AgentSettings {
  prefixes: AgentPrefix[];
  dnsChecks: DnsCheckSpec[];
  readyzUrl: string | null;
  /** The server's /metrics URL when the XDP fast path must be attached; null when not checked. */
  xdpMetricsUrl: string | null;
  readyzTimeoutMs: number;
  machine: MachineConfig;
  routes: RouteLineConfig;
  drainPrepend: number;
  adminStateFile: string;
  metrics: ListenAddress | null;
  logLevel: string;
}

/** Shipped defaults (the schema's); docs/HEALTH.md argues each against the lab's failover figures. */
export const AGENT_DEFAULTS: Readonly<HealthConfig> = Object.freeze(healthConfigSchema.parse({}));

export const AGENT_USAGE = `usage: edgens health-agent [options]   (run by ExaBGP as its API process)
  --prefix P                anycast prefix to announce, e.g. 192.0.2.53/32 (repeatable; family from the address)
  --check-udp ADDR:PORT     DNS check over UDP to a service address (repeatable; [v6]:PORT for IPv6)
  --check-tcp ADDR:PORT     DNS check over TCP (repeatable)
  --name NAME               name to query on every service address (repeatable; default: none, required)
  --qtype TYPE              query type (default SOA)
  --expect-rcode RCODE      expected response code (default NOERROR)
  --expect-aa               require the AA bit
  --expect-serial N         require this SOA serial
  --expect-answer DATA      require exactly these answer records' data (repeatable)
  --readyz URL              the DNS server's readiness URL (200 ready, else zone not ready/expired)
  --expect-xdp URL          require the XDP fast path attached, read from the server's /metrics URL
                            (default with --config: on when fastpath.mode is not off)
  --rise N --fall N         good checks before announcing / failed checks before withdrawing (default 2 / 2)
  --interval-ms N           check interval (default 100); --fast-interval-ms N while a change is pending (50)
  --timeout-ms N            per-check timeout (default 150)
  --hold-down-ms N          re-announce hold-down after a flap, doubled per repeated flap (default 1000)
  --hold-down-max-ms N      cap of the hold-down (default 60000); --hold-down-decay-ms N forget one flap (60000)
  --drain-wait-ms N         graceful-shutdown announce → withdrawal on drain (default 3000)
  --next-hop ADDR|self      next hop of the routes (default self)
  --community C             community on every announcement (repeatable)
  --local-as N --prepend N  AS-path prepend on every announcement (needs --local-as)
  --drain-prepend N         extra prepends while draining (needs --local-as; default 0)
  --drain-community C       drain community (default 65535:0, RFC 8326 GRACEFUL_SHUTDOWN)
  --admin-state FILE        durable drain state (default ${DEFAULT_ADMIN_STATE_FILE})
  --metrics ADDR:PORT       serve the agent's own /metrics there
  --log-level LEVEL         pino level for the JSON logs on stderr (default info)
  --config FILE [--site FILE]
                            take prefixes, route attributes (bgp:), service addresses (listen:), zone names
                            (zones:) and the readiness URL (metrics.listen) from the node config; the flags
                            above override or add to them
`;

function int(name: string, text: string | undefined, dflt: number, min = 0): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text) || Number(text) < min) {
    throw new HealthConfigError(`--${name}: expected an integer ≥ ${min}, got '${text}'`);
  }
  return Number(text);
}

function target(flag: string, text: string): ListenAddress {
  const a = parseListenAddress(text);
  if (!a) throw new HealthConfigError(`--${flag}: expected ADDR:PORT or [v6]:PORT, got '${text}'`);
  return a;
}

/** Parses the flags; throws HealthConfigError on misuse. `--help` yields null. */
export function parseAgentFlags(args: string[]): AgentSettings | null {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        prefix: { type: "string", multiple: true },
        "check-udp": { type: "string", multiple: true },
        "check-tcp": { type: "string", multiple: true },
        name: { type: "string", multiple: true },
        qtype: { type: "string" },
        "expect-rcode": { type: "string" },
        "expect-aa": { type: "boolean" },
        "expect-serial": { type: "string" },
        "expect-answer": { type: "string", multiple: true },
        readyz: { type: "string" },
        "expect-xdp": { type: "string" },
        rise: { type: "string" },
        fall: { type: "string" },
        "interval-ms": { type: "string" },
        "fast-interval-ms": { type: "string" },
        "timeout-ms": { type: "string" },
        "hold-down-ms": { type: "string" },
        "hold-down-max-ms": { type: "string" },
        "hold-down-decay-ms": { type: "string" },
        "drain-wait-ms": { type: "string" },
        "next-hop": { type: "string" },
        community: { type: "string", multiple: true },
        "local-as": { type: "string" },
        prepend: { type: "string" },
        "drain-prepend": { type: "string" },
        "drain-community": { type: "string" },
        "admin-state": { type: "string" },
        metrics: { type: "string" },
        "log-level": { type: "string" },
        config: { type: "string" },
        site: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    throw new HealthConfigError((e as Error).message);
  }
  if (values.help) return null;
  const str = (k: string) => values[k] as string | undefined;
  const list = (k: string) => (values[k] as string[] | undefined) ?? [];
  const node = str("config") !== undefined ? loadNodeConfig(str("config")!, str("site")) : null;
  if (str("site") !== undefined && node === null) throw new HealthConfigError("--site needs --config");
  const h = node ? healthSection(node) : AGENT_DEFAULTS;

  const prefixTexts =
    list("prefix").length > 0 ? list("prefix") : (node?.bgp?.prefixes.map((p) => p.prefix) ?? []);
  const prefixes: AgentPrefix[] = prefixTexts.map((p) => {
    const parsed = parsePrefix(p);
    if (!parsed) throw new HealthConfigError(`--prefix: not an IPv4/IPv6 prefix: '${p}'`);
    return { prefix: p, family: parsed.family === "ipv4" ? 4 : 6 };
  });
  if (prefixes.length === 0)
    throw new HealthConfigError("at least one --prefix (or bgp.prefixes) is required");

  const names =
    list("name").length > 0 ? list("name") : h.names.length > 0 ? h.names : node ? zoneNames(node) : [];
  if (names.length === 0)
    throw new HealthConfigError("at least one --name (or a zone with an origin) is required");
  const timeoutMs = int("timeout-ms", str("timeout-ms"), h.timeoutMs, 1);
  const serialText =
    str("expect-serial") ?? (h.expectSerial !== undefined ? String(h.expectSerial) : undefined);
  const expect = {
    rcode: (str("expect-rcode") ?? "NOERROR").toUpperCase(),
    // The node's own zones are authoritative: with --config the AA bit is always required.
    aa: values["expect-aa"] === true || node !== null,
    ...(serialText !== undefined ? { serial: int("expect-serial", serialText, 0) } : {}),
    ...(values["expect-answer"] !== undefined ? { answer: list("expect-answer") } : {}),
  };
  const qtype = (str("qtype") ?? h.qtype).toUpperCase() as dnsPacket.RecordType;
  const dnsChecks: DnsCheckSpec[] = [];
  const flagTargets = list("check-udp").length + list("check-tcp").length > 0;
  const fromConfig =
    !flagTargets && node ? serviceAddresses(node.listen, prefixTexts).map(formatListenAddress) : [];
  for (const transport of ["udp", "tcp"] as const) {
    for (const t of flagTargets ? list(`check-${transport}`) : fromConfig) {
      const a = target(`check-${transport}`, t);
      for (const name of names) {
        dnsChecks.push({ transport, address: a.host, port: a.port, name, qtype, expect, timeoutMs });
      }
    }
  }
  if (dnsChecks.length === 0)
    throw new HealthConfigError("at least one --check-udp or --check-tcp is required");

  const nodeMetrics = node?.metrics.listen ? parseListenAddress(node.metrics.listen) : null;
  const readyzUrl =
    str("readyz") ?? (nodeMetrics ? `http://${formatListenAddress(nodeMetrics)}/readyz` : null);
  if (readyzUrl !== null && !/^http:\/\//.test(readyzUrl)) {
    throw new HealthConfigError(`--readyz: expected an http:// URL, got '${readyzUrl}'`);
  }

  const xdpMetricsUrl =
    str("expect-xdp") ??
    (node && node.fastpath.mode !== "off" && nodeMetrics
      ? `http://${formatListenAddress(nodeMetrics)}/metrics`
      : null);
  if (xdpMetricsUrl !== null && !/^http:\/\//.test(xdpMetricsUrl)) {
    throw new HealthConfigError(`--expect-xdp: expected an http:// URL, got '${xdpMetricsUrl}'`);
  }

  const intervalMs = int("interval-ms", str("interval-ms"), h.intervalMs, 1);
  const machine: MachineConfig = {
    rise: int("rise", str("rise"), h.rise, 1),
    fall: int("fall", str("fall"), h.fall, 1),
    intervalMs,
    fastIntervalMs: int(
      "fast-interval-ms",
      str("fast-interval-ms"),
      Math.min(h.fastIntervalMs, intervalMs),
      1,
    ),
    drainWaitMs: int("drain-wait-ms", str("drain-wait-ms"), h.drainWaitMs),
    holdDown: {
      baseMs: int("hold-down-ms", str("hold-down-ms"), h.holdDownMs),
      maxMs: int("hold-down-max-ms", str("hold-down-max-ms"), h.holdDownMaxMs),
      decayMs: int("hold-down-decay-ms", str("hold-down-decay-ms"), h.holdDownDecayMs),
    },
  };

  const bgp = node?.bgp;
  const localAsText = str("local-as") ?? (bgp ? String(bgp.localAs) : undefined);
  const prepend = int("prepend", str("prepend"), bgp?.prepend ?? 0);
  const drainPrepend = int("drain-prepend", str("drain-prepend"), h.drainPrepend);
  if ((prepend > 0 || drainPrepend > 0) && localAsText === undefined) {
    throw new HealthConfigError(
      "--prepend/--drain-prepend need --local-as (ExaBGP sends a given AS_PATH verbatim)",
    );
  }
  const nextHopFlag = str("next-hop");
  const routes: RouteLineConfig = {
    prefixes: prefixes.map((p) => ({
      prefix: p.prefix,
      nextHop: nextHopFlag ?? bgp?.prefixes.find((x) => x.prefix === p.prefix)?.nextHop ?? "self",
    })),
    localAs: int("local-as", localAsText, 0, 1),
    communities: list("community").length > 0 ? list("community") : [...(bgp?.communities ?? [])],
    largeCommunities: [...(bgp?.largeCommunities ?? [])],
    med: bgp?.med,
    prepend,
    drainCommunity: str("drain-community") ?? bgp?.drainCommunity ?? "65535:0",
  };
  const metricsText = str("metrics") ?? h.metrics ?? undefined;
  return {
    prefixes,
    dnsChecks,
    readyzUrl,
    xdpMetricsUrl,
    // Same timeout as the DNS checks: a round lasts as long as its slowest check, and a hung server hangs both.
    readyzTimeoutMs: timeoutMs,
    machine,
    routes,
    drainPrepend,
    adminStateFile: str("admin-state") ?? h.adminStateFile,
    metrics: metricsText === undefined ? null : target("metrics", metricsText),
    logLevel: str("log-level") ?? node?.log.level ?? "info",
  };
}

/** The node config's `health:` section (validated here until the config schema includes it). */
function healthSection(node: EdgensConfig): HealthConfig {
  const raw = (node as { health?: unknown }).health ?? {};
  const r = healthConfigSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `health.${i.path.map(String).join(".")}: ${i.message}`);
    throw new HealthConfigError(`--config: ${issues.join("; ")}`);
  }
  return r.data;
}

function loadNodeConfig(file: string, site: string | undefined): EdgensConfig {
  try {
    return loadConfig({ file, ...(site !== undefined ? { site } : {}) });
  } catch (e) {
    if (e instanceof ConfigError) throw new HealthConfigError(`--config: ${e.message}`);
    throw new HealthConfigError(`--config: ${(e as Error).message}`);
  }
}

/** Zone apexes to query: every zone with a known origin (the example zone when serving it). */
function zoneNames(cfg: EdgensConfig): string[] {
  const names = cfg.zones.flatMap((z) => (z.origin ? [z.origin.replace(/\.$/, "")] : []));
  if (cfg.example) names.push("example.edgens.test");
  return names;
}

/**
 * The listen addresses to check: those inside an announced prefix (the anycast service addresses); for a
 * family with none inside, every listen address of that family (lab setups listening on a unicast address).
 */
export function serviceAddresses(listen: readonly string[], prefixes: readonly string[]): ListenAddress[] {
  const addrs = listen.flatMap((l) => {
    const a = parseListenAddress(l);
    return a ? [a] : [];
  });
  const inside = new BlockList();
  for (const p of prefixes) {
    const parsed = parsePrefix(p);
    if (parsed) inside.addSubnet(parsed.address, parsed.length, parsed.family);
  }
  const out: ListenAddress[] = [];
  for (const family of [4, 6] as const) {
    const fam = addrs.filter((a) => a.family === family);
    const covered = fam.filter((a) => inside.check(a.host, family === 4 ? "ipv4" : "ipv6"));
    out.push(...(covered.length > 0 ? covered : fam));
  }
  return out;
}
