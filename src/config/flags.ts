// `edgens serve` flags → a config overlay (the top layer: flags override the files).
import { parseArgs } from "node:util";
import { ConfigError } from "./errors.js";
import { LISTEN_ADDRESS_HINT, parseListenAddress } from "./listen-address.js";
import type { Plain } from "./merge.js";
import { secondaryFlags } from "./secondary-flags.js";
import { parseXdpInterface, XDP_INTERFACE_HINT } from "./xdp-interface.js";

export interface ServeFlags {
  configFile?: string;
  siteFile?: string;
  overlay: Plain;
}

export const SERVE_OPTIONS = {
  config: { type: "string" },
  site: { type: "string" },
  listen: { type: "string", multiple: true },
  zone: { type: "string", multiple: true },
  "zones-dir": { type: "string" },
  nsid: { type: "string" },
  identity: { type: "string" },
  workers: { type: "string" },
  metrics: { type: "string" },
  "pid-file": { type: "string" },
  "log-level": { type: "string" },
  example: { type: "boolean" },
  xdp: { type: "string", multiple: true },
  secondary: { type: "string", multiple: true },
  catalog: { type: "string", multiple: true },
  tsig: { type: "string", multiple: true },
  "allow-notify": { type: "string", multiple: true },
  "state-dir": { type: "string" },
} as const;

/** Parse serve flags. Throws ConfigError (one line per bad flag); unknown flags throw from parseArgs. */
export function parseServeFlags(argv: string[]): ServeFlags {
  const { values, positionals } = parseArgs({
    args: argv,
    options: SERVE_OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  const problems: string[] = [];
  if (positionals.length > 0) problems.push(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const overlay: Plain = {};
  const node: Plain = {};

  if (values.listen) {
    for (const l of values.listen) {
      if (!parseListenAddress(l))
        problems.push(`--listen: expected ${LISTEN_ADDRESS_HINT}, got ${JSON.stringify(l)}`);
    }
    overlay.listen = values.listen;
  }
  if (values.zone) {
    overlay.zones = values.zone.map((z) => {
      // ORIGIN=FILE, unless the text before '=' looks like a path (contains '/').
      const eq = z.indexOf("=");
      if (eq > 0 && !z.slice(0, eq).includes("/")) return { origin: z.slice(0, eq), file: z.slice(eq + 1) };
      return { file: z };
    });
  }
  if (values["zones-dir"] !== undefined) overlay.zonesDir = values["zones-dir"];
  if (values.nsid !== undefined) node.nsid = values.nsid;
  if (values.identity !== undefined) node.identity = values.identity;
  if (values.workers !== undefined) {
    if (!/^[0-9]{1,3}$/.test(values.workers)) {
      problems.push(
        `--workers: expected a whole number (0 = in-process), got ${JSON.stringify(values.workers)}`,
      );
    } else overlay.workers = Number(values.workers);
  }
  if (values.metrics !== undefined) {
    if (!parseListenAddress(values.metrics)) {
      problems.push(`--metrics: expected ${LISTEN_ADDRESS_HINT}, got ${JSON.stringify(values.metrics)}`);
    }
    overlay.metrics = { listen: values.metrics };
  }
  if (values["pid-file"] !== undefined) overlay.pidFile = values["pid-file"];
  if (values["log-level"] !== undefined) overlay.log = { level: values["log-level"] };
  if (values.example) overlay.example = true;
  if (values.xdp) {
    for (const x of values.xdp) {
      if (!parseXdpInterface(x))
        problems.push(`--xdp: expected ${XDP_INTERFACE_HINT}, got ${JSON.stringify(x)}`);
    }
    // The flag turns the fast path on: native with a generic fallback unless IFACE:generic/:native says otherwise.
    overlay.fastpath = { interfaces: values.xdp, mode: "native" };
  }
  secondaryFlags(values, overlay, problems);
  if (Object.keys(node).length > 0) overlay.node = node;
  if (problems.length > 0) throw new ConfigError(problems);
  return { configFile: values.config, siteFile: values.site, overlay };
}
