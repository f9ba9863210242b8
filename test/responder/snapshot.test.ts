// The precompiled table must give the same bytes as the per-query path (the XDP maps are built from it), and
// swap() must switch generations atomically.
import { describe, expect, it } from "vitest";
import { createResponder } from "../../src/responder/responder.js";
import {
  compileSnapshot,
  compileSnapshotAsync,
  exactKey,
  precompiledEntryBytes,
} from "../../src/responder/snapshot.js";
import { newOutcome, type Transport } from "../../src/responder/types.js";
import { nameKey, nameToText, parseNameText } from "../../src/wire/name.js";
import { parseQuery } from "../../src/wire/query-parser.js";
import { typeFromText, typeToText } from "../../src/wire/rrtype.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { ask, fixtureSnapshot, fixtureZones, makeQuery, type QueryOptions } from "../helpers/zone-fixture.js";

/** Flip the case of every other letter, as a 0x20-randomizing resolver would. */
function mixCase(name: string): string {
  let i = 0;
  return name.replace(/[a-z]/gi, (c) => (i++ % 2 === 0 ? c.toUpperCase() : c.toLowerCase()));
}

describe("precompiled answers", () => {
  const hot = createResponder(fixtureSnapshot(1, true), {
    identity: "t",
    nsid: Buffer.from("x"),
    maxUdpPayload: 1232,
  });
  const cold = createResponder(fixtureSnapshot(1, false), {
    identity: "t",
    nsid: Buffer.from("x"),
    maxUdpPayload: 1232,
  });

  it("covers the exact names of the zones", () => {
    const snap = hot.snapshot;
    expect(snap.exactAnswers.size).toBeGreaterThan(100);
    expect(
      snap.exactAnswers.has(exactKey(parseNameText("www.example.", null).toString("latin1"), 1, false)),
    ).toBe(true);
    expect(cold.snapshot.exactAnswers.size).toBe(0);
  });

  it("are keyed exactly as the query parser keys questions", () => {
    for (const [name, type, dnssecOk] of [
      ["WwW.Example.", "A", false],
      ["_sip._udp.example.", "SRV", true],
      [".", "NS", false],
    ] as const) {
      const q = parseQuery(makeQuery(name, type, dnssecOk ? { edns: { do: true } } : {}));
      expect(q.questionKey).toBe(exactKey(nameKey(parseNameText(name, null)), typeFromText(type)!, dnssecOk));
      expect(q.qkey).toBe(nameKey(parseNameText(name, null)));
    }
  });

  it("are byte-identical to the lookup path for every entry, case, EDNS variant and transport", () => {
    let compared = 0;
    for (const [key, entry] of hot.snapshot.exactAnswers) {
      const name = nameToText(key.slice(0, -3));
      const variants: (QueryOptions & { transport: Transport })[] = [
        { transport: "udp" },
        { transport: "tcp", rd: true },
        { transport: "udp", cd: true, edns: { udpSize: 4096, do: entry.dnssecOk, nsid: true } },
        { transport: "udp", edns: { udpSize: 512, do: entry.dnssecOk } },
      ];
      for (const v of variants) {
        if (!v.edns && entry.dnssecOk) continue;
        for (const qname of [name, mixCase(name)]) {
          const q = makeQuery(qname, entry.qtype, { id: compared & 0xffff, ...v });
          const a = hot.respond(q, v.transport, newOutcome());
          const b = cold.respond(q, v.transport, newOutcome());
          expect(a, `${qname} ${typeToText(entry.qtype)} ${JSON.stringify(v)}`).toEqual(b);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
  });
});

describe("compiling", () => {
  it("caps the table at maxPrecompiled; the lookup path answers the rest with the same bytes", () => {
    const capped = createResponder(compileSnapshot(fixtureZones(), 1, { maxPrecompiled: 10 }), {
      identity: "t",
      maxUdpPayload: 1232,
    });
    expect(capped.snapshot.exactAnswers.size).toBe(10);
    const full = createResponder(fixtureSnapshot(), { identity: "t", maxUdpPayload: 1232 });
    for (const name of ["www.example.", "mail.example.", "alias.example.", "www.child.example."]) {
      const q = makeQuery(name, "A", { edns: { do: true } });
      expect(capped.respond(q, "udp", newOutcome())).toEqual(full.respond(q, "udp", newOutcome()));
    }
  });

  it("caps the table by its estimated memory (precompileBudgetBytes); the lookup path answers the rest", () => {
    const full = fixtureSnapshot();
    const sizes = [...full.exactAnswers].map(([k, v]) => precompiledEntryBytes(k, v));
    // A budget that the first five entries reach: the sixth is never built.
    const budget = sizes.slice(0, 5).reduce((a, b) => a + b, 0);
    const capped = compileSnapshot(fixtureZones(), 1, { precompileBudgetBytes: budget });
    expect(capped.exactAnswers.size).toBe(5);
    expect([...capped.exactAnswers.keys()]).toEqual([...full.exactAnswers.keys()].slice(0, 5));
    const a = createResponder(capped, { identity: "t", maxUdpPayload: 1232 });
    const b = createResponder(full, { identity: "t", maxUdpPayload: 1232 });
    for (const name of ["www.example.", "mail.example.", "alias.example.", "nx.example."]) {
      for (const type of ["A", "AAAA", "MX"] as const) {
        const q = makeQuery(name, type, { edns: { do: true } });
        expect(a.respond(q, "udp", newOutcome())).toEqual(b.respond(q, "udp", newOutcome()));
      }
    }
    expect(compileSnapshot(fixtureZones(), 1, { precompileBudgetBytes: 0 }).exactAnswers.size).toBe(0);
  });

  it("compileSnapshotAsync builds the same table and lets the event loop run between chunks", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const snap = await compileSnapshotAsync(fixtureZones(), 7, { chunk: 20 });
    clearInterval(timer);
    const sync = fixtureSnapshot();
    expect(snap.generation).toBe(7);
    expect([...snap.exactAnswers.keys()]).toEqual([...sync.exactAnswers.keys()]);
    for (const [k, v] of sync.exactAnswers) expect(snap.exactAnswers.get(k)!.wire).toEqual(v.wire);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe("swap", () => {
  const zone = (address: string) => {
    const origin = parseNameText("swap.test.", null);
    const text = `@ 60 IN SOA ns. h. 1 1 1 1 60\n@ 60 IN NS ns.\nwww 60 IN A ${address}\n`;
    return buildZone(origin, parseMasterFile(text, { file: "swap", origin }).records);
  };

  it("replaces the snapshot with one reference assignment", () => {
    const r = createResponder(compileSnapshot([zone("192.0.2.1")], 1), {
      identity: "t",
      maxUdpPayload: 1232,
    });
    expect(ask(r, "www.swap.test.", "A").d.answer).toEqual(["www.swap.test. 60 IN A 192.0.2.1"]);
    const next = compileSnapshot([zone("192.0.2.2")], 2);
    r.swap(next);
    expect(r.snapshot).toBe(next);
    expect(r.snapshot.generation).toBe(2);
    expect(ask(r, "www.swap.test.", "A").d.answer).toEqual(["www.swap.test. 60 IN A 192.0.2.2"]);
    // Zones dropped from the new snapshot are no longer served.
    r.swap(compileSnapshot(fixtureZones(), 3));
    expect(ask(r, "www.swap.test.", "A").d.rcode).toBe(5);
  });
});
