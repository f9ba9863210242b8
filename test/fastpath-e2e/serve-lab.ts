// The lab of the `edgens serve --xdp` end-to-end tests: two namespaces (edgens-fp-<id>-s runs the server,
// edgens-fp-<id>-c the clients) joined by a veth pair, the real CLI built into a private directory, and helpers
// to run the server and the UDP client inside the namespaces. Everything is removed on close.
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testBuild } from "../helpers/test-build.js";

export const UDP_CLIENT = join(import.meta.dirname, "udp-client.mjs");

// XDP_TX on veth puts the frame on the peer's ring but only kicks the peer's NAPI when the peer runs an XDP
// program itself; with GRO alone the reply waits until some other packet arrives (seen here: replies delivered
// seconds late, one query behind). So the client end gets this do-nothing program.
const PASS_PROGRAM = `#include <linux/bpf.h>
__attribute__((section("xdp"), used)) int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }
char _license[] __attribute__((section("license"), used)) = "GPL";
`;

/** Compile the pass program into `dir`; returns the object path. */
export function buildPassProgram(dir: string): string {
  writeFileSync(join(dir, "pass.bpf.c"), PASS_PROGRAM);
  const arch = execFileSync("uname", ["-m"], { encoding: "utf8" }).trim();
  const asm = `/usr/include/${arch}-linux-gnu`;
  execFileSync(
    "clang",
    [
      "-O2",
      "-target",
      "bpf",
      ...(existsSync(asm) ? ["-I", asm] : []),
      "-c",
      "pass.bpf.c",
      "-o",
      "pass.bpf.o",
    ],
    { cwd: dir, stdio: "pipe" },
  );
  return join(dir, "pass.bpf.o");
}

/** Build the CLI privately, with the native addon and BPF objects of this tree linked in. */
export function buildCliWithNative(): { main: string; dir: string } {
  const built = testBuild({ native: true });
  return { main: built.cliMain, dir: built.dir };
}

export interface ServeLab {
  server: string;
  client: string;
  serverIf: string;
  clientIf: string;
  server4: string;
  server6: string;
  work: string;
  exec(ns: string, cmd: string, args: string[], timeoutMs?: number): string;
  run(ns: string, cmd: string, args: string[], timeoutMs?: number): { status: number | null; out: string };
  /** Run udp-client.mjs in the client namespace with `job`; returns its parsed output. */
  clientJob<T>(job: object, timeoutMs?: number): T;
  /** The same, without blocking the test's event loop. */
  clientJobAsync<T>(job: object, timeoutMs?: number): Promise<T>;
  /** The XDP program attached to the server's veth, if any (from `ip -d link`). */
  xdpProgram(): string | null;
  close(): void;
}

function ip(args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function createServeLab(tag = `${process.pid}`): ServeLab {
  const id = tag.slice(-6);
  const work = mkdtempSync(join(tmpdir(), "edgens-fp-e2e-"));
  let jobs = 0;
  const jobFile = (job: object) => {
    const file = join(work, `job-${++jobs}.json`);
    writeFileSync(file, JSON.stringify(job));
    return file;
  };
  const lab: ServeLab = {
    server: `edgens-fp-${id}-s`,
    client: `edgens-fp-${id}-c`,
    serverIf: `fps${id}`,
    clientIf: `fpc${id}`,
    server4: "198.51.100.1",
    server6: "2001:db8:53::1",
    work,
    exec(ns, cmd, args, timeoutMs = 20_000) {
      return execFileSync("ip", ["netns", "exec", ns, cmd, ...args], {
        encoding: "utf8",
        timeout: timeoutMs,
        maxBuffer: 256 << 20,
      });
    },
    run(ns, cmd, args, timeoutMs = 20_000) {
      const r = spawnSync("ip", ["netns", "exec", ns, cmd, ...args], {
        encoding: "utf8",
        timeout: timeoutMs,
      });
      return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    },
    clientJob<T>(job: object, timeoutMs = 120_000): T {
      const file = jobFile(job);
      return JSON.parse(lab.exec(lab.client, process.execPath, [UDP_CLIENT, file], timeoutMs)) as T;
    },
    clientJobAsync<T>(job: object, timeoutMs = 120_000): Promise<T> {
      const file = jobFile(job);
      return new Promise((resolve, reject) => {
        execFile(
          "ip",
          ["netns", "exec", lab.client, process.execPath, UDP_CLIENT, file],
          { encoding: "utf8", timeout: timeoutMs, maxBuffer: 256 << 20 },
          (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as T)),
        );
      });
    },
    xdpProgram() {
      const out = lab.exec(lab.server, "ip", ["-d", "link", "show", lab.serverIf]);
      return /prog\/xdp id \d+ name (\S+)/.exec(out)?.[1] ?? null;
    },
    close() {
      for (const ns of [lab.server, lab.client]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      rmSync(work, { recursive: true, force: true });
    },
  };
  for (const ns of [lab.server, lab.client]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  try {
    ip(["netns", "add", lab.server]);
    ip(["netns", "add", lab.client]);
    ip(["link", "add", lab.serverIf, "netns", lab.server, "type", "veth", "peer", "name", lab.clientIf]);
    ip(["link", "set", lab.clientIf, "netns", lab.client]);
    const side = (ns: string, dev: string, v4: string, v6: string) => {
      ip(["-n", ns, "link", "set", "lo", "up"]);
      ip(["-n", ns, "addr", "add", `${v4}/24`, "dev", dev]);
      ip(["-n", ns, "addr", "add", `${v6}/64`, "dev", dev, "nodad"]);
      ip(["-n", ns, "link", "set", dev, "up"]);
      // LAB-NOTES: with TX checksum offload on, XDP_TX'd UDP arrives with bad checksums.
      lab.exec(ns, "ethtool", ["-K", dev, "tx", "off"]);
    };
    side(lab.server, lab.serverIf, lab.server4, lab.server6);
    side(lab.client, lab.clientIf, "198.51.100.2", "2001:db8:53::2");
    const pass = buildPassProgram(work);
    ip(["-n", lab.client, "link", "set", "dev", lab.clientIf, "xdp", "obj", pass, "sec", "xdp"]);
  } catch (err) {
    lab.close();
    throw err;
  }
  return lab;
}

export interface ServeProcess {
  proc: ChildProcess;
  output: string[];
  /** Resolves when a line containing `text` has been printed (bounded). */
  waitFor(text: string | RegExp, timeoutMs?: number, from?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `edgens serve ARGS` in the server namespace (`ip netns exec` execs, so proc.pid is the server's PID). */
export async function startServe(lab: ServeLab, main: string, args: string[]): Promise<ServeProcess> {
  const proc = spawn("ip", ["netns", "exec", lab.server, process.execPath, main, "serve", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  const onData = (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split("\n");
    partial = lines.pop()!;
    output.push(...lines);
    for (const w of waiters) w();
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const sp: ServeProcess = {
    proc,
    output,
    waitFor(text, timeoutMs = 30_000, from = 0) {
      const match = (l: string) => (typeof text === "string" ? l.includes(text) : text.test(l));
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = output.slice(from).find(match);
          if (line !== undefined) {
            finish();
            resolve(line);
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            finish();
            reject(new Error(`edgens exited before printing ${text}:\n${output.join("\n")}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no ${text} within ${timeoutMs} ms:\n${output.join("\n")}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
          proc.off("exit", check);
        };
        waiters.add(check);
        proc.on("exit", check);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      const kill = setTimeout(() => proc.kill("SIGKILL"), 8000);
      proc.kill(signal);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
  try {
    await sp.waitFor("edgens ready:");
  } catch (e) {
    proc.kill("SIGKILL");
    throw e;
  }
  return sp;
}
