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
import { decodeZoneWire, encodeZoneWire, writeZoneWire } from "../../src/secondary/zone-wire-file.js";
import { SecondaryTable, type SecondaryZoneState } from "../../src/server/secondary-table.js";
import { parseTsigKey, signMessage } from "../../src/transfer/tsig.js";
import { nameKey, parseNameText } from "../../src/wire/name.js";
import { Rcode } from "../../src/wire/rrtype.js";
import { loadZoneFile } from "../../src/zone/load-zone-file.js";
import { buildZone } from "../../src/zone/zone.js";
import { recordsOfZone } from "../../src/zone/zone-records.js";

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
          l.msg === "cannot load the wire copy; keeping old data until the text copy is written" &&
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
    // A whole file of another serial is refused too.
    writeFileSync(wire, good);
    t.apply([{ op: "set", state: { ...state, serial: 9 } }]);
    expect(served()).toBe(held);
    expect(refused(8).map((l) => l.err)).toEqual([
      "checksum mismatch (truncated or damaged)",
      "checksum mismatch (truncated or damaged)",
      "not a zone wire file (10 bytes, bad header)",
    ]);
    expect(refused(9).map((l) => [l.err, l.held])).toEqual([["it holds serial 8, expected 9", 7]]);
    // The text copy's path (no wire) then brings the new serial.
    const file = join(tmp, "w9.zone");
    text(9);
    t.apply([{ op: "set", state: { ...state, serial: 9, file, wire: null } }]);
    expect(served()).not.toBe(held);
    expect(served().nodes.size).toBe(2);
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
