// A tiny authoritative DNS responder for health-check tests (UDP + TCP on loopback), which can be told to answer
// correctly, with SERVFAIL or REFUSED, without AA, with wrong data, or not at all (hang); `close()` leaves a refused port.
import dgram from "node:dgram";
import net from "node:net";
import dnsPacket from "dns-packet";

export type ResponderMode = "ok" | "servfail" | "refused" | "noaa" | "wrong" | "hang";

export interface TestResponder {
  port: number;
  address: string;
  mode: ResponderMode;
  serial: number;
  queries: number;
  close(): Promise<void>;
}

function answer(r: TestResponder, query: Buffer): Buffer | null {
  if (r.mode === "hang") return null;
  let q: dnsPacket.DecodedPacket;
  try {
    q = dnsPacket.decode(query);
  } catch {
    return null;
  }
  const question = q.questions?.[0];
  if (!question) return null;
  const zone = "example.com";
  const soa: dnsPacket.Answer = {
    type: "SOA",
    name: zone,
    ttl: 3600,
    data: {
      mname: `ns1.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: r.serial,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 300,
    },
  };
  const answers: dnsPacket.Answer[] = [];
  if (question.type === "SOA") answers.push(soa);
  if (question.type === "A") {
    answers.push({
      type: "A",
      name: question.name,
      ttl: 300,
      data: r.mode === "wrong" ? "198.51.100.9" : "192.0.2.1",
    });
  }
  const aa = r.mode === "noaa" ? 0 : dnsPacket.AUTHORITATIVE_ANSWER;
  const rcode = r.mode === "servfail" ? 2 : r.mode === "refused" ? 5 : 0;
  return dnsPacket.encode({
    type: "response",
    id: q.id,
    flags: aa | rcode,
    questions: [question],
    answers: rcode === 0 ? answers : [],
    authorities: rcode === 0 && answers.length === 0 ? [soa] : [],
  });
}

export async function startResponder(address = "127.0.0.1", port = 0, retries = 5): Promise<TestResponder> {
  const udp = dgram.createSocket(net.isIPv6(address) ? "udp6" : "udp4");
  const tcp = net.createServer();
  const conns = new Set<net.Socket>();
  const r: TestResponder = {
    port,
    address,
    mode: "ok",
    serial: 2026112301,
    queries: 0,
    async close() {
      for (const c of conns) c.destroy();
      await Promise.all([
        new Promise<void>((res) => udp.close(() => res())),
        new Promise<void>((res) => tcp.close(() => res())),
      ]);
    },
  };
  udp.on("message", (msg, rinfo) => {
    r.queries++;
    const resp = answer(r, msg);
    if (resp) udp.send(resp, rinfo.port, rinfo.address);
  });
  tcp.on("connection", (c) => {
    conns.add(c);
    c.on("close", () => conns.delete(c));
    c.on("error", () => {});
    let buf = Buffer.alloc(0);
    c.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const n = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        r.queries++;
        const resp = answer(r, msg);
        if (resp) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(resp.length);
          c.write(Buffer.concat([len, resp]));
        }
      }
    });
  });
  // Bind UDP first (port 0: kernel pick), then TCP on the same number; retry on the rare TCP collision.
  await new Promise<void>((res, rej) => {
    udp.once("error", rej);
    udp.bind(port, address, () => {
      udp.off("error", rej);
      res();
    });
  });
  r.port = udp.address().port;
  try {
    await new Promise<void>((res, rej) => {
      tcp.once("error", rej);
      tcp.listen(r.port, address, () => {
        tcp.off("error", rej);
        res();
      });
    });
  } catch (e) {
    await new Promise<void>((res) => udp.close(() => res()));
    if (port !== 0 || retries <= 0) throw e;
    return startResponder(address, port, retries - 1);
  }
  return r;
}

/** Picks a port that was free a moment ago (nothing listens on it: refused). */
export async function closedPort(address = "127.0.0.1"): Promise<number> {
  const s = dgram.createSocket(net.isIPv6(address) ? "udp6" : "udp4");
  await new Promise<void>((res) => s.bind(0, address, () => res()));
  const p = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return p;
}
