import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConfig, overlayLayer } from "../../src/config/load-config.js";
import type { Plain } from "../../src/config/merge.js";
import { createLogger } from "../../src/log.js";
import { type SingleProcessServer, startSingleProcess } from "../../src/server/single-process.js";
import { removeTempDirs, tempDir } from "../helpers/temp-dir.js";
import { decode, freePort, query, serialOf, TcpClient, udpExchange } from "./dns-client.js";
import { brokenZoneText, writeAtomic, zoneText } from "./zone-fixture.js";

afterAll(removeTempDirs);

const log = createLogger("silent");

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

function metricValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

async function soaSerial(host: string, port: number, name: string): Promise<number | undefined> {
  const r = decode(await udpExchange(host, port, query(name, "SOA")));
  return serialOf(r);
}

describe("in-process server with real zones and responder", () => {
  const dir = tempDir("edgens-node-");
  const zoneFile = join(dir, "a.test.zone");
  let port: number;
  let metricsPort: number;
  let server: SingleProcessServer;
  let layers: Plain;

  beforeAll(async () => {
    writeAtomic(zoneFile, zoneText("a.test.", 1));
    port = await freePort();
    metricsPort = await freePort();
    layers = {
      listen: [`127.0.0.1:${port}`, `[::1]:${port}`],
      zones: [{ file: zoneFile }],
      example: true,
      workers: 0,
      node: { nsid: "test-pop", identity: "node-a" },
      metrics: { listen: `127.0.0.1:${metricsPort}` },
    };
    const config = buildConfig([overlayLayer("test", layers)]);
    server = await startSingleProcess({
      config,
      readConfig: () => buildConfig([overlayLayer("test", layers)]),
      log,
    });
  });
  afterAll(() => server?.stop());

  it.each(["127.0.0.1", "::1"])("answers from the zone file over UDP and TCP on %s", async (host) => {
    const udp = decode(await udpExchange(host, port, query("www.a.test.", "A", 7)));
    expect(udp.rcode).toBe("NOERROR");
    expect(udp.answers).toEqual([
      expect.objectContaining({ name: "www.a.test", type: "A", data: "192.0.2.80" }),
    ]);
    const c = new TcpClient(host, port);
    c.send(query("www.example.edgens.test.", "A", 8));
    const [m] = await c.waitFor(1);
    c.destroy();
    const tcp = decode(m!);
    expect(tcp.id).toBe(8);
    expect(tcp.answers?.map((a) => a.type)).toEqual(["CNAME", "A"]);
  });

  it("refuses names outside its zones", async () => {
    const r = decode(await udpExchange("127.0.0.1", port, query("www.other.test.")));
    expect(r.rcode).toBe("REFUSED");
  });

  it("reload swaps in a new serial; a broken zone keeps the old data and counts a failure", async () => {
    expect(await soaSerial("127.0.0.1", port, "a.test.")).toBe(1);
    writeAtomic(zoneFile, zoneText("a.test.", 2));
    expect(await server.reload()).toBe(true);
    expect(await soaSerial("127.0.0.1", port, "a.test.")).toBe(2);

    writeAtomic(zoneFile, brokenZoneText("a.test.", 3));
    expect(await server.reload()).toBe(false);
    expect(await soaSerial("::1", port, "a.test.")).toBe(2);
    // The other zone is unaffected.
    expect(await soaSerial("::1", port, "example.edgens.test.")).toBe(2024010101);
    const m = await httpGet(metricsPort, "/metrics");
    expect(metricValue(m.body, 'edgens_zone_load_failures_total{zone="a.test."}')).toBe(1);
    expect(metricValue(m.body, 'edgens_zone_serial{zone="a.test."}')).toBe(2);
    expect(metricValue(m.body, 'edgens_config_reloads_total{result="failure"}')).toBe(1);

    writeAtomic(zoneFile, zoneText("a.test.", 4));
    expect(await server.reload()).toBe(true);
    expect(await soaSerial("127.0.0.1", port, "a.test.")).toBe(4);
  });

  it("a broken config keeps the running config", async () => {
    const saved = layers.listen;
    layers.listen = ["nope"];
    try {
      expect(await server.reload()).toBe(false);
    } finally {
      layers.listen = saved;
    }
    expect(await soaSerial("127.0.0.1", port, "a.test.")).toBeGreaterThan(0);
  });

  it("reload applies a new NSID", async () => {
    const ask = async () => {
      const q = dnsPacket.encode({
        id: 9,
        type: "query",
        questions: [{ name: "a.test.", type: "A", class: "IN" }],
        additionals: [
          {
            type: "OPT",
            name: ".",
            udpPayloadSize: 1232,
            options: [{ code: 3, data: Buffer.alloc(0) }],
          } as never,
        ],
      });
      const r = decode(await udpExchange("127.0.0.1", port, q));
      const opt = r.additionals?.find((a) => a.type === "OPT") as {
        options?: { code: number; data: Buffer }[];
      };
      return opt?.options?.find((o) => o.code === 3)?.data.toString();
    };
    expect(await ask()).toBe("test-pop");
    (layers.node as Plain).nsid = "test-pop-2";
    expect(await server.reload()).toBe(true);
    expect(await ask()).toBe("test-pop-2");
  });

  it("serves /metrics, /healthz and /readyz; counters move with queries", async () => {
    const before = metricValue(
      (await httpGet(metricsPort, "/metrics")).body,
      'edgens_queries_total{transport="udp",qtype="A",rcode="NOERROR"}',
    );
    for (let i = 0; i < 5; i++) await udpExchange("127.0.0.1", port, query("www.a.test.", "A", i));
    const m = await httpGet(metricsPort, "/metrics");
    expect(m.status).toBe(200);
    expect(
      metricValue(m.body, 'edgens_queries_total{transport="udp",qtype="A",rcode="NOERROR"}') - (before || 0),
    ).toBe(5);
    expect(m.body).toMatch(/edgens_response_latency_seconds_bucket\{le="0.001",transport="udp"\} [1-9]/);
    expect(m.body).toMatch(/edgens_response_size_bytes_count\{transport="udp"\} [1-9]/);
    expect(m.body).toContain("edgens_process_cpu_seconds_total");
    expect(metricValue(m.body, "edgens_workers_ready")).toBe(1);
    expect(await httpGet(metricsPort, "/healthz")).toEqual({ status: 200, body: "ok\n" });
    expect((await httpGet(metricsPort, "/readyz")).status).toBe(200);
    expect((await httpGet(metricsPort, "/nope")).status).toBe(404);
  });

  it("bounds the qtype label: unknown types count as other", async () => {
    await udpExchange("127.0.0.1", port, query("www.a.test.", "TYPE65000" as never));
    const m = await httpGet(metricsPort, "/metrics");
    expect(m.body).toMatch(/edgens_queries_total\{transport="udp",qtype="other",rcode="NOERROR"\} 1/);
  });
});

describe("startup errors", () => {
  it("a broken zone at startup fails with file:line", async () => {
    const dir = tempDir("edgens-node-");
    const file = join(dir, "b.zone");
    writeFileSync(file, brokenZoneText("b.test.", 1));
    const port = await freePort();
    const config = buildConfig([
      overlayLayer("t", { listen: [`127.0.0.1:${port}`], zones: [{ file }], workers: 0 }),
    ]);
    await expect(startSingleProcess({ config, readConfig: () => config, log })).rejects.toThrow(
      new RegExp(`${file}:8:\\d+: error`),
    );
  });
});

describe("zonesDir", () => {
  it("serves every NAME.zone as zone NAME.; a vanished directory keeps the old data", async () => {
    const { mkdirSync, renameSync } = await import("node:fs");
    const dir = tempDir("edgens-node-");
    const zonesDir = join(dir, "zones");
    mkdirSync(zonesDir);
    // No $ORIGIN in the file: the origin comes from the file name.
    writeFileSync(join(zonesDir, "c.test.zone"), zoneText("c.test.", 5).replace("$ORIGIN c.test.\n", ""));
    writeFileSync(join(zonesDir, "d.test.zone"), zoneText("d.test.", 6));
    writeFileSync(join(zonesDir, "ignored.txt"), "not a zone");
    const port = await freePort();
    const config = buildConfig([overlayLayer("t", { listen: [`127.0.0.1:${port}`], zonesDir, workers: 0 })]);
    const server = await startSingleProcess({ config, readConfig: () => config, log });
    try {
      expect(server.node.zoneCount).toBe(2);
      expect(await soaSerial("127.0.0.1", port, "c.test.")).toBe(5);
      expect(await soaSerial("127.0.0.1", port, "d.test.")).toBe(6);
      renameSync(zonesDir, `${zonesDir}.moved`);
      expect(await server.reload()).toBe(false);
      expect(await soaSerial("127.0.0.1", port, "d.test.")).toBe(6);
    } finally {
      await server.stop();
    }
  });
});
