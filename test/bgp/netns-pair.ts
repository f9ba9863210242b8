// Two network namespaces joined by a veth pair, with IPv4 and IPv6 (ULA) lab addresses. DAD is off so the
// IPv6 addresses (and the link-local one FRR needs as next hop) are usable at once.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface NetnsEnd {
  netns: string;
  ifname: string;
  ipv4: string;
  ipv6: string;
}

export interface NetnsPair {
  a: NetnsEnd;
  b: NetnsEnd;
  destroy(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await run("ip", args, { timeout: 10_000 });
}

async function deleteNetns(name: string): Promise<void> {
  // Deleting a namespace removes the veth end inside it, and with it the peer.
  await run("ip", ["netns", "del", name], { timeout: 10_000 }).catch(() => undefined);
}

/** `a` and `b` get .1 and .2 of `ipv4Net` (a /30 base like 10.254.100.0) and ::1/::2 of `ipv6Net` (a /64). */
export async function createNetnsPair(opts: {
  a: string;
  b: string;
  ipv4Net: string;
  ipv6Net: string;
}): Promise<NetnsPair> {
  const v4 = opts.ipv4Net.split(".").map(Number);
  const v4host = (n: number) => [v4[0], v4[1], v4[2], (v4[3] ?? 0) + n].join(".");
  const pair: NetnsPair = {
    a: { netns: opts.a, ifname: "veth-a", ipv4: v4host(1), ipv6: `${opts.ipv6Net}1` },
    b: { netns: opts.b, ifname: "veth-b", ipv4: v4host(2), ipv6: `${opts.ipv6Net}2` },
    destroy: async () => {
      await deleteNetns(opts.a);
      await deleteNetns(opts.b);
    },
  };
  // Leftovers of an interrupted run with the same names would make `netns add` fail.
  await pair.destroy();
  try {
    for (const end of [pair.a, pair.b]) {
      await ip("netns", "add", end.netns);
      await run(
        "ip",
        [
          "netns",
          "exec",
          end.netns,
          "sysctl",
          "-qw",
          "net.ipv6.conf.default.accept_dad=0",
          "net.ipv6.conf.all.accept_dad=0",
        ],
        { timeout: 10_000 },
      );
      await ip("-n", end.netns, "link", "set", "lo", "up");
    }
    await ip(
      "link",
      "add",
      pair.a.ifname,
      "netns",
      pair.a.netns,
      "type",
      "veth",
      "peer",
      "name",
      pair.b.ifname,
      "netns",
      pair.b.netns,
    );
    for (const end of [pair.a, pair.b]) {
      await ip("-n", end.netns, "addr", "add", `${end.ipv4}/30`, "dev", end.ifname);
      await ip("-n", end.netns, "addr", "add", `${end.ipv6}/64`, "dev", end.ifname, "nodad");
      await ip("-n", end.netns, "link", "set", end.ifname, "up");
    }
  } catch (e) {
    await pair.destroy();
    throw e;
  }
  return pair;
}
