// The metrics HTTP listener: /metrics (Prometheus text), /healthz (the process is alive), /readyz (every
// worker is up with its zones loaded). Health and readiness are separate: a node loading zones is alive but
// must not be sent traffic yet.
import { createServer, type Server } from "node:http";
import type { ListenAddress } from "../config/listen-address.js";

export interface MetricsSource {
  /** Prometheus exposition text. */
  metrics(): Promise<string>;
  contentType: string;
  /** Readiness and a short reason for the body. */
  ready(): { ready: boolean; detail: string };
}

export function startMetricsEndpoint(addr: ListenAddress, source: MetricsSource): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const r = source.ready();
      res.writeHead(r.ready ? 200 : 503, { "content-type": "text/plain" }).end(`${r.detail}\n`);
    } else if (path === "/metrics") {
      source.metrics().then(
        (text) => res.writeHead(200, { "content-type": source.contentType }).end(text),
        (e: Error) =>
          res.writeHead(500, { "content-type": "text/plain" }).end(`metrics unavailable: ${e.message}\n`),
      );
    } else {
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end("not found: try /metrics, /healthz, /readyz\n");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: addr.host, port: addr.port, exclusive: true }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
