// A bounded fuzz run against a live in-process server: random and mutated packets over UDP and TCP for a few
// seconds. The server must keep answering correctly, and the responder must never throw.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConfig, overlayLayer } from "../../src/config/load-config.js";
import { createLogger } from "../../src/log.js";
import { type SingleProcessServer, startSingleProcess } from "../../src/server/single-process.js";
import { prng } from "../helpers/prng.js";
import { decode, freePort, query, TcpClient, udpExchange } from "./dns-client.js";

const SEED = Number(process.env.EDGENS_FUZZ_SEED ?? 0x5eed);
const DURATION_MS = 3000;

const SEEDS: Buffer[] = [
  query("www.example.edgens.test.", "A"),
  query("example.edgens.test.", "SOA"),
  query("x.wild.example.edgens.test.", "TXT"),
  query("a.sub.example.edgens.test.", "A"),
  query("example.edgens.test.", "ANY" as never),
  dnsPacket.encode({
    id: 1,
    type: "query",
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: "nope.example.edgens.test", type: "AAAA", class: "IN" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 4096, flags: dnsPacket.DNSSEC_OK } as never],
  }),
];

function mutate(rand: () => number): Buffer {
  const pick = rand();
  const n = (k: number) => Math.floor(rand() * k);
  if (pick < 0.25) {
    const b = Buffer.alloc(n(600));
    for (let i = 0; i < b.length; i++) b[i] = n(256);
    return b;
  }
  const base = Buffer.from(SEEDS[n(SEEDS.length)]!);
  if (pick < 0.5) {
    for (let k = 1 + n(4); k > 0; k--) base[n(base.length)] = n(256);
    return base;
  }
  if (pick < 0.65) return base.subarray(0, n(base.length));
  if (pick < 0.8) {
    // Compression pointers in odd places (loops, forward pointers).
    const at = 12 + n(Math.max(1, base.length - 13));
    base[at] = 0xc0 | n(64);
    base[at + 1] = n(256);
    return base;
  }
  if (pick < 0.9) {
    // Counts that do not match the sections.
    base.writeUInt16BE(n(65536), 4 + 2 * n(4));
    return base;
  }
  return Buffer.concat([base, Buffer.alloc(n(64), n(256))]);
}

describe("fuzz: random and mutated packets against the live server", () => {
  let port: number;
  let server: SingleProcessServer;

  beforeAll(async () => {
    port = await freePort();
    const config = buildConfig([
      overlayLayer("fuzz", {
        listen: [`127.0.0.1:${port}`],
        example: true,
        workers: 0,
        tcp: { idleTimeoutMs: 1000 },
      }),
    ]);
    server = await startSingleProcess({ config, readConfig: () => config, log: createLogger("silent") });
  });
  afterAll(() => server?.stop());

  it(`survives ${DURATION_MS} ms of fuzzing (seed ${SEED}) and still answers correctly`, async () => {
    const rand = prng(SEED);
    const udp = createSocket("udp4");
    udp.on("message", () => {});
    let sent = 0;
    const deadline = Date.now() + DURATION_MS;
    let tcp = connect({ host: "127.0.0.1", port });
    tcp.on("error", () => {});
    while (Date.now() < deadline) {
      for (let i = 0; i < 50; i++) {
        const pkt = mutate(rand);
        udp.send(pkt, port, "127.0.0.1");
        if (rand() < 0.3) {
          if (tcp.destroyed || tcp.closed) {
            tcp = connect({ host: "127.0.0.1", port });
            tcp.on("error", () => {});
          }
          // Mostly well-framed garbage; sometimes a lying length prefix.
          const len = rand() < 0.9 ? pkt.length : Math.floor(rand() * 65536);
          tcp.write(Buffer.concat([Buffer.from([len >> 8, len & 0xff]), pkt]));
        }
        sent++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    tcp.destroy();
    udp.close();
    expect(sent).toBeGreaterThan(1000);

    const r = decode(await udpExchange("127.0.0.1", port, query("www.example.edgens.test.", "A", 99)));
    expect(r.id).toBe(99);
    expect(r.answers?.map((a) => a.data)).toEqual(["example.edgens.test", "192.0.2.53"]);
    const c = new TcpClient("127.0.0.1", port);
    c.send(query("example.edgens.test.", "SOA", 100));
    const [m] = await c.waitFor(1);
    c.destroy();
    expect(decode(m!).answers?.[0]?.type).toBe("SOA");

    const metrics = await server.metrics.registry.getSingleMetricAsString("edgens_dropped_total");
    expect(metrics).not.toContain('reason="responder_error"');
  });
});
