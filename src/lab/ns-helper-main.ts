// Entry point run inside a lab namespace (`ip netns exec NS node ns-helper-main.js …`). Kept apart from the CLI
// so it loads only the DNS probe: the lab starts many of these on a busy 2-core machine.
//   query SERVER[,SERVER…] QNAME TYPE CLASS EXPECT|- TIMEOUT_MS   → JSON array of outcomes
//   probe SERVER QNAME TYPE CLASS EXPECT|- TIMEOUT_MS INTERVAL_MS MAX_MS → JSON line per query until SIGTERM
//   http URL                                                       → JSON {status, body} or {error}
import { get } from "node:http";
import { type QueryOptions, queryOnce, runProbe } from "./dns-probe.js";

function query(servers: string, rest: string[]): QueryOptions[] {
  const [name = "", type = "A", qclass = "IN", expect = "-", timeout = "1000"] = rest;
  return servers.split(",").map((server) => ({
    server,
    name,
    type,
    qclass,
    ...(expect !== "-" ? { expect } : {}),
    timeoutMs: Number(timeout),
  }));
}

function httpGet(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ error: e.message }));
  });
}

async function main(argv: string[]): Promise<number> {
  const [cmd, target = "", ...rest] = argv;
  switch (cmd) {
    case "query": {
      const out = await Promise.all(query(target, rest).map(queryOnce));
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return 0;
    }
    case "probe": {
      const [q] = query(target, rest);
      const p = runProbe(
        { ...q!, intervalMs: Number(rest[5] ?? 10), maxMs: Number(rest[6] ?? 15_000) },
        (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
      );
      process.once("SIGTERM", () => p.stop());
      process.once("SIGINT", () => p.stop());
      await p.done;
      return 0;
    }
    case "http":
      process.stdout.write(`${JSON.stringify(await httpGet(target))}\n`);
      return 0;
    default:
      process.stderr.write("usage: ns-helper-main.js query|probe|http …\n");
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
