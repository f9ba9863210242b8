// Two network namespaces joined by a veth pair, for end-to-end XDP tests: `server` carries the service
// addresses and the XDP program, `client` runs dig/kdig. Names start with edgens-xdp- and are removed on close.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPassProgram } from "../fastpath-e2e/serve-lab.js";

export interface VethLab {
  server: string;
  client: string;
  serverIf: string;
  clientIf: string;
  server4: string;
  client4: string;
  server6: string;
  client6: string;
  /** Run a command in a namespace; returns stdout, throws on a non-zero exit. */
  exec(ns: string, cmd: string, args: string[]): string;
  /** Like exec but never throws: status and output. */
  run(ns: string, cmd: string, args: string[], timeoutMs?: number): { status: number | null; out: string };
  close(): void;
}

function ip(args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function createVethLab(tag = `${process.pid}`): VethLab {
  const id = tag.slice(-6);
  const lab: VethLab = {
    server: `edgens-xdp-${id}-s`,
    client: `edgens-xdp-${id}-c`,
    serverIf: `exs${id}`,
    clientIf: `exc${id}`,
    server4: "198.51.100.1",
    client4: "198.51.100.2",
    server6: "2001:db8:53::1",
    client6: "2001:db8:53::2",
    exec(ns, cmd, args) {
      return execFileSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", timeout: 20_000 });
    },
    run(ns, cmd, args, timeoutMs = 20_000) {
      const r = spawnSync("ip", ["netns", "exec", ns, cmd, ...args], {
        encoding: "utf8",
        timeout: timeoutMs,
      });
      return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    },
    close() {
      for (const ns of [lab.server, lab.client]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    },
  };
  lab.close(); // leftovers of a crashed run with the same pid
  try {
    ip(["netns", "add", lab.server]);
    ip(["netns", "add", lab.client]);
    ip([
      "link",
      "add",
      lab.serverIf,
      "netns",
      lab.server,
      "type",
      "veth",
      "peer",
      "name",
      lab.clientIf,
      "netns",
      lab.client,
    ]);
    const side = (ns: string, dev: string, v4: string, v6: string) => {
      ip(["-n", ns, "link", "set", "lo", "up"]);
      ip(["-n", ns, "addr", "add", `${v4}/24`, "dev", dev]);
      ip(["-n", ns, "addr", "add", `${v6}/64`, "dev", dev, "nodad"]);
      ip(["-n", ns, "link", "set", dev, "up"]);
      // Checksum offload on veth leaves XDP_TX'd UDP with bad checksums (LAB-NOTES): compute them in software.
      lab.exec(ns, "ethtool", ["-K", dev, "tx", "off"]);
    };
    side(lab.server, lab.serverIf, lab.server4, lab.server6);
    side(lab.client, lab.clientIf, lab.client4, lab.client6);
    // XDP_TX on veth only kicks the peer's NAPI promptly when the peer runs an XDP program itself; with GRO alone
    // replies arrive one query late (see test/fastpath-e2e/serve-lab.ts). Give the client end a pass program.
    const work = mkdtempSync(join(tmpdir(), "edgens-xdp-pass-"));
    try {
      ip([
        "-n",
        lab.client,
        "link",
        "set",
        "dev",
        lab.clientIf,
        "xdp",
        "obj",
        buildPassProgram(work),
        "sec",
        "xdp",
      ]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } catch (err) {
    lab.close();
    throw err;
  }
  return lab;
}
