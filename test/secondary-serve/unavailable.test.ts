// Zones configured here without data (a secondary before its first transfer, or expired) answer SERVFAIL;
// a deeper zone that is served still answers; names in no zone stay REFUSED. NOTIFY goes to the table.
import { describe, expect, it } from "vitest";
import { createResponder } from "../../src/responder/responder.js";
import { compileSnapshot } from "../../src/responder/snapshot.js";
import { newOutcome } from "../../src/responder/types.js";
import { nameKey, parseNameText } from "../../src/wire/name.js";
import { Rcode } from "../../src/wire/rrtype.js";
import { parseMasterFile } from "../../src/zone/master-parser.js";
import { buildZone } from "../../src/zone/zone-image.js";
import { buildQuery, parseHeader } from "../helpers/dns-client.js";

function zone(origin: string) {
  const o = parseNameText(origin, null);
  const text = `$ORIGIN ${origin}\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n`;
  return buildZone(o, parseMasterFile(text, { file: origin, origin: o }).records);
}

describe("unavailable zones", () => {
  const snap = compileSnapshot([zone("sub.a.test.")], 1, {
    unavailable: [nameKey(parseNameText("a.test.", null))],
  });
  const r = createResponder(snap, { identity: "t", maxUdpPayload: 1232 });
  const ask = (qname: string, qtype = "A", transport: "udp" | "tcp" = "udp") => {
    const out = r.respond(buildQuery({ qname, qtype, edns: { udpSize: 1232 } }), transport, newOutcome());
    return parseHeader(out!);
  };

  it.each([
    ["a.test.", "SOA", Rcode.SERVFAIL],
    ["www.A.test.", "A", Rcode.SERVFAIL],
    ["www.sub.a.test.", "A", Rcode.NOERROR],
    ["nope.sub.a.test.", "A", Rcode.NXDOMAIN],
    ["other.test.", "A", Rcode.REFUSED],
  ])("%s %s → rcode %i", (qname, qtype, rcode) => {
    for (const t of ["udp", "tcp"] as const) {
      const h = ask(qname, qtype, t);
      expect(h.rcode).toBe(rcode);
      if (rcode === Rcode.SERVFAIL) expect([h.qdcount, h.aa]).toEqual([1, false]);
    }
  });

  it("a snapshot without unavailable zones answers as before", () => {
    expect(compileSnapshot([zone("a.test.")], 1).unavailable.size).toBe(0);
  });
});
