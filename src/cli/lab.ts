// `edgens lab …`: a multi-site anycast lab in network namespaces (docs/LAB.md). The `_query`, `_probe` and
// `_http` subcommands are internal: the lab runs them inside a namespace with `ip netns exec`.
import { get } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { queryOnce, runProbe } from "../lab/dns-probe.js";
import { DEFAULT_PROBE, formatReport, labFail, labRestore } from "../lab/lab-fail.js";
import { labDown } from "../lab/lab-down.js";
import { DEFAULT_STATE_ROOT, FAIL_MODES, type FailMode, labHosts, readLabState } from "../lab/lab-state.js";
import { formatStatus, labStatus } from "../lab/lab-status.js";
import { labUp } from "../lab/lab-up.js";
import { CHECK_NAME } from "../lab/node-files.js";
import { queryInNetns } from "../lab/ns-helper.js";
import { ANYCAST_V4, ANYCAST_V6, chainTopology, loadTopology } from "../lab/topology.js";

export const LAB_USAGE = `usage: edgens lab <command> [options]   (root; FRR, ExaBGP and iproute2 installed)
  up [--sites N] [--nodes-per-site M] [--topology FILE.yaml]
                         build the lab: core routers, site routers, nodes (edgens serve + ExaBGP + health
                         agent), clients; returns when every client is answered by its nearest site
  status [--json]        who answers each client, every router's anycast route, every node's state
  fail SITE/NODE --mode kill|hang|wrong-answers|agent-kill|exabgp-kill|drain
                         break a node while a client it serves sends a query every 10 ms; print the failover
  restore SITE/NODE      undo the failure (restart what is dead); print the time until traffic is back
  query CLIENT [NAME [TYPE]]
                         query the anycast addresses from a client (default ${CHECK_NAME} A), with NSID
  down [--all]           stop every process in the lab's namespaces, delete them and the state directory;
                         --all: every edgens-lab-* namespace (leftovers of crashed labs)
common options:
  --name NAME            lab name (default "main"; namespaces edgens-lab-NAME-*)
  --state-dir DIR        state root (default ${DEFAULT_STATE_ROOT})
`;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLab(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const [cmd, ...rest] = args;
  const misuse = (m: string) => {
    err.write(`edgens lab: ${m}\n\n${LAB_USAGE}`);
    return 2;
  };
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: true,
      options: {
        name: { type: "string", default: "main" },
        "state-dir": { type: "string", default: DEFAULT_STATE_ROOT },
        sites: { type: "string", default: "3" },
        "nodes-per-site": { type: "string", default: "1" },
        topology: { type: "string" },
        json: { type: "boolean" },
        all: { type: "boolean" },
        mode: { type: "string" },
        // internal helpers
        server: { type: "string" },
        qname: { type: "string" },
        type: { type: "string" },
        class: { type: "string" },
        expect: { type: "string" },
        "timeout-ms": { type: "string" },
        "interval-ms": { type: "string" },
        "max-ms": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    return misuse((e as Error).message);
  }
  const name = values.name as string;
  const root = values["state-dir"] as string;
  if (values.help || cmd === "help" || cmd === undefined) {
    out.write(LAB_USAGE);
    return cmd === undefined && !values.help ? 2 : 0;
  }
  try {
    switch (cmd) {
      case "up":
        return await up();
      case "status": {
        const st = await labStatus(readLabState(root, name));
        out.write(values.json ? `${JSON.stringify(st, null, 2)}\n` : formatStatus(st));
        return 0;
      }
      case "fail": {
        const node = positionals[0];
        const mode = values.mode as string | undefined;
        if (!node) return misuse("fail needs SITE/NODE");
        if (!mode || !(FAIL_MODES as readonly string[]).includes(mode))
          return misuse(`--mode must be one of ${FAIL_MODES.join(", ")}`);
        const r = await labFail(readLabState(root, name), node, mode as FailMode);
        out.write(formatReport("fail", r));
        return 0;
      }
      case "restore": {
        const node = positionals[0];
        if (!node) return misuse("restore needs SITE/NODE");
        out.write(formatReport("restore", await labRestore(readLabState(root, name), node)));
        return 0;
      }
      case "query": {
        const [client, qname = CHECK_NAME, qtype = "A"] = positionals;
        if (!client) return misuse("query needs CLIENT");
        const s = readLabState(root, name);
        const { netns } = labHosts(s);
        for (const server of [ANYCAST_V4, ANYCAST_V6]) {
          const r = await queryInNetns(s, netns(client), { server, name: qname, type: qtype });
          out.write(
            `${client} → ${server}: ${r.status} ${r.rcode ?? ""} nsid ${r.nsid ?? "-"} ${
              r.rttMs !== null ? `${r.rttMs.toFixed(2)} ms` : ""
            } [${r.answers.join(", ")}]\n`,
          );
        }
        return 0;
      }
      case "down": {
        const r = await labDown(root, values.all ? null : name);
        out.write(`removed ${r.namespaces.length} namespaces, stopped ${r.processes} processes\n`);
        return 0;
      }
      case "_query": {
        const r = await queryOnce(helperQuery());
        out.write(`${JSON.stringify(r)}\n`);
        return 0;
      }
      case "_probe":
        return await probe();
      case "_http": {
        const url = positionals[0];
        if (!url) return misuse("_http needs URL");
        out.write(`${JSON.stringify(await httpGet(url))}\n`);
        return 0;
      }
      default:
        return misuse(`unknown lab command "${cmd}"`);
    }
  } catch (e) {
    const x = e as Error & { code?: string };
    if (typeof x.code === "string" && x.code.startsWith("EDGENS_ERR_")) {
      err.write(`edgens lab ${cmd}: ${x.message}\n`);
      return 1;
    }
    throw e;
  }

  function helperQuery() {
    return {
      server: (values.server as string | undefined) ?? ANYCAST_V4,
      name: (values.qname as string | undefined) ?? CHECK_NAME,
      type: (values.type as string | undefined) ?? "A",
      qclass: (values.class as string | undefined) ?? "IN",
      ...(values.expect !== undefined ? { expect: values.expect as string } : {}),
      timeoutMs: Number(values["timeout-ms"] ?? 1000),
    };
  }

  async function up(): Promise<number> {
    const topology =
      values.topology !== undefined
        ? loadTopology(values.topology as string)
        : chainTopology(Number(values.sites), Number(values["nodes-per-site"]));
    // A half-built lab must not outlive an interrupted `up`.
    let building = true;
    const onSignal = (sig: NodeJS.Signals) => {
      if (!building) return;
      err.write(`edgens lab up: ${sig}: tearing down\n`);
      void labDown(root, name).finally(() => process.exit(130));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      await labUp({
        name,
        topology,
        stateRoot: root,
        nodeBin: process.execPath,
        cli: fileURLToPath(new URL("./main.js", import.meta.url)),
        log: (l) => out.write(`${l}\n`),
      });
    } finally {
      building = false;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    out.write(formatStatus(await labStatus(readLabState(root, name))));
    return 0;
  }

  async function probe(): Promise<number> {
    const q = helperQuery();
    const p = runProbe(
      {
        ...q,
        intervalMs: Number(values["interval-ms"] ?? DEFAULT_PROBE.intervalMs),
        maxMs: Number(values["max-ms"] ?? DEFAULT_PROBE.maxMs),
      },
      (r) => out.write(`${JSON.stringify(r)}\n`),
    );
    process.once("SIGTERM", () => p.stop());
    process.once("SIGINT", () => p.stop());
    await p.done;
    await wait(10);
    return 0;
  }
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
