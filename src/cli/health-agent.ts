// `edgens health-agent [flags]`: the health agent, started by ExaBGP as its API process. It writes API commands
// on `out` (stdout: ExaBGP reads them), JSON logs on `err` (stderr), and reads ExaBGP's acks and neighbor events
// on stdin. Exit 0 when ExaBGP shuts down or on SIGTERM, 1 when stdin closes (ExaBGP gone), 2 on misuse.
import type { Server } from "node:http";
import { pino } from "pino";
import { AGENT_EXIT, HealthAgent, HealthConfigError } from "../health/agent.js";
import { AGENT_USAGE, parseAgentFlags } from "../health/agent-flags.js";
import {
  dnsCheck,
  fastPathCheck,
  type HealthCheck,
  readyzCheck,
  xdpAttachedProbe,
} from "../health/checks.js";
import { tcpLossWatch } from "../health/loss-watch.js";
import { HealthMetrics } from "../health/metrics.js";
import { bgpRouteEffects } from "../health/route-effects.js";
import { startMetricsEndpoint } from "../metrics/http-endpoint.js";

export interface HealthAgentIo {
  /** ExaBGP → agent; default process.stdin. */
  input?: NodeJS.ReadableStream;
  /** Install SIGTERM/SIGINT handlers (default: only when reading process.stdin). */
  signals?: boolean;
  /** Called once the agent runs (tests use it to reach the agent). */
  onStart?: (agent: HealthAgent, metrics: HealthMetrics) => void;
}

export async function runHealthAgent(
  args: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  io: HealthAgentIo = {},
): Promise<number> {
  let settings: ReturnType<typeof parseAgentFlags>;
  try {
    settings = parseAgentFlags(args);
  } catch (e) {
    if (!(e instanceof HealthConfigError)) throw e;
    err.write(`edgens health-agent: ${e.message}\n${AGENT_USAGE}`);
    return 2;
  }
  if (settings === null) {
    // stdout belongs to ExaBGP when it runs us, but --help is only ever typed by a person.
    out.write(AGENT_USAGE);
    return 0;
  }
  const log = pino({ level: settings.logLevel, base: { pid: process.pid, component: "health-agent" } }, err);
  const checks: HealthCheck[] = settings.dnsChecks.map(dnsCheck);
  if (settings.readyzUrl) checks.push(readyzCheck(settings.readyzUrl, settings.readyzTimeoutMs));
  checks.push(
    fastPathCheck(
      settings.xdpMetricsUrl ? xdpAttachedProbe(settings.xdpMetricsUrl, settings.readyzTimeoutMs) : undefined,
    ),
  );
  const metrics = new HealthMetrics();

  const input = io.input ?? process.stdin;
  let agent: HealthAgent;
  try {
    agent = new HealthAgent({
      prefixes: settings.prefixes,
      checks,
      // One watched connection per service address (not per name): a FIN/RST triggers a round at once.
      triggers: [...new Map(settings.dnsChecks.map((c) => [`${c.address} ${c.port}`, c])).values()].map((c) =>
        tcpLossWatch(c.address, c.port),
      ),
      machine: settings.machine,
      routes: bgpRouteEffects(settings.routes, settings.drainPrepend),
      input,
      output: out,
      adminStateFile: settings.adminStateFile,
      metrics,
      log,
    });
  } catch (e) {
    if (!(e instanceof HealthConfigError)) throw e;
    err.write(`edgens health-agent: ${e.message}\n`);
    return 2;
  }

  let server: Server | null = null;
  if (settings.metrics) {
    try {
      server = await startMetricsEndpoint(settings.metrics, {
        metrics: () => metrics.registry.metrics(),
        contentType: metrics.registry.contentType,
        ready: () => ({ ready: true, detail: "health agent running" }),
      });
    } catch (e) {
      err.write(`edgens health-agent: cannot serve metrics: ${(e as Error).message}\n`);
      return 1;
    }
  }

  const onSignal = (sig: string) => agent.stop(AGENT_EXIT.ok, `${sig}: stopping`);
  const signals = io.signals ?? io.input === undefined;
  if (signals) {
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  log.info({ prefixes: settings.prefixes.map((p) => p.prefix), checks: checks.map((c) => c.id) }, "starting");
  await agent.start();
  io.onStart?.(agent, metrics);
  const code = await agent.exited;
  // An open stdin would keep the process alive after a shutdown notification or SIGTERM: let it go.
  if (input === process.stdin) process.stdin.destroy();
  if (signals) {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((res) => server!.close(() => res()));
  }
  return code;
}
