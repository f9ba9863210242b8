// Issue #6 (a small IXFR served soon after the primary's NOTIFY): ServingNode.applySecondary serves a change
// before any background work. A query (here a NOTIFY, whose handling the test observes) already waiting in the
// socket when the change is applied from an I/O callback is handled before the background precompile starts,
// and queries get the new serial. A single setImmediate does not ensure that: from an I/O callback it runs
// before the event loop reads its sockets again, and the first precompile slice then delays every query
// waiting there.
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { ServerMetrics } from "../../src/metrics/server-metrics.js";
import type { Snapshot } from "../../src/responder/snapshot.js";
import { buildNotify } from "../../src/secondary/notify-sender.js";
import { SecondaryTable, type SecondaryZoneState } from "../../src/server/secondary-table.js";
import { ServingNode } from "../../src/server/serving-node.js";
import { parseNameText } from "../../src/wire/name.js";
import type { ZoneData } from "../../src/zone/zone.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { zoneRecords } from "../helpers/zone-fixture.js";
import { decode, freePort, query, serialOf, udpExchange } from "./dns-client.js";

const ORIGIN = "wait.test.";
const tmp = mkdtempSync(join(tmpdir(), "edgens-before-precompile-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function zone(serial: number): ZoneData {
  let text = `@ SOA ns1 hostmaster ${serial} 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n`;
  for (let i = 0; i < 200; i++) text += `h${i} A 198.51.100.${i % 250}\n`;
  return buildZone(parseNameText(ORIGIN, null), zoneRecords(text, ORIGIN));
}

/** Bytes waiting in the receive queue of the UDP socket bound to 127.0.0.1:`port` (Linux /proc/net/udp). */
function udpQueued(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of readFileSync("/proc/net/udp", "latin1").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) return Number.parseInt(f[4]!.split(":")[1]!, 16);
  }
  throw new Error(`no UDP socket bound to 127.0.0.1:${port}`);
}

describe("ServingNode: a secondary change is served before the background precompile", () => {
  let node: ServingNode;
  let port: number;
  /** What happened, in order: the test's steps, NOTIFYs the node handled, the node's log messages. */
  const events: string[] = [];
  const precompiled: Snapshot[] = [];
  const state = (serial: number): SecondaryZoneState => ({
    zone: ORIGIN,
    role: "zone",
    state: "ok",
    serial,
    file: null,
    primaries: [{ address: "127.0.0.9", port: 53 }],
    allowNotify: ["127.0.0.1"],
  });
  const waitFor = async (what: string, done: () => boolean) => {
    for (const t0 = Date.now(); !done(); await new Promise((r) => setTimeout(r, 5))) {
      if (Date.now() - t0 > 10_000) throw new Error(`${what}: not within 10 s; events: ${events.join(", ")}`);
    }
  };

  beforeAll(async () => {
    port = await freePort();
    const config = loadConfig({
      overlay: {
        listen: [`127.0.0.1:${port}`],
        workers: 0,
        zones: [
          {
            origin: ORIGIN,
            secondary: { primaries: [{ address: "127.0.0.9", port: 53 }], allowNotify: ["127.0.0.1"] },
          },
        ],
        stateDir: tmp,
      },
    });
    const log = pino({ level: "debug" }, { write: (line: string) => events.push(JSON.parse(line).msg) });
    const table = new SecondaryTable(config, log, null);
    table.onNotify = (_zone, serial) => events.push(`NOTIFY handled (hint ${serial})`);
    node = await ServingNode.start(config, new ServerMetrics(), log, { secondary: table });
    node.onPrecompiled = (s) => precompiled.push(s);
    node.applySecondary([{ op: "set", state: state(1), data: zone(1) }]);
    await waitFor("the first precompile", () => precompiled.length === 1);
  });
  afterAll(() => node?.close());

  it("a query waiting when the change is applied is answered before the precompile starts", async () => {
    events.length = 0;
    const z2 = zone(2);
    const client = createSocket("udp4");
    // Connected: its send() goes out at once, not after an address lookup on a later tick.
    const notifier = createSocket("udp4");
    await new Promise<void>((r) => notifier.connect(port, "127.0.0.1", r));
    const answer = new Promise<Buffer>((resolve) => {
      notifier.on("message", resolve);
      client.on("message", () => {
        // In an I/O callback, as the host's IPC message or the IXFR's last read: a NOTIFY reaches the node's
        // socket, then the change is applied; the node reads the NOTIFY on its next poll.
        notifier.send(buildNotify(0x4242, parseNameText(ORIGIN, null)));
        for (const t0 = Date.now(); udpQueued(port) === 0; ) {
          if (Date.now() - t0 > 2000) throw new Error("the NOTIFY never reached the node's socket");
        }
        node.applySecondary([{ op: "set", state: state(2), data: z2 }]);
        events.push("change applied");
      });
    });
    // Any answer will do to get into an I/O callback.
    await new Promise<void>((r) => client.bind(0, "127.0.0.1", r));
    client.send(query(ORIGIN, "SOA", 1), port, "127.0.0.1");
    const notifyAnswer = decode(await answer);
    client.close();
    notifier.close();
    expect(notifyAnswer).toMatchObject({ id: 0x4242, opcode: "NOTIFY", rcode: "NOERROR" });
    await waitFor("the second precompile", () => precompiled.length === 2);

    const order = events.filter((e) =>
      /change applied|NOTIFY handled|secondary change served|background precompile started|precompiled answers swapped in/.test(
        e,
      ),
    );
    expect(order).toEqual([
      "secondary change served",
      "change applied",
      "NOTIFY handled (hint undefined)",
      "background precompile started",
      "precompiled answers swapped in",
    ]);
    expect(serialOf(decode(await udpExchange("127.0.0.1", port, query(ORIGIN, "SOA", 2))))).toBe(2);
  });
});
