// The edge host's FRR bfdd config, from the `bgp:` section: one single-hop BFD peer per BGP neighbor, at the
// configured interval × multiplier. ExaBGP has no BFD, so bfdd runs beside it and the routers tie their BGP
// sessions to these BFD sessions (`neighbor X bfd`): a hung host then loses its routes in ~interval × multiplier.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import ejs from "ejs";
import type { BgpConfig } from "./config.js";
import { BgpRenderError, DEFAULT_TEMPLATE_DIR, type RenderOptions } from "./render.js";

export interface BfdPeer {
  address: string;
  localAddress: string;
}

/** The BFD peers of the edge: every BGP neighbor, in config order. */
export function bfdPeers(cfg: BgpConfig): BfdPeer[] {
  return cfg.neighbors.map((n) => ({ address: n.address, localAddress: n.localAddress }));
}

/** Renders bfdd.conf; throws BgpRenderError when BFD is not enabled in the config. */
export function renderBfdd(cfg: BgpConfig, opts: RenderOptions = {}): string {
  if (!cfg.bfd.enabled)
    throw new BgpRenderError("bgp.bfd.enabled is false: there is no bfdd config to render");
  const path = join(opts.templateDir ?? DEFAULT_TEMPLATE_DIR, "edge-bfdd.conf.ejs");
  let template: string;
  try {
    template = readFileSync(path, "utf8");
  } catch (e) {
    throw new BgpRenderError(`cannot read template ${path}: ${(e as Error).message}`);
  }
  const view = {
    routerId: cfg.routerId,
    localAs: String(cfg.localAs),
    hostname: `edgens-${cfg.routerId}`,
    intervalMs: String(cfg.bfd.intervalMs),
    multiplier: String(cfg.bfd.multiplier),
    peers: bfdPeers(cfg),
  };
  return ejs.render(template, view, { filename: path, async: false });
}
