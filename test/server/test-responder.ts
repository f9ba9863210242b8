// A trivial test-only responder: answers every query with one A record (192.0.2.1) for the question name,
// FORMERR when dns-packet cannot decode the query, nothing for responses (QR=1).
import dnsPacket from "dns-packet";
import type { QueryOutcome, Responder, Transport } from "../../src/responder/types.js";

export class TestResponder implements Responder {
  calls = 0;
  /** Pad every answer with this many trailing bytes (to fill socket buffers in backpressure tests). */
  constructor(private readonly padding = 0) {}

  respond(query: Buffer, transport: Transport, outcome: QueryOutcome): Buffer | null {
    this.calls++;
    if (query.length < 12 || query[2]! & 0x80) return null;
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(query);
    } catch {
      outcome.rcode = 1;
      const r = Buffer.from(query.subarray(0, 12));
      r[2] = 0x80;
      r[3] = 1;
      r.fill(0, 4);
      return r;
    }
    const question = q.questions?.[0];
    outcome.qtype = 1;
    outcome.rcode = 0;
    const answer = dnsPacket.encode({
      id: q.id,
      type: "response",
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: q.questions,
      answers: question
        ? [
            { name: question.name, type: "A", ttl: 60, data: "192.0.2.1" },
            {
              name: question.name,
              type: "TXT",
              ttl: 60,
              data: transport,
            },
          ]
        : [],
    });
    return this.padding > 0 ? Buffer.concat([answer, Buffer.alloc(this.padding)]) : answer;
  }
}
