// frr.conf of a lab router (core or site) from bgp/templates/frr-router.ejs: one IPv4 and one IPv6 session per
// link (each carrying its own family), a `network` statement per attached subnet so every link address is
// reachable (answers from a far site must find their way back to the client), MRAI 0 and fast timers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ejs from "ejs";
import { DEFAULT_TEMPLATE_DIR } from "../bgp/render.js";
import { type AddressPlan, type LabHost, type LinkEnd, NODE_AS } from "./topology.js";

export interface FrrNeighborView {
  address: string;
  as: number;
  description: string;
  /** BFD on this session (nodes only, with `--bfd`). */
  bfd: boolean;
}

export function renderFrrConfig(
  plan: AddressPlan,
  router: LabHost,
  opts: { logFile: string; hostname: string; bfd?: boolean; templateDir?: string },
): string {
  const byId = new Map(plan.hosts.map((h) => [h.id, h]));
  const v4: FrrNeighborView[] = [];
  const v6: FrrNeighborView[] = [];
  const nets4: string[] = [];
  const nets6: string[] = [];
  for (const l of plan.links) {
    const [self, peer] =
      l.a.host === router.id ? [l.a, l.b] : l.b.host === router.id ? [l.b, l.a] : [null, null];
    if (!self || !peer) continue;
    nets4.push(`10.200.${l.index}.0/24`);
    nets6.push(`fd00:ed6e:0:${l.index}::/64`);
    const p = byId.get(peer.host)!;
    if (p.role === "client") continue; // clients do not speak BGP
    const as = p.role === "node" ? NODE_AS : p.as!;
    const description = `${p.role}-${p.id.replace("/", "-")}`;
    const bfd = p.role === "node";
    v4.push({ address: peer.ipv4, as, description, bfd });
    v6.push({ address: peer.ipv6, as, description, bfd });
  }
  const dir = opts.templateDir ?? DEFAULT_TEMPLATE_DIR;
  const path = join(dir, "frr-router.ejs");
  return ejs.render(
    readFileSync(path, "utf8"),
    {
      hostname: opts.hostname,
      logFile: opts.logFile,
      as: router.as,
      routerId: router.routerId,
      bfd: opts.bfd === true,
      neighbors: [...v4, ...v6],
      families: [
        { name: "ipv4", networks: nets4, neighbors: v4.map((n) => n.address) },
        { name: "ipv6", networks: nets6, neighbors: v6.map((n) => n.address) },
      ],
    },
    { filename: path, async: false },
  );
}

/** frr.conf of a node's bfdd: one BFD peer per BGP session to its site router. */
export function renderNodeBfdConfig(
  self: LinkEnd,
  router: LinkEnd,
  opts: { logFile: string; hostname: string; templateDir?: string },
): string {
  const path = join(opts.templateDir ?? DEFAULT_TEMPLATE_DIR, "frr-node-bfd.ejs");
  return ejs.render(
    readFileSync(path, "utf8"),
    {
      hostname: opts.hostname,
      logFile: opts.logFile,
      peers: [
        { peer: router.ipv4, local: self.ipv4 },
        { peer: router.ipv6, local: self.ipv6 },
      ],
    },
    { filename: path, async: false },
  );
}
