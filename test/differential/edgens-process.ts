// Start edgens the way an operator does: build the CLI (into a private directory, so that parallel builds of
// dist/ by others cannot race us) and spawn `serve` on loopback, waiting for its "edgens ready" line.
// Set EDGENS_CLI=/path/to/dist/cli/main.js to use an existing build instead.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ZoneSpec } from "../helpers/peers.js";
import { randomPort } from "../helpers/peers.js";

const ROOT = join(import.meta.dirname, "../..");
const BUILD_DIR = join(ROOT, "node_modules/.cache/edgens-differential/dist");

/** Source files the CLI path needs; the differential test skips (outside CI) while any is missing. */
export const REQUIRED_SOURCES = [
  "src/cli/main.ts",
  "src/responder/responder.ts",
  "src/responder/snapshot.ts",
  "src/zone/zone.ts",
  "src/zone/load-zone-file.ts",
];

/** null when edgens can be started, else what is missing. */
export function edgensMissing(): string | null {
  if (process.env.EDGENS_CLI)
    return existsSync(process.env.EDGENS_CLI) ? null : `EDGENS_CLI=${process.env.EDGENS_CLI} does not exist`;
  const missing = REQUIRED_SOURCES.filter((f) => !existsSync(join(ROOT, f)));
  return missing.length === 0 ? null : `edgens modules not written yet: ${missing.join(", ")}`;
}

/** Compile src/ with tsconfig.build.json into a private directory; returns the CLI entry point. */
export async function buildEdgensCli(): Promise<string> {
  if (process.env.EDGENS_CLI) return process.env.EDGENS_CLI;
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  try {
    await promisify(execFile)(
      process.execPath,
      [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", BUILD_DIR],
      {
        cwd: ROOT,
      },
    );
  } catch (e) {
    // tsc exits non-zero on type errors but still emits; only a missing entry point is fatal.
    const out = (e as { stdout?: string }).stdout ?? "";
    if (!existsSync(join(BUILD_DIR, "cli/main.js"))) throw new Error(`edgens build failed:\n${out}`);
  }
  return join(BUILD_DIR, "cli/main.js");
}

export interface EdgensServer {
  host: string;
  port: number;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

export interface EdgensOptions {
  cli: string;
  zones: ZoneSpec[];
  nsid: string;
  /** CH TXT id.server answer (`--identity`); default: the NSID. */
  identity?: string;
  host?: string;
  workers?: number;
  /** Extra arguments after the standard ones. */
  extraArgs?: string[];
  /** Prefix, e.g. ["taskset", "-c", "1"]. */
  wrap?: string[];
  startTimeoutMs?: number;
}

function startOnce(o: EdgensOptions, port: number): Promise<EdgensServer> {
  const host = o.host ?? "127.0.0.1";
  const args = [
    o.cli,
    "serve",
    ...o.zones.flatMap((z) => ["--zone", `${z.origin}=${z.file}`]),
    "--listen",
    `${host}:${port}`,
    "--workers",
    String(o.workers ?? 1),
    "--nsid",
    o.nsid,
    "--identity",
    o.identity ?? o.nsid,
    ...(o.extraArgs ?? []),
  ];
  const cmd = [...(o.wrap ?? []), process.execPath, ...args];
  const child: ChildProcess = spawn(cmd[0]!, cmd.slice(1), {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {}
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
      }, 3000);
      await exited;
      clearTimeout(t);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop().then(() =>
        reject(new Error(`edgens not ready within ${o.startTimeoutMs ?? 15000} ms:\n${output}`)),
      );
    }, o.startTimeoutMs ?? 15_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      // The brief says a line starting with "edgens ready"; pino writes it as JSON ("msg":"edgens ready…"): accept both.
      if (/^edgens ready|"msg":"edgens ready/m.test(output)) {
        clearTimeout(timer);
        resolve({ host, port, pid: child.pid!, log: () => output, stop });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`edgens exited (code ${code}, signal ${sig}) before ready:\n${output}`));
    });
  });
}

/** Spawn `edgens serve` on a random loopback port (retrying on a port clash). */
export async function startEdgens(o: EdgensOptions): Promise<EdgensServer> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(o, randomPort());
    } catch (e) {
      last = e;
      if (!/EADDRINUSE/.test(String(e))) break;
    }
  }
  throw last;
}
