// Issue item 11: any byte string gets a correct response or null, and respond() never throws.
import dnsPacket from "dns-packet";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createResponder } from "../../src/responder/responder.js";
import { newOutcome, type Transport } from "../../src/responder/types.js";
import { decodeResponse, fixtureSnapshot, makeQuery } from "../helpers/zone-fixture.js";

const responder = createResponder(fixtureSnapshot(), {
  identity: "prop",
  nsid: Buffer.from("n1"),
  maxUdpPayload: 1232,
});

/** respond() must return null or a message that an independent parser accepts, with the query's ID. */
function checkResponse(query: Buffer, transport: Transport): void {
  const outcome = newOutcome();
  let out: Buffer | null = null;
  expect(() => {
    out = responder.respond(query, transport, outcome);
  }).not.toThrow();
  if (out === null) {
    // Only short messages and responses are dropped.
    expect(query.length < 12 || (query[2]! & 0x80) !== 0).toBe(true);
    return;
  }
  const msg = out as Buffer;
  const packet = dnsPacket.decode(msg);
  expect(packet.id).toBe(query.readUInt16BE(0));
  expect(msg[2]! & 0x80).toBe(0x80);
  decodeResponse(msg); // our own decoder too: RDATA names, counts, OPT
  if (transport === "udp") expect(msg.length).toBeLessThanOrEqual(1232);
  expect(outcome.rcode).toBeGreaterThanOrEqual(0);
}

const names = [
  "www.example.",
  "WWW.EXAMPLE.",
  "alias.example.",
  "foo.wild.example.",
  "x.sub.example.",
  "a.dn.example.",
  "nope.example.",
  "big.example.",
  "mxmany.example.",
  "www.bigdeleg.example.",
  "child.example.",
  "id.server.",
  "example.org.",
];
const types = ["A", "AAAA", "MX", "NS", "SOA", "TXT", "DS", "ANY", "RRSIG", "CNAME", "DNAME", "SRV", "AXFR"];

const validQuery = fc
  .record({
    name: fc.constantFrom(...names),
    type: fc.constantFrom(...types),
    id: fc.integer({ min: 0, max: 0xffff }),
    qclass: fc.constantFrom(1, 3, 255, 254, 4),
    edns: fc.option(
      fc.record({
        udpSize: fc.integer({ min: 0, max: 0xffff }),
        do: fc.boolean(),
        version: fc.constantFrom(0, 0, 1),
        nsid: fc.boolean(),
      }),
    ),
  })
  .map((r) => makeQuery(r.name, r.type, { id: r.id, qclass: r.qclass, edns: r.edns ?? undefined }));

describe("robustness (fast-check)", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.constantFrom<Transport>("udp", "tcp"),
        (b, t) => checkResponse(Buffer.from(b), t),
      ),
      { numRuns: 1000 },
    );
  });

  it("random bytes behind a plausible header", () => {
    const header = fc
      .record({
        id: fc.integer({ min: 0, max: 0xffff }),
        qd: fc.integer({ min: 0, max: 2 }),
        ar: fc.integer({ min: 0, max: 2 }),
      })
      .map(({ id, qd, ar }) => {
        const h = Buffer.alloc(12);
        h.writeUInt16BE(id, 0);
        h.writeUInt16BE(qd, 4);
        h.writeUInt16BE(ar, 10);
        return h;
      });
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 300 }), (h, body) =>
        checkResponse(Buffer.concat([h, body]), "udp"),
      ),
      { numRuns: 1000 },
    );
  });

  it("valid queries answer with the same question", () => {
    fc.assert(
      fc.property(validQuery, fc.constantFrom<Transport>("udp", "tcp"), (q, t) => {
        checkResponse(q, t);
        const d = decodeResponse(responder.respond(q, t, newOutcome())!);
        // Only FORMERR and refused foreign classes come back without the question (as NSD).
        const qclass = q.readUInt16BE(q.indexOf(0, 12) + 3);
        if (d.rcode !== 1 && [1, 3, 255].includes(qclass)) {
          expect(d.qnameWire).toEqual(q.subarray(12, q.indexOf(0, 12) + 1));
        }
      }),
      { numRuns: 800 },
    );
  });

  it("mutated valid queries (flipped, inserted, deleted, truncated bytes)", () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant("flip" as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), value: fc.constant(0) }),
    );
    fc.assert(
      fc.property(validQuery, fc.array(mutation, { minLength: 1, maxLength: 4 }), (q, muts) => {
        let b = Buffer.from(q);
        for (const m of muts) {
          const at = m.at % (b.length + 1);
          if (m.kind === "flip" && at < b.length) b[at] = m.value;
          else if (m.kind === "insert")
            b = Buffer.concat([b.subarray(0, at), Buffer.from([m.value]), b.subarray(at)]);
          else if (m.kind === "delete") b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
          else if (m.kind === "cut") b = b.subarray(0, at);
        }
        checkResponse(b, "udp");
      }),
      { numRuns: 1500 },
    );
  });
});
