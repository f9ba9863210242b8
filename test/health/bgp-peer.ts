// A minimal BGP lab on loopback for the health agent: one FRR bgpd without zebra (-Z) listening on 127.0.0.2 at a
// random port, and ExaBGP on 127.0.0.1 running the agent as its API process. Facts from LAB-NOTES: bgpd drops to
// user frr, so its directory belongs to frr; eBGP needs `no bgp ebgp-requires-policy`; ExaBGP must run with
// Debian's python and its CLI pipes off. A next hop in 127/8 is a martian for FRR: routes use 10.255.0.2.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BGPD = "/usr/lib/frr/bgpd";
export const VTYSH = "/usr/bin/vtysh";
export const EXABGP = "/usr/sbin/exabgp";
export const PEER_ADDRESS = "127.0.0.2";
export const LOCAL_ADDRESS = "127.0.0.1";
export const NEXT_HOP = "10.255.0.2";

function frrIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", "frr"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "frr"]).toString().trim());
  return { uid, gid };
}

export interface FrrPeer {
  dir: string;
  port: number;
  /** `show bgp ipv4 unicast PREFIX json` → the first path, or null when FRR has no valid path. */
  path(prefix: string): { communities: string; nexthop: string; aspath: string } | null;
  stop(): void;
}

export function startFrrPeer(port: number): FrrPeer {
  const dir = mkdtempSync(join(tmpdir(), "edgens-ha-frr-"));
  const { uid, gid } = frrIds();
  chownSync(dir, uid, gid);
  const conf = join(dir, "bgpd.conf");
  writeFileSync(
    conf,
    [
      "frr defaults traditional",
      "hostname edgens-ha-r1",
      "router bgp 64500",
      " bgp router-id 10.255.0.1",
      " no bgp ebgp-requires-policy",
      ` neighbor ${LOCAL_ADDRESS} remote-as 64512`,
      ` neighbor ${LOCAL_ADDRESS} port ${port}`,
      ` neighbor ${LOCAL_ADDRESS} timers 3 9`,
      ` neighbor ${LOCAL_ADDRESS} advertisement-interval 0`,
      " address-family ipv4 unicast",
      `  neighbor ${LOCAL_ADDRESS} activate`,
      " exit-address-family",
      "",
    ].join("\n"),
  );
  chownSync(conf, uid, gid);
  execFileSync(BGPD, [
    "-d",
    "-Z",
    "-F",
    "traditional",
    "-p",
    String(port),
    "-l",
    PEER_ADDRESS,
    "-f",
    conf,
    "-i",
    join(dir, "bgpd.pid"),
    "--vty_socket",
    dir,
  ]);
  const pid = (): number | null => {
    try {
      return Number(readFileSync(join(dir, "bgpd.pid"), "utf8").trim());
    } catch {
      return null;
    }
  };
  return {
    dir,
    port,
    path(prefix) {
      let out: string;
      try {
        out = execFileSync(VTYSH, ["--vty_socket", dir, "-c", `show bgp ipv4 unicast ${prefix} json`], {
          timeout: 5000,
        }).toString();
      } catch {
        return null;
      }
      const j = JSON.parse(out || "{}") as {
        paths?: {
          valid?: boolean;
          community?: { string?: string };
          nexthops?: { ip: string }[];
          aspath?: { string?: string };
        }[];
      };
      const p = j.paths?.find((x) => x.valid);
      if (!p) return null;
      return {
        communities: p.community?.string ?? "",
        nexthop: p.nexthops?.[0]?.ip ?? "",
        aspath: p.aspath?.string ?? "",
      };
    },
    stop() {
      const p = pid();
      if (p) {
        try {
          process.kill(p, "SIGKILL");
        } catch {}
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Exabgp {
  child: ChildProcess;
  dir: string;
  /** Everything ExaBGP and its API process wrote on stderr so far. */
  log(): string;
  stop(): void;
}

/** ExaBGP connecting to the FRR peer, with `run` (argv) as its API process; logs go to dir/exabgp.log. */
export function startExabgp(peerPort: number, run: string[]): Exabgp {
  const dir = mkdtempSync(join(tmpdir(), "edgens-ha-exabgp-"));
  const conf = join(dir, "exabgp.conf");
  writeFileSync(
    conf,
    [
      "process edgens-health {",
      `\trun ${run.join(" ")};`,
      "\tencoder json;",
      "}",
      `neighbor ${PEER_ADDRESS} {`,
      "\trouter-id 10.255.0.2;",
      `\tlocal-address ${LOCAL_ADDRESS};`,
      "\tlocal-as 64512;",
      "\tpeer-as 64500;",
      "\thold-time 9;",
      `\tconnect ${peerPort};`,
      "\tfamily { ipv4 unicast; }",
      "\tapi {",
      "\t\tprocesses [ edgens-health ];",
      "\t\tneighbor-changes;",
      "\t}",
      "}",
      "",
    ].join("\n"),
  );
  const env = {
    ...process.env,
    "exabgp.daemon.user": "root",
    "exabgp.daemon.daemonize": "false",
    "exabgp.api.cli": "false",
    "exabgp.api.terminate": "true",
    "exabgp.tcp.bind": "",
    "exabgp.log.destination": "stderr",
  };
  const child = spawn("/usr/bin/python3", [EXABGP, conf], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
    detached: true, // own process group: stop() takes the agent with it
  });
  const log: Buffer[] = [];
  child.stderr?.on("data", (b: Buffer) => log.push(b));
  return {
    child,
    dir,
    log: () => Buffer.concat(log).toString(),
    stop() {
      writeFileSync(join(dir, "exabgp.log"), Buffer.concat(log));
      if (child.pid && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }
    },
  };
}
