// The serving side of secondary zones without sockets: states → served / SERVFAIL / gone, persisted copies
// loaded with the zone loader, and NOTIFY answered from the table (ACL, TSIG) and forwarded to the host.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/log.js";
import { processNotify } from "../../src/secondary/notify-handler.js";
import { JOURNAL_HEADER } from "../../src/secondary/zone-journal.js";
import { ZoneStore } from "../../src/secondary/zone-store.js";
import { decodeZoneWire, encodeZoneWire, writeZoneWire } from "../../src/secondary/zone-wire-file.js";
import { SecondaryTable, type SecondaryZoneState } from "../../src/server/secondary-table.js";
import { parseTsigKey, signMessage } from "../../src/transfer/tsig.js";
import { nameKey, parseNameText } from "../../src/wire/name.js";
import { Rcode } from "../../src/wire/rrtype.js";
import { loadZoneFile } from "../../src/zone/load-zone-file.js";
import { applyDeltaToZone } from "../../src/zone/zone-delta.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { recordsAtNames, recordsOfZone } from "../../src/zone/zone-records.js";

const SECRET = Buffer.alloc(32, 9).toString("base64");
const tmp = mkdtempSync(join(tmpdir(), "edgens-sectable-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = loadConfig({
  overlay: {
    zones: [
      { origin: "a.test.", secondary: { primaries: [{ address: "127.0.0.9", port: 53, tsigKey: "k." }] } },
    ],
    tsigKeys: { "k.": { algorithm: "hmac-sha256", secret: SECRET } },
    stateDir: tmp,
  },
});
const log = createLogger("silent");

function notifyQuery(zone: string): Buffer {
  const name = parseNameText(zone, null);
  const q = Buffer.alloc(12 + name.length + 4);
  q.writeUInt16BE(0x1234, 0);
  q.writeUInt16BE(0x2000 | 0x0400, 2); // opcode NOTIFY, AA
  q.writeUInt16BE(1, 4);
  name.copy(q, 12);
  q.writeUInt16BE(6, 12 + name.length);
  q.writeUInt16BE(1, 14 + name.length);
  return q;
}

describe("SecondaryTable", () => {
  it("configured zones start pending; ok loads the persisted copy; expired and removed", () => {
    const t = new SecondaryTable(config, log, null);
    const key = nameKey(parseNameText("a.test.", null));
    expect(t.unavailable()).toEqual([key]);
    const file = join(tmp, "a.test.zone");
    writeFileSync(file, "$ORIGIN a.test.\n@ 60 SOA ns hm 7 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\n");
    const state: SecondaryZoneState = {
      zone: "a.test.",
      role: "zone",
      state: "ok",
      serial: 7,
      file,
      primaries: config.zones[0]!.secondary!.primaries,
      allowNotify: [],
    };
    expect(t.apply([{ op: "set", state }])).toBe(true);
    expect(t.served().map((z) => z.originKey)).toEqual([key]);
    expect(t.unavailable()).toEqual([]);
    // A broken copy keeps the old data.
    writeFileSync(file, "garbage\n");
    t.apply([{ op: "set", state: { ...state, serial: 8 } }]);
    expect(t.served()).toHaveLength(1);
    t.apply([{ op: "set", state: { ...state, serial: 8, state: "expired" } }]);
    expect([t.served().length, t.unavailable()]).toEqual([0, [key]]);
    t.apply([{ op: "remove", zone: "A.test." }]);
    expect([t.served().length, t.unavailable().length, t.size]).toEqual([0, 0, 0]);
  });

  it("a wire copy is served without its text; a truncated or damaged one is refused and the old data kept", async () => {
    const lines: Record<string, unknown>[] = [];
    const wlog = pino({ level: "info" }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const t = new SecondaryTable(config, wlog, null);
    const origin = parseNameText("a.test.", null);
    const text = (serial: number, extra = "") => {
      const f = join(tmp, `w${serial}.zone`);
      writeFileSync(
        f,
        `$ORIGIN a.test.\n@ 60 SOA ns hm ${serial} 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\n${extra}`,
      );
      const z = loadZoneFile(f, origin);
      return buildZone(z.origin, z.records);
    };
    const v7 = text(7, "www 60 AAAA 2001:db8::7\nsub 60 NS ns.sub\nns.sub 60 A 192.0.2.9\n");
    // Round trip: the same records, SOA first.
    const round = decodeZoneWire(Buffer.concat(encodeZoneWire(v7, 7)), origin);
    expect(round.serial).toBe(7);
    expect(
      round.records.map((r) => [r.type, r.ttl, r.owner.toString("hex"), r.rdata.toString("hex")]),
    ).toEqual(
      [...recordsOfZone(v7)].map((r) => [r.type, r.ttl, r.owner.toString("hex"), r.rdata.toString("hex")]),
    );
    const wire = join(tmp, "a.test.wire");
    writeZoneWire(wire, v7, 7);
    const state: SecondaryZoneState = {
      zone: "a.test.",
      role: "zone",
      state: "ok",
      serial: 7,
      file: join(tmp, "no-such-text-copy.zone"),
      wire,
      primaries: config.zones[0]!.secondary!.primaries,
      allowNotify: [],
    };
    t.apply([{ op: "set", state }]);
    const served = () => t.served()[0]!;
    expect(served().nodes.size).toBe(v7.nodes.size);
    expect(lines.filter((l) => l.msg === "wire copy loaded")).toMatchObject([{ serial: 7, records: 6 }]);
    const held = served();

    const refused = (serial: number) =>
      lines.filter(
        (l) =>
          l.msg === "cannot load the wire copy at the announced serial; keeping the newest data read" &&
          l.serial === serial,
      );
    // Truncated (a write cut short), then one byte flipped: refused with the reason; serial 7 still served.
    writeZoneWire(wire, text(8), 8);
    const good = readFileSync(wire);
    writeFileSync(wire, good.subarray(0, good.length - 40));
    t.apply([{ op: "set", state: { ...state, serial: 8 } }]);
    expect(served()).toBe(held);
    const flipped = Buffer.from(good);
    flipped[30] = flipped[30]! ^ 0x20;
    writeFileSync(wire, flipped);
    t.apply([{ op: "set", state: { ...state, serial: 8 } }]);
    expect(served()).toBe(held);
    writeFileSync(wire, good.subarray(0, 10));
    t.apply([{ op: "set", state: { ...state, serial: 8 } }]);
    expect(served()).toBe(held);
    // A whole file of an older serial than announced: not what was asked for, but newer than what we hold.
    writeFileSync(wire, good);
    t.apply([{ op: "set", state: { ...state, serial: 9 } }]);
    expect(served()).not.toBe(held);
    expect(served().nodes.size).toBe(2);
    expect(refused(8).map((l) => l.err)).toEqual([
      "checksum mismatch (truncated or damaged)",
      "checksum mismatch (truncated or damaged)",
      "not a zone wire file (10 bytes, bad header)",
    ]);
    expect(refused(9).map((l) => [l.err, l.held])).toEqual([["it reaches serial 8, expected 9", 8]]);
    expect(lines.filter((l) => l.msg === "wire copy loaded").map((l) => l.serial)).toEqual([7, 8]);
    // The text copy's path (no wire) then brings the new serial.
    const at8 = served();
    const file = join(tmp, "w9.zone");
    text(9, "www 60 A 192.0.2.9\n");
    t.apply([{ op: "set", state: { ...state, serial: 9, file, wire: null } }]);
    expect(served()).not.toBe(at8);
    expect(served().nodes.size).toBe(3);
  });

  it("wire copy + journal: replayed up to the announced serial; a journal of another wire copy is not used", async () => {
    const lines: Record<string, unknown>[] = [];
    const wlog = pino({ level: "info" }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const t = new SecondaryTable(config, wlog, null);
    const origin = parseNameText("a.test.", null);
    const version = (serial: number, extra: string) => {
      const f = join(tmp, `j${serial}.zone`);
      writeFileSync(
        f,
        `$ORIGIN a.test.\n@ 60 SOA ns hm ${serial} 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\n${extra}`,
      );
      const z = loadZoneFile(f, origin);
      return buildZone(z.origin, z.records);
    };
    const v1 = version(1, "");
    const store = new ZoneStore(join(tmp, "jstate"), origin);
    await store.saveWire(v1, 1);
    // Two IXFRs as the host journals them: the records at the touched names (the apex and one more).
    let base = v1;
    let end = JOURNAL_HEADER;
    for (const [serial, owner, extra] of [
      [2, "www", "www 60 A 192.0.2.2\n"],
      [3, "new", "www 60 A 192.0.2.2\nnew 60 TXT x\n"],
    ] as const) {
      const keys = new Set([nameKey(origin), nameKey(parseNameText(owner, origin))]);
      const records = recordsAtNames(version(serial, extra), keys);
      base = applyDeltaToZone(base, records, keys)!;
      end = await store.appendJournal(end, { fromSerial: serial - 1, toSerial: serial, records });
    }
    const state: SecondaryZoneState = {
      zone: "a.test.",
      role: "zone",
      state: "ok",
      serial: 3,
      file: join(tmp, "no-such-text-copy.zone"),
      wire: store.wirePath,
      journal: store.journalPath,
      primaries: config.zones[0]!.secondary!.primaries,
      allowNotify: [],
    };
    t.apply([{ op: "set", state }]);
    const served = () => t.served()[0]!;
    expect([...recordsOfZone(served())].map((r) => r.type)).toEqual([6, 2, 1, 1, 16]);
    expect(lines.filter((l) => l.msg === "wire copy loaded")).toMatchObject([
      { serial: 3, records: 5, journalEntries: 2 },
    ]);
    // A new wire copy (serial 4) whose journal reset was lost: the old journal is not replayed onto it.
    const journal = readFileSync(store.journalPath);
    await store.saveWire(version(4, "www 60 A 192.0.2.4\n"), 4);
    writeFileSync(store.journalPath, journal);
    t.apply([{ op: "set", state: { ...state, serial: 4 } }]);
    expect([...recordsOfZone(served())].map((r) => r.type)).toEqual([6, 2, 1, 1]);
    expect(lines.filter((l) => l.msg === "wire copy loaded").map((l) => l.serial)).toEqual([3, 4]);
  });

  it("answers NOTIFY: signed from the primary → forwarded; unsigned → REFUSED; other zone → NOTAUTH", () => {
    const t = new SecondaryTable(config, log, null);
    const got: [string, number | undefined][] = [];
    t.onNotify = (zone, serial) => got.push([zone, serial]);
    const key = parseTsigKey(`k.:hmac-sha256:${SECRET}`);
    const signed = signMessage(notifyQuery("a.test."), key).message;
    const from = { address: "127.0.0.9", port: 5300 };
    expect(processNotify(signed, from, t.notifyLookup)?.outcome).toBe("accepted");
    expect(got).toEqual([["a.test.", undefined]]);
    const r = processNotify(notifyQuery("a.test."), from, t.notifyLookup)!;
    expect([r.outcome, r.response[3]! & 0xf]).toEqual(["refused", Rcode.REFUSED]);
    expect(processNotify(signed, { address: "127.0.0.8", port: 1 }, t.notifyLookup)?.outcome).toBe("refused");
    expect(processNotify(notifyQuery("b.test."), from, t.notifyLookup)?.outcome).toBe("notauth");
    expect(got).toHaveLength(1);
  });
});
