// The `edgens` usage text (printed by `edgens help`, and with exit code 2 on any misuse).

export const USAGE = `usage: edgens <command> [options]

commands:
  serve [options]                 serve DNS over UDP and TCP
  reload [--pid PID | --pid-file FILE | --config FILE [--site FILE]]
                                  make a running server re-read its config and zones (SIGHUP)
  config check FILE [--site FILE] validate a config (and site overlay), print the effective config as JSON
  zone check FILE [--origin NAME] parse and check a zone file, report file:line:column findings
  bgp render [options]            render the ExaBGP configuration from the bgp: section
  drain | undrain [--reason TEXT] take the node out of (or back into) anycast service, gracefully
  health-agent [options]          the health agent ExaBGP runs (checks → announce/withdraw)
  stats [--json] [--metrics URL]  a running node's query counters by path (socket, xdp) and the fast path's
                                  counters, from its /metrics (default http://127.0.0.1:9153/metrics)
  status [--json] [--config FILE] [--metrics URL] [--agent-metrics URL] [--admin-state FILE]
                                  the node at a glance: server readiness and zone serials, health agent
                                  state per prefix, BGP sessions, drain state (docs/failover.md)
  lab up|status|fail|restore|query|down
                                  multi-site anycast lab in network namespaces (root; docs/LAB.md)
  version                         print the version
  help                            print this text

serve options (flags override the config file):
  --config FILE         node config (YAML); see docs/CONFIG.md
  --site FILE           per-site overlay, deep-merged over --config (site wins)
  --listen ADDR:PORT    address to serve on, repeatable; IPv6 as [ADDR]:PORT (default 127.0.0.1:5353)
  --zone [ORIGIN=]FILE  zone file, repeatable; origin from the file's $ORIGIN/SOA owner unless given
  --zones-dir DIR       serve every NAME.zone in DIR as zone NAME.
  --example             serve the embedded example zone example.edgens.test.
  --nsid TEXT           NSID (RFC 5001) to send to clients that ask
  --identity TEXT       answer to CH TXT id.server / hostname.bind
  --workers N           serving processes (default: number of cores); 0 or 1 = in-process
  --metrics ADDR:PORT   serve /metrics, /healthz and /readyz here
  --pid-file FILE       write the process id here (for \`edgens reload\`)
  --log-level LEVEL     fatal, error, warn, info, debug, trace or silent
  --xdp IFACE[:MODE]    attach the XDP fast path to IFACE, repeatable; MODE native or generic (default:
                        native, falling back to generic); needs root or CAP_BPF+CAP_NET_ADMIN
  --secondary ORIGIN=ADDR:PORT
                        serve ORIGIN as a secondary zone transferred from the primary ADDR:PORT; repeat
                        for more primaries (tried in order) or zones
  --catalog ORIGIN=ADDR:PORT
                        consume the RFC 9432 catalog zone ORIGIN from ADDR:PORT and serve its members
                        (transferred from the same primary)
  --tsig NAME:ALGORITHM:BASE64SECRET
                        TSIG key for the --secondary/--catalog primaries: SOA queries, transfers and the
                        NOTIFY they send (at most one; per-primary keys need a config file)
  --allow-notify ADDR   accept NOTIFY from ADDR as well as from the primaries, repeatable
  --state-dir DIR       where transferred zones persist (default /var/lib/edgens; ./edgens-state when
                        --secondary/--catalog are given without --config)
`;

export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Print a misuse message and the usage text; returns exit code 2. */
export function misuse(io: Io, message: string): number {
  io.err.write(`edgens: ${message}\n\n${USAGE}`);
  return 2;
}
