// The normalizer the differential tests rely on: no daemons needed.
import dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { diff, normalize } from "../helpers/compare.js";
import { buildQuery, parseHeader } from "../helpers/dns-client.js";

function response(extra: Partial<dnsPacket.Packet> = {}, flags = 0x8400): Buffer {
  return dnsPacket.encode({
    type: "response",
    id: 7,
    flags,
    questions: [{ type: "A", class: "IN", name: "wWw.example.test" }],
    answers: [
      { type: "A", class: "IN", name: "wWw.example.test", ttl: 300, data: "192.0.2.2" },
      { type: "A", class: "IN", name: "wWw.example.test", ttl: 300, data: "192.0.2.1" },
    ],
    ...extra,
  });
}

describe("compare.normalize", () => {
  it("keeps case, sorts RRs, and reports flags and rcode", () => {
    const n = normalize(response());
    expect(n.rcode).toBe("NOERROR");
    expect(n.flags).toBe("qr aa");
    expect(n.question).toEqual(["wWw.example.test. IN A"]);
    expect(n.answer).toEqual([
      "wWw.example.test. 300 IN A 192.0.2.1",
      "wWw.example.test. 300 IN A 192.0.2.2",
    ]);
    expect(n.edns).toBe("none");
  });

  it("moves OPT out of additional and folds the extended rcode in (BADVERS = 16)", () => {
    const n = normalize(
      response({
        answers: [],
        additionals: [
          // biome-ignore lint/suspicious/noExplicitAny: dns-packet's OPT typing is incomplete
          { type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 1, flags: 0, options: [] } as any,
        ],
      }),
    );
    expect(n.rcode).toBe("BADVERS");
    expect(n.edns).toBe("v0");
    expect(n.additional).toEqual([]);
  });

  it("shows NSID and EDE codes", () => {
    const ede = Buffer.from([0, 20]);
    const n = normalize(
      response({
        additionals: [
          {
            type: "OPT",
            name: ".",
            udpPayloadSize: 1232,
            flags: 0x8000,
            options: [
              { code: 3, data: Buffer.from("edge-1") },
              { code: 15, data: ede },
            ],
            // biome-ignore lint/suspicious/noExplicitAny: see above
          } as any,
        ],
      }),
    );
    expect(n.edns).toBe('v0 do nsid="edge-1" ede=20');
  });

  it("diff names the fields that differ", () => {
    const a = normalize(response());
    const b = normalize(response({}, 0x8000));
    expect(diff(a, b).map((d) => d.field)).toEqual(["flags"]);
  });
});

describe("dns-client.buildQuery", () => {
  it("keeps qname case and encodes EDNS version, DO and the NSID request", () => {
    const q = buildQuery({
      qname: "MiXeD.example.test.",
      qtype: "AAAA",
      edns: { udpSize: 512, version: 1, do: true, nsid: true },
      id: 9,
    });
    const h = parseHeader(q);
    expect(h).toMatchObject({ id: 9, qr: false, rd: false, qdcount: 1, arcount: 1 });
    const p = dnsPacket.decode(q);
    expect(p.questions?.[0]).toMatchObject({ name: "MiXeD.example.test", type: "AAAA" });
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const opt = p.additionals?.[0] as any;
    expect(opt).toMatchObject({ type: "OPT", udpPayloadSize: 512, ednsVersion: 1, flag_do: true });
    expect(opt.options[0].code).toBe(3);
  });
});
