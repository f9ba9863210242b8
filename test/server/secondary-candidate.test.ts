// A whole zone handed by the host to a serving process (cluster mode) as its zone image, without sockets: the
// table reads it aside and serves it only on the host's verdict naming it; a refused, superseded, missing or
// damaged one is never served and nothing is read in its place until the host names the restart copy. And
// `replayAxfr`, the build from a transfer's messages (the benches' reference): the tree the records give.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/log.js";
import { xfrMessages } from "../../src/provider/xfr-messages.js";
import { AxfrReplayError, replayAxfr } from "../../src/secondary/axfr-replay.js";
import { writeZoneWire } from "../../src/secondary/zone-wire-file.js";
import {
  encodeDelta,
  forIpc,
  type SecondaryChange,
  SecondaryTable,
  type SecondaryZoneState,
} from "../../src/server/secondary-table.js";
import { soaSerial } from "../../src/transfer/xfr-client.js";
import { parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { loadZoneText } from "../../src/zone/load-zone-file.js";
import type { ResourceRecord } from "../../src/zone/record.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { encodeZoneImage } from "../../src/zone/zone-image-file.js";
import { recordsOfZone } from "../../src/zone/zone-records.js";

const tmp = mkdtempSync(join(tmpdir(), "edgens-seccand-unit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ZONE = "c.test.";
const origin = parseNameText(ZONE, null);

function records(serial: number, hosts = 500): ResourceRecord[] {
  const text = [
    `$ORIGIN ${ZONE}`,
    `@ 60 SOA ns hm ${serial} 2 3 4 5`,
    "@ 60 NS ns",
    "ns 60 A 192.0.2.1",
    "mail 60 MX 10 ns",
    ...Array.from({ length: hosts }, (_, i) => `h${i} 60 A 198.51.100.${(i % 250) + 1}`),
    "",
  ].join("\n");
  return loadZoneText(text, origin, "test").records;
}

/** An AXFR answer for `rrs` (SOA first): the SOA again at the end, split into ~16 KiB messages. */
function axfrAnswer(rrs: ResourceRecord[]): Buffer[] {
  const question = Buffer.concat([origin, Buffer.from([0, RRType.AXFR, 0, 1])]);
  return [...xfrMessages(7, question, [...rrs, rrs[0]!], null)];
}

let files = 0;
/**
 * The change naming candidate `id`: the image of the zone of `rrs` (SOA first), written to a file as the host
 * writes it; `damaged`: its last 8 bytes cut off.
 */
function candidate(id: number, rrs: ResourceRecord[], damaged = false): SecondaryChange {
  const file = join(tmp, `candidate-${++files}`);
  const bytes = Buffer.concat(encodeZoneImage(buildZone(origin, rrs), soaSerial(rrs[0]!.rdata)));
  writeFileSync(file, damaged ? bytes.subarray(0, bytes.length - 8) : bytes);
  return { op: "candidate", zone: ZONE, id, file };
}

const sorted = (rrs: Iterable<ResourceRecord>) =>
  [...rrs].map((r) => `${r.owner.toString("hex")} ${r.type} ${r.ttl} ${r.rdata.toString("hex")}`).sort();

describe("replayAxfr", () => {
  it("builds the tree the records build, from compressed messages", async () => {
    const rrs = records(11, 3000);
    const messages = axfrAnswer(rrs);
    expect(messages.length).toBeGreaterThan(1);
    const r = (await replayAxfr(origin, messages))!;
    expect([r.serial, r.records]).toEqual([11, rrs.length]);
    expect(sorted(recordsOfZone(r.data))).toEqual(sorted(recordsOfZone(buildZone(origin, rrs))));
  });

  it("refuses a stream that is not an AXFR answer", async () => {
    const rrs = records(12, 20);
    const whole = axfrAnswer(rrs);
    await expect(replayAxfr(origin, axfrAnswer(rrs.slice(1)))).rejects.toThrow(AxfrReplayError);
    const open = [...xfrMessages(7, Buffer.concat([origin, Buffer.from([0, 252, 0, 1])]), rrs, null)];
    await expect(replayAxfr(origin, open)).rejects.toThrow(/without its closing SOA/);
    await expect(replayAxfr(origin, [...whole, ...whole])).rejects.toThrow(/after the closing SOA/);
  });

  it("builds in slices, the event loop running between them, and stops when cancelled", async () => {
    const messages = axfrAnswer(records(13, 20000));
    let ticks = 0;
    const tick = () => {
      ticks++;
      if (!done) setImmediate(tick);
    };
    let done = false;
    setImmediate(tick);
    const r = await replayAxfr(origin, messages, { sliceMs: 0 });
    done = true;
    expect(r!.serial).toBe(13);
    expect(ticks).toBeGreaterThan(messages.length / 2);
    let asked = 0;
    expect(await replayAxfr(origin, messages, { sliceMs: 0, cancelled: () => ++asked > 3 })).toBeNull();
    expect(asked).toBe(4);
  });
});

describe("SecondaryTable: transfer candidates", () => {
  const config = loadConfig({
    overlay: {
      zones: [{ origin: ZONE, secondary: { primaries: [{ address: "127.0.0.9", port: 53 }] } }],
      stateDir: tmp,
    },
  });
  const state = (serial: number, wire: string | null = null): SecondaryZoneState => ({
    zone: ZONE,
    role: "zone",
    state: "ok",
    serial,
    file: null,
    wire,
    journal: null,
    primaries: config.zones[0]!.secondary!.primaries,
    allowNotify: [],
  });
  const servedSerial = (t: SecondaryTable) => {
    const z = t.served()[0];
    // recordsOfZone gives the apex SOA first.
    return z ? soaSerial(recordsOfZone(z)[Symbol.iterator]().next().value!.rdata) : null;
  };

  /** A table, and how often it said served data changed outside `apply` (`onLateChange`). */
  const table = () => {
    const t = new SecondaryTable(config, createLogger("silent"), null);
    const late = { count: 0 };
    t.onLateChange = () => late.count++;
    return { t, late };
  };

  it("serves the build named by the verdict; not before it", async () => {
    const { t } = table();
    expect(t.apply([candidate(1, records(21))])).toBe(false);
    await t.settled();
    expect(t.served()).toEqual([]);
    expect(t.apply([{ op: "set", state: state(21), candidate: 1 }])).toBe(true);
    expect(servedSerial(t)).toBe(21);
    expect(t.served()[0]!.nodes.size).toBeGreaterThan(500);
  });

  it("a verdict that comes while the build runs serves it when done, and says so (onLateChange)", async () => {
    const { t, late } = table();
    t.apply([candidate(1, records(22, 30000))]);
    t.apply([{ op: "set", state: state(22), candidate: 1 }]);
    // The restart copy's state too: the accepted build is under way, so nothing is read for it.
    t.apply([{ op: "set", state: state(22, join(tmp, "absent.wire")) }]);
    expect(t.served()).toEqual([]);
    expect(late.count).toBe(0);
    await t.settled();
    expect(servedSerial(t)).toBe(22);
    expect(late.count).toBe(1);
  });

  it("a newer change's restart copy named while an accepted build runs is read once the build ends", async () => {
    const { t, late } = table();
    t.apply([candidate(1, records(27, 30000))]);
    t.apply([{ op: "set", state: state(27), candidate: 1 }]);
    // An IXFR the worker cannot apply (its tree is not at 27 yet) is followed by the copy of serial 28.
    const wire = join(tmp, "c28.test.wire");
    writeZoneWire(wire, buildZone(origin, records(28)), 28);
    t.apply([{ op: "set", state: state(28, wire) }]);
    expect(servedSerial(t)).toBe(28);
    await t.settled();
    expect(servedSerial(t)).toBe(28);
    expect(late.count).toBe(0); // the older build changed nothing
  });

  it("IXFR deltas that come while an accepted build runs are applied after it, not read from the copy", async () => {
    const { t, late } = table();
    t.apply([candidate(1, records(61, 30000))]);
    t.apply([{ op: "set", state: state(61), candidate: 1 }]);
    // The host applied two IXFRs meanwhile (only the apex changes: the records at the names they touch).
    const apex = (serial: number) => records(serial, 0).filter((r) => r.owner.equals(origin));
    t.apply([{ op: "set", state: state(62), delta: encodeDelta(61, apex(62)) }]);
    t.apply([{ op: "set", state: state(63), delta: encodeDelta(62, apex(63)) }]);
    // Their restart copies are named too; the one named here cannot be read: served data must come from the deltas.
    t.apply([{ op: "set", state: state(63, join(tmp, "absent63.wire")) }]);
    expect(t.served()).toEqual([]);
    await t.settled();
    expect(servedSerial(t)).toBe(63);
    expect(t.served()[0]!.nodes.size).toBeGreaterThan(30000);
    expect(late.count).toBe(1);
  });

  it("a newer image or a restarted host stop a read under way", async () => {
    const { t } = table();
    const [c1, c2, c3, c4] = [
      candidate(1, records(23, 30000)),
      candidate(2, records(24)),
      candidate(3, records(25, 30000)),
      candidate(4, records(26, 30000)),
    ];
    t.apply([c1!]);
    t.apply([c2!]);
    t.apply([{ op: "set", state: state(23), candidate: 1 }]);
    await t.settled();
    expect(t.served()).toEqual([]);
    t.apply([{ op: "set", state: state(24), candidate: 2 }]);
    expect(servedSerial(t)).toBe(24);
    t.apply([c3!]);
    t.apply([c4!]);
    t.apply([{ op: "set", state: state(24) }], true);
    await t.settled();
    t.apply([{ op: "set", state: state(25), candidate: 3 }]);
    t.apply([{ op: "set", state: state(26), candidate: 4 }]);
    expect(servedSerial(t)).toBe(24);
  });

  it("an image whose verdict is not 'ok' is dropped; a verdict for another image or serial serves nothing and reads nothing", async () => {
    const { t } = table();
    t.apply([candidate(2, records(31))]);
    await t.settled();
    t.apply([{ op: "set", state: { ...state(31), state: "expired" }, candidate: 2 }]);
    t.apply([{ op: "set", state: state(31), candidate: 2 }]);
    expect(t.served()).toEqual([]);
    // Another id, then the right id with another serial (the build is of 32, the host accepted 33).
    t.apply([candidate(3, records(32))]);
    await t.settled();
    t.apply([{ op: "set", state: state(32), candidate: 4 }]);
    expect(t.served()).toEqual([]);
    t.apply([candidate(5, records(32))]);
    await t.settled();
    t.apply([{ op: "set", state: state(33), candidate: 5 }]);
    expect(t.served()).toEqual([]);
    // The restart copy's state then brings the data (the fallback path).
    const wire = join(tmp, "c.test.wire");
    writeZoneWire(wire, buildZone(origin, records(33)), 33);
    t.apply([{ op: "set", state: state(33, wire) }]);
    expect(servedSerial(t)).toBe(33);
    // A later verdict for a build this process never got keeps what it serves.
    t.apply([{ op: "set", state: state(34), candidate: 6 }]);
    expect(servedSerial(t)).toBe(33);
  });

  it("over IPC the tree stays behind; a transfer whose file is gone is not built, and the restart copy serves", async () => {
    const c = candidate(8, records(51, 80000));
    const ipc = forIpc([{ op: "set", state: state(50), data: buildZone(origin, records(50)) }, c]);
    expect(ipc).toEqual([{ op: "set", state: state(50) }, c]);

    const { t } = table();
    t.apply(ipc);
    await t.settled();
    t.apply([{ op: "set", state: state(51), candidate: 8 }]);
    expect(servedSerial(t)).toBe(51);

    // The host deleted the file (its transfer was discarded, or its restart copy is written) before this
    // process read it: nothing is built, and an accepted one is served from the restart copy.
    const gone = candidate(9, records(52));
    rmSync((gone as Extract<SecondaryChange, { op: "candidate" }>).file);
    t.apply([gone]);
    t.apply([{ op: "set", state: state(52), candidate: 9 }]);
    await t.settled();
    expect(servedSerial(t)).toBe(51);
    const wire = join(tmp, "c52.test.wire");
    writeZoneWire(wire, buildZone(origin, records(52)), 52);
    t.apply([{ op: "set", state: state(52, wire) }]);
    expect(servedSerial(t)).toBe(52);
  });

  it("a damaged image is not held; accepted meanwhile, the restart copy is read instead", async () => {
    const { t } = table();
    t.apply([candidate(7, records(41), true)]);
    await t.settled();
    t.apply([{ op: "set", state: state(41), candidate: 7 }]);
    expect(t.served()).toEqual([]);
    // The verdict and the restart copy's state both come while the build runs; the build then fails.
    const wire = join(tmp, "c42.test.wire");
    writeZoneWire(wire, buildZone(origin, records(42)), 42);
    const late = { count: 0 };
    t.onLateChange = () => late.count++;
    t.apply([candidate(8, records(42, 30000), true)]);
    t.apply([{ op: "set", state: state(42), candidate: 8 }]);
    t.apply([{ op: "set", state: state(42, wire) }]);
    expect(t.served()).toEqual([]);
    await t.settled();
    expect(servedSerial(t)).toBe(42);
    expect(late.count).toBe(1);
  });
});
