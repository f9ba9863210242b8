// Every default of the node config, in one place (documented in docs/CONFIG.md). The loader deep-merges
// defaults < config file < site overlay < command-line flags and validates the result.
import { availableParallelism, hostname } from "node:os";

export function defaultConfig() {
  return {
    node: {
      // Site name from the overlay (e.g. "ams1"); informational, shown in logs and `config check`.
      site: null as string | null,
      // NSID (RFC 5001) sent to clients that ask; null = do not send NSID.
      nsid: null as string | null,
      // Answer to CH TXT id.server / hostname.bind.
      identity: hostname(),
    },
    // Unprivileged loopback by default: binding :53 on public addresses is an explicit decision.
    listen: ["127.0.0.1:5353"],
    zones: [] as { origin?: string | null; file?: string }[],
    // RFC 9432 catalog zones consumed (members served as secondary zones); none by default.
    catalogs: [] as unknown[],
    // Persisted copies of transferred zones; flag-only runs (--secondary/--catalog) use ./edgens-state.
    stateDir: "/var/lib/edgens",
    // Seconds between a secondary zone's change and its text copy (<zone>.zone); its restart copy (wire +
    // journal) is written at once. 0 = the text copy after every change (seconds of CPU at 1 M records).
    textCopyDelaySec: 60,
    zonesDir: null as string | null,
    // Serve the embedded example zone (example.edgens.test.).
    example: false,
    // One worker per core; 0 or 1 = serve in-process without node:cluster.
    workers: availableParallelism(),
    edns: {
      // DNS flag day 2020: 1232 avoids IP fragmentation on common paths.
      maxUdpPayload: 1232,
    },
    precompile: {
      // Memory for precompiled wire answers (and so for the XDP answer map); names beyond it are answered by
      // the lookup path with the same bytes. 64 MiB holds about 40,000 names with A and AAAA.
      budgetMiB: 64,
    },
    tcp: {
      // RFC 7766 §6.2.3 suggests a few seconds; also the deadline for a stalled partial message.
      idleTimeoutMs: 10_000,
      // Limits are per worker process (connections are spread over workers by the cluster primary).
      maxConnections: 1024,
      maxConnectionsPerClient: 16,
      // Answers written but not yet flushed before we stop reading from the connection.
      maxPipelined: 64,
      // Largest query accepted on TCP; queries are small, so this only bounds per-connection memory.
      maxMessageSize: 16_384,
      // A reader that stops draining its answers is closed once this many bytes are queued for it.
      maxWriteBufferBytes: 262_144,
    },
    metrics: {
      // ADDR:PORT of the /metrics, /healthz and /readyz HTTP listener; null = off.
      listen: null as string | null,
    },
    log: { level: "info" },
    pidFile: null as string | null,
    fastpath: {
      interfaces: [] as string[],
      mode: "off",
    },
    // TSIG keys by name ({algorithm, secret}), used by zones[].provide; none by default.
    tsigKeys: {} as Record<string, { algorithm: string; secret: string }>,
  };
}
