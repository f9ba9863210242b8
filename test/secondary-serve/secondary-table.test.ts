// The serving side of secondary zones without sockets: states → served / SERVFAIL / gone, persisted copies
// loaded with the zone loader, and NOTIFY answered from the table (ACL, TSIG) and forwarded to the host.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/log.js";
import { processNotify } from "../../src/secondary/notify-handler.js";
import { SecondaryTable, type SecondaryZoneState } from "../../src/server/secondary-table.js";
import { parseTsigKey, signMessage } from "../../src/transfer/tsig.js";
import { nameKey, parseNameText } from "../../src/wire/name.js";
import { Rcode } from "../../src/wire/rrtype.js";

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
