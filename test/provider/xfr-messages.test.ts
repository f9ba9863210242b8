// Splitting a transfer into messages: sizes, the question in each, compression, and TSIG over the whole stream
// (verified by the transfer client's multi-message verifier, as a secondary would).
import { describe, expect, it } from "vitest";
import { XFR_MESSAGE_SIZE, xfrMessages } from "../../src/provider/xfr-messages.js";
import { axfrRecords } from "../../src/provider/zone-records.js";
import { buildQuery, parseMessage } from "../../src/transfer/message.js";
import { signMessage, TsigResponseVerifier } from "../../src/transfer/tsig.js";
import { parseNameText } from "../../src/wire/name.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { bigZoneText, ids, textRecords, tsig } from "./provider-fixture.js";

const origin = parseNameText("big.test.", null);
const text = bigZoneText("big.test.", 7, 3000);
const data = buildZone(origin, parseMasterFile(text, { file: "big" }).records);
const question = Buffer.concat([origin, Buffer.from([0, 252, 0, 1])]);

describe("xfrMessages", () => {
  it("keeps every message under 16 KiB, copies the question, and carries every record once (SOA twice)", () => {
    const msgs = [...xfrMessages(42, question, axfrRecords(data), null)];
    expect(msgs.length).toBeGreaterThan(3);
    const records = [];
    for (const m of msgs) {
      expect(m.length).toBeLessThanOrEqual(XFR_MESSAGE_SIZE);
      const p = parseMessage(m);
      expect(p.id).toBe(42);
      expect(p.question).toHaveLength(1);
      expect(p.flags & 0x8400).toBe(0x8400); // QR, AA
      records.push(...p.answer);
    }
    expect(records).toHaveLength(3001);
    expect(ids(records.slice(0, -1))).toEqual(textRecords(text));
  });

  it("signs every message so that a multi-message verifier accepts the stream", () => {
    const req = signMessage(buildQuery(42, origin, 252), tsig);
    const msgs = [...xfrMessages(42, question, axfrRecords(data), { key: tsig, requestMac: req.mac })];
    const v = new TsigResponseVerifier(tsig, req.mac);
    for (const m of msgs) {
      expect(m.length).toBeLessThanOrEqual(XFR_MESSAGE_SIZE);
      v.verify(m, parseMessage(m));
    }
    v.finish();
    // A flipped byte in a later message fails verification.
    const bad = msgs.map((m) => Buffer.from(m));
    const third = bad[2]!;
    third[40] = third[40]! ^ 1;
    const v2 = new TsigResponseVerifier(tsig, req.mac);
    expect(() => {
      for (const m of bad) v2.verify(m, parseMessage(m));
    }).toThrow();
  });

  it("gives a record larger than the soft limit a message of its own", () => {
    const long = `@ TXT ${Array.from({ length: 100 }, () => `"${"x".repeat(200)}"`).join(" ")}`;
    const z = buildZone(
      origin,
      parseMasterFile(`${bigZoneText("big.test.", 1, 50)}${long}\n`, { file: "t" }).records,
    );
    const msgs = [...xfrMessages(1, question, axfrRecords(z), null)];
    expect(msgs.some((m) => m.length > XFR_MESSAGE_SIZE)).toBe(true);
    expect(msgs.reduce((n, m) => n + parseMessage(m).answer.length, 0)).toBe(52);
  });
});
