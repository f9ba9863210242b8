// edgens' query processor behind minimal test sockets (UDP + TCP on loopback), without the CLI or the server
// module: loadZoneFile → buildZone → compileSnapshot → createResponder. `precompile: false` forces every
// query through the general lookup engine, so the corpus also checks that both paths give the same answers.
import type { Socket as DgramSocket, RemoteInfo } from "node:dgram";
import type { Socket } from "node:net";
import { createResponder } from "../../src/responder/responder.js";
import { compileSnapshot } from "../../src/responder/snapshot.js";
import { newOutcome } from "../../src/responder/types.js";
import { parseNameText } from "../../src/wire/name.js";
import { loadZoneFile } from "../../src/zone/load-zone-file.js";
import { buildZone } from "../../src/zone/zone-image.js";
import type { ZoneSpec } from "../helpers/peers.js";
import { listenUdpAndTcp } from "../helpers/ports.js";
import type { EdgensServer } from "./edgens-process.js";

export interface InProcessOptions {
  zones: ZoneSpec[];
  identity: string;
  precompile: boolean;
  host?: string;
}

export async function startInProcess(o: InProcessOptions): Promise<EdgensServer> {
  const zones = o.zones.map((z) => {
    const loaded = loadZoneFile(z.file, parseNameText(z.origin, null));
    return buildZone(loaded.origin, loaded.records);
  });
  const responder = createResponder(compileSnapshot(zones, 1, { precompile: o.precompile }), {
    identity: o.identity,
    nsid: Buffer.from(o.identity),
    maxUdpPayload: 1232,
  });
  const host = o.host ?? "127.0.0.1";
  const conns = new Set<Socket>();
  const onTcp = (sock: Socket) => {
    conns.add(sock);
    let buf = Buffer.alloc(0);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const reply = responder.respond(Buffer.from(msg), "tcp", newOutcome());
        if (!reply) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        sock.write(Buffer.concat([len, reply]));
      }
    });
    sock.on("error", () => sock.destroy());
    sock.on("close", () => conns.delete(sock));
  };
  const onUdp = (msg: Buffer, rinfo: RemoteInfo, udp: DgramSocket) => {
    const reply = responder.respond(msg, "udp", newOutcome());
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  };
  // One port number for UDP and TCP, as a real server has.
  const { udp, tcp, port } = await listenUdpAndTcp(host, onUdp, onTcp);
  return {
    host,
    port,
    pid: process.pid,
    log: () => "",
    stop: async () => {
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
      await new Promise<void>((r) => udp.close(() => r()));
    },
  };
}
