// Network namespaces and veth links for the lab, through iproute2. Veth ends are created directly inside their
// namespaces (never in the host's), so deleting a namespace removes its links and nothing is left on the host.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export const EDGENS_ERR_LAB_NETNS = "EDGENS_ERR_LAB_NETNS";

export class LabNetnsError extends Error {
  readonly code = EDGENS_ERR_LAB_NETNS;
  constructor(message: string) {
    super(message);
    this.name = "LabNetnsError";
  }
}

export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("ip", args, { timeout: 10_000 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new LabNetnsError(`ip ${args.join(" ")}: ${(err.stderr ?? err.message).trim()}`);
  }
}

export async function nsExec(netns: string, cmd: string, ...args: string[]): Promise<string> {
  return ip("netns", "exec", netns, cmd, ...args);
}

/** Creates a namespace with lo up, DAD off (IPv6 addresses usable at once) and, for routers, forwarding on. */
export async function createNetns(name: string, opts: { forwarding: boolean }): Promise<void> {
  await ip("netns", "add", name);
  const sysctls = ["net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"];
  if (opts.forwarding) sysctls.push("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
  await nsExec(name, "sysctl", "-qw", ...sysctls);
  await ip("-n", name, "link", "set", "lo", "up");
}

export interface VethEnd {
  netns: string;
  ifname: string;
  ipv4: string;
  ipv6: string;
}

/** A veth pair between two namespaces with a /24 and a /64 (the lab's plan), both ends up. */
export async function createVeth(a: VethEnd, b: VethEnd): Promise<void> {
  await ip(
    "link",
    "add",
    a.ifname,
    "netns",
    a.netns,
    "type",
    "veth",
    "peer",
    "name",
    b.ifname,
    "netns",
    b.netns,
  );
  for (const end of [a, b]) {
    await ip("-n", end.netns, "addr", "add", `${end.ipv4}/24`, "dev", end.ifname);
    await ip("-n", end.netns, "addr", "add", `${end.ipv6}/64`, "dev", end.ifname, "nodad");
    await ip("-n", end.netns, "link", "set", end.ifname, "up");
  }
}

export async function listNetns(prefix: string): Promise<string[]> {
  const out = await ip("netns", "list");
  return out
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix));
}

/** PIDs of the processes inside a namespace (`ip netns pids`). */
export async function netnsPids(name: string): Promise<number[]> {
  try {
    const out = await ip("netns", "pids", name);
    return out.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function deleteNetns(name: string): Promise<void> {
  await ip("netns", "del", name).catch(() => undefined);
}
