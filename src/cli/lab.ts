// `edgens lab …`: a multi-site anycast lab in network namespaces (docs/LAB.md).
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { labDown } from "../lab/lab-down.js";
import { formatReport, labFail, labRestore } from "../lab/lab-fail.js";
import { DEFAULT_STATE_ROOT, FAIL_MODES, type FailMode, labHosts, readLabState } from "../lab/lab-state.js";
import { formatStatus, labStatus } from "../lab/lab-status.js";
import { labUp } from "../lab/lab-up.js";
import { CHECK_NAME } from "../lab/node-files.js";
import { queryInNetns } from "../lab/ns-helper.js";
import { ANYCAST_V4, ANYCAST_V6, chainTopology, loadTopology } from "../lab/topology.js";

export const LAB_USAGE = `usage: edgens lab <command> [options]   (root; FRR, ExaBGP and iproute2 installed)
  up [--sites N] [--nodes-per-site M] [--topology FILE.yaml] [--bfd] [--agent SPEC]
                         build the lab: core routers, site routers, nodes (edgens serve + ExaBGP + health
                         agent), clients; returns when every client is answered by its nearest site;
                         --bfd: BFD 100 ms × 3 between site routers and nodes (bfdd on every node);
                         up then also waits until every router–node BFD session is up
                         --agent edgens|healthcheck[:ARGS]: ExaBGP's API process on every node: the edgens
                         health agent (default) or ExaBGP's healthcheck.py (reference; ARGS appended)
  status [--json]        who answers each client, every router's anycast route, every node's state
  fail SITE/NODE --mode kill|hang|wrong-answers|agent-kill|exabgp-kill|drain|freeze
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

export async function runLab(
  args: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
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
        bfd: { type: "boolean" },
        agent: { type: "string", default: "edgens" },
        all: { type: "boolean" },
        mode: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    return misuse((e as Error).message);
  }
  const name = values.name as string;
  const root = values["state-dir"] as string;
  if (values.help || cmd === "help" || cmd === "--help" || cmd === "-h" || cmd === undefined) {
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
        const servers = [ANYCAST_V4, ANYCAST_V6];
        const rs = await queryInNetns(s, netns(client), servers, { name: qname, type: qtype });
        for (const [i, r] of rs.entries()) {
          const server = servers[i];
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
        bfd: values.bfd === true,
        agent: values.agent as string,
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
}
