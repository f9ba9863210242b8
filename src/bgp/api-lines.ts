// The text commands the health agent writes to ExaBGP 4.2 on stdout (one per line). Routes are not in
// exabgp.conf: the agent announces them only while the node is healthy, and ExaBGP sends each command to
// every neighbor whose session carries the route's family.
import type { BgpConfig } from "./config.js";
import { parsePrefix, prefixKey } from "./ip-prefix.js";

export const EDGENS_ERR_BGP_UNKNOWN_PREFIX = "EDGENS_ERR_BGP_UNKNOWN_PREFIX";

export class BgpUnknownPrefixError extends Error {
  readonly code = EDGENS_ERR_BGP_UNKNOWN_PREFIX;
  constructor(readonly prefix: string) {
    super(`prefix ${prefix} is not in bgp.prefixes`);
    this.name = "BgpUnknownPrefixError";
  }
}

export interface AnnounceOptions {
  /** Maintenance drain: tag the route with the drain (graceful-shutdown) community. */
  drain?: boolean;
}

type LineConfig = Pick<
  BgpConfig,
  "prefixes" | "localAs" | "communities" | "largeCommunities" | "med" | "prepend" | "drainCommunity"
>;

function configured(prefix: string, cfg: Pick<BgpConfig, "prefixes">) {
  // Matched by value, so the caller may write the prefix differently (2001:DB8:: = 2001:db8:0::).
  const key = prefixKey(prefix);
  const p = cfg.prefixes.find((x) => prefixKey(x.prefix) === key);
  if (!p || !parsePrefix(p.prefix)) throw new BgpUnknownPrefixError(prefix);
  return p;
}

/**
 * `announce route P next-hop NH [med N] [community [..]] [large-community [..]] [as-path [..]]`.
 * ExaBGP sends a given AS_PATH verbatim (it does not add its own AS then), so a prepend of n is written as
 * n+1 copies of the local AS; without prepend the attribute is left out and ExaBGP builds it.
 */
export function announceLine(prefix: string, cfg: LineConfig, opts: AnnounceOptions = {}): string {
  const p = configured(prefix, cfg);
  const parts = ["announce route", p.prefix, "next-hop", p.nextHop];
  if (cfg.med !== undefined) parts.push("med", String(cfg.med));
  const communities = [...cfg.communities];
  if (opts.drain && !communities.includes(cfg.drainCommunity)) communities.push(cfg.drainCommunity);
  if (communities.length > 0) parts.push(`community [${communities.join(" ")}]`);
  if (cfg.largeCommunities.length > 0) parts.push(`large-community [${cfg.largeCommunities.join(" ")}]`);
  if (cfg.prepend > 0) {
    parts.push(
      `as-path [${Array<string>(cfg.prepend + 1)
        .fill(String(cfg.localAs))
        .join(" ")}]`,
    );
  }
  return parts.join(" ");
}

/** `withdraw route P next-hop NH`: the next hop keeps ExaBGP's route check happy for both families. */
export function withdrawLine(prefix: string, cfg: Pick<BgpConfig, "prefixes">): string {
  const p = configured(prefix, cfg);
  return `withdraw route ${p.prefix} next-hop ${p.nextHop}`;
}

/**
 * What the health agent prints first on every start: ExaBGP keeps the routes a previous (crashed) agent
 * announced, and respawns the agent with them still up — a fresh agent must begin from "withdrawn" and
 * announce only after its checks pass.
 */
export function withdrawAllLines(cfg: Pick<BgpConfig, "prefixes">): string[] {
  return cfg.prefixes.map((p) => withdrawLine(p.prefix, cfg));
}
