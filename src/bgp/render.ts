// Renders exabgp.conf and exabgp.env from the ejs templates in bgp/templates/. The templates only use
// `<%- %>` (raw output): every value is validated by the schema and made into ExaBGP syntax here — ejs's
// `<%= %>` would HTML-escape, which means nothing to ExaBGP.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ejs from "ejs";
import { type BgpConfig, neighborFamilies } from "./config.js";
import { token } from "./exabgp-syntax.js";

export const EDGENS_ERR_BGP_RENDER = "EDGENS_ERR_BGP_RENDER";

export class BgpRenderError extends Error {
  readonly code = EDGENS_ERR_BGP_RENDER;
  constructor(message: string) {
    super(message);
    this.name = "BgpRenderError";
  }
}

/** `bgp/templates` of this checkout or install: src/bgp/ and dist/bgp/ are both two levels below the root. */
export const DEFAULT_TEMPLATE_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "bgp",
  "templates",
);

export interface RenderOptions {
  templateDir?: string;
}

export interface RenderedExabgp {
  conf: string;
  env: string;
}

/** The health-agent command line, as argv. */
export function apiCommand(cfg: BgpConfig): string[] {
  if (cfg.api.run) return [...cfg.api.run];
  const agent = [cfg.api.node, cfg.api.cli, "health-agent", "--config", cfg.api.config];
  if (cfg.api.site) agent.push("--site", cfg.api.site);
  // The agent runs behind bgp/withdraw-then-exec.sh (installed beside dist/): a respawned agent's prefixes are
  // withdrawn before Node even starts, so "agent killed" fails closed within milliseconds.
  return withdrawThenExec(cfg, withdrawThenExecPath(cfg.api.cli), agent);
}

/** The shipped wrapper of the install whose CLI is `cli`: `<root>/dist/cli/main.js` → `<root>/bgp/…`. */
export function withdrawThenExecPath(cli: string): string {
  return resolve(dirname(cli), "../../bgp/withdraw-then-exec.sh");
}

/**
 * `/bin/sh WRAPPER PREFIX NEXT_HOP … -- AGENT…`: the run line `apiCommand` renders around the agent's argv
 * (exported so tests can run the shipped wrapper in front of an agent with flags of their choosing).
 */
export function withdrawThenExec(
  cfg: Pick<BgpConfig, "prefixes">,
  wrapper: string,
  agent: string[],
): string[] {
  const pairs = cfg.prefixes.flatMap((p) => [p.prefix, p.nextHop]);
  return ["/bin/sh", wrapper, ...pairs, "--", ...agent];
}

function tok(value: string, what: string): string {
  const t = token(value);
  // The schema already refuses such values; this guards callers that built a BgpConfig by hand.
  if (t === null)
    throw new BgpRenderError(`${what} cannot be written in ExaBGP syntax: ${JSON.stringify(value)}`);
  return t;
}

export function renderExabgp(cfg: BgpConfig, opts: RenderOptions = {}): RenderedExabgp {
  const dir = opts.templateDir ?? DEFAULT_TEMPLATE_DIR;
  const confView = {
    routerId: cfg.routerId,
    localAs: String(cfg.localAs),
    processName: cfg.api.processName,
    run: apiCommand(cfg)
      .map((a) => tok(a, "api command word"))
      .join(" "),
    neighbors: cfg.neighbors.map((n) => ({
      address: n.address,
      localAddress: n.localAddress,
      peerAs: String(n.peerAs),
      holdTime: String(n.holdTime ?? cfg.holdTime),
      // Always quoted, so a password that happens to be a bare word still reads as a password.
      md5Password: n.md5Password === undefined ? undefined : quoted(n.md5Password, "md5Password"),
      description: n.description === undefined ? undefined : quoted(n.description, "description"),
      families: neighborFamilies(n),
    })),
  };
  const envView = {
    ack: String(cfg.env.ack),
    cli: String(cfg.env.pipename !== undefined),
    pipename: cfg.env.pipename,
    respawn: String(cfg.env.respawn),
    terminate: String(cfg.env.terminate),
    user: cfg.env.user,
    logLevel: cfg.env.log.level,
    logDestination: cfg.env.log.destination,
    logRoutes: String(cfg.env.log.routes),
  };
  return {
    conf: renderFile(join(dir, "exabgp.conf.ejs"), confView),
    env: renderFile(join(dir, "exabgp.env.ejs"), envView),
  };
}

function quoted(value: string, what: string): string {
  const t = tok(value, what);
  return t.startsWith('"') ? t : `"${t}"`;
}

function renderFile(path: string, view: Record<string, unknown>): string {
  let template: string;
  try {
    template = readFileSync(path, "utf8");
  } catch (e) {
    throw new BgpRenderError(`cannot read template ${path}: ${(e as Error).message}`);
  }
  return ejs.render(template, view, { filename: path, async: false });
}
