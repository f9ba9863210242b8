// A scripted primary for secondary-zone tests without daemons: serves whatever zone text it is given (broken
// zones included, which Knot and NSD refuse to load): SOA over UDP, AXFR over TCP, IXFR answered AXFR-style.
import { parseMessage } from "../../src/transfer/message.js";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { answerTo, type FakeServer, frame, startFakeTcp, startFakeUdp } from "../transfer/fake-primary.js";

export interface ScriptedPrimary {
  host: string;
  port: number;
  /** Serve this zone text from now on (parse errors throw). */
  serve(text: string): void;
  /** While muted, UDP queries go unanswered and TCP connections are closed at once (a dead primary). */
  mute(on: boolean): void;
  /** Query types received, in order (SOA 6, AXFR 252, IXFR 251). */
  queries(): number[];
  close(): Promise<void>;
}

export function zoneText(
  origin: string,
  serial: number,
  body: string[],
  timers = "3600 600 86400 300",
): string {
  return [`$ORIGIN ${origin}`, "$TTL 300", `@ SOA ns1 hostmaster ${serial} ${timers}`, ...body, ""].join(
    "\n",
  );
}

export async function startScriptedPrimary(origin: string, text: string): Promise<ScriptedPrimary> {
  const originWire = parseNameText(origin, null);
  let records: ResourceRecord[] = [];
  const serve = (t: string) => {
    const r = parseMasterFile(t, { file: "<scripted>", origin: originWire });
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) throw new Error(`scripted zone: ${errors[0]!.message}`);
    records = r.records;
  };
  serve(text);
  const soa = () => records.find((r) => r.type === RRType.SOA)!;
  const all = () => [soa(), ...records.filter((r) => r.type !== RRType.SOA), soa()];
  const log: number[] = [];
  let muted = false;
  const typeOf = (q: Buffer) => parseMessage(q).question[0]!.type;
  const tcp: FakeServer = await startFakeTcp((q, sock) => {
    log.push(typeOf(q));
    if (muted) sock.destroy();
    else sock.write(frame(answerTo(q, all())));
  });
  let udp: FakeServer;
  try {
    udp = await startFakeUdp((q) => {
      log.push(typeOf(q));
      return muted ? null : answerTo(q, [soa()]);
    }, tcp.port);
  } catch (e) {
    await tcp.close();
    throw e;
  }
  return {
    host: "127.0.0.1",
    port: tcp.port,
    serve,
    mute: (on) => {
      muted = on;
    },
    queries: () => [...log],
    close: async () => {
      await Promise.all([tcp.close(), udp.close()]);
    },
  };
}
