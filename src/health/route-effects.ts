// Turns the state machine's effects into ExaBGP API lines. The line syntax lives in src/bgp/api-lines.ts; this
// adapter only adds what a drain means here: the graceful-shutdown community plus extra AS-path prepends.
import { announceLine, withdrawLine } from "../bgp/api-lines.js";
import type { BgpConfig } from "../bgp/config.js";
import type { Effect } from "./state-machine.js";

export interface RouteEffects {
  announce(prefix: string, opts: { drain: boolean }): string;
  withdraw(prefix: string): string;
}

export type RouteLineConfig = Pick<
  BgpConfig,
  "prefixes" | "localAs" | "communities" | "largeCommunities" | "med" | "prepend" | "drainCommunity"
>;

/**
 * ExaBGP lines for `cfg`. While draining, routes carry the drain community and `drainPrepend` more copies of the
 * local AS, so peers that ignore RFC 8326 still prefer another site before the withdrawal.
 */
export function bgpRouteEffects(cfg: RouteLineConfig, drainPrepend = 0): RouteEffects {
  const drainCfg = { ...cfg, prepend: cfg.prepend + drainPrepend };
  return {
    announce: (prefix, opts) => announceLine(prefix, opts.drain ? drainCfg : cfg, { drain: opts.drain }),
    withdraw: (prefix) => withdrawLine(prefix, cfg),
  };
}

export function effectLine(routes: RouteEffects, prefix: string, e: Effect): string {
  return e.kind === "withdraw" ? routes.withdraw(prefix) : routes.announce(prefix, { drain: e.drain });
}
