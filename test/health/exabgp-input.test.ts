// What ExaBGP 4.2 writes on the agent's stdin, in both encoders. The JSON lines are copied from the format of
// exabgp/reactor/api/response/json.py (`_header` + `_neighbor` + `_kv`), spaces and all.
import { describe, expect, it } from "vitest";
import { parseExabgpLine } from "../../src/health/exabgp-input.js";

const header =
  '"exabgp": "4.0.1", "time": 1795400000.1, "host" : "edge1", "pid" : 4242, "ppid" : 1, "counter": 3, ';
const neighbor = (extra: string) =>
  `"neighbor": { "address": { "local": "10.0.0.2", "peer": "10.0.0.1" }, "asn": { "local": 64512, "peer": 64500 } , ${extra} }`;

const cases: { line: string; want: ReturnType<typeof parseExabgpLine> }[] = [
  { line: "done", want: { kind: "ack", ok: true } },
  { line: "error", want: { kind: "ack", ok: false } },
  { line: "shutdown 4242 1", want: { kind: "shutdown" } },
  { line: "neighbor 10.0.0.1 up", want: { kind: "session", peer: "10.0.0.1", state: "up" } },
  { line: "neighbor 10.0.0.1 connected", want: { kind: "session", peer: "10.0.0.1", state: "connected" } },
  {
    line: "neighbor 2001:db8::1 down - peer reset, message (notification sent (6,2)) error (Cease)",
    want: {
      kind: "session",
      peer: "2001:db8::1",
      state: "down",
      reason: "peer reset, message (notification sent (6,2)) error (Cease)",
    },
  },
  {
    line: `{ ${header}"type": "state", ${neighbor('"state": "up"')} }`,
    want: { kind: "session", peer: "10.0.0.1", state: "up" },
  },
  {
    line: `{ ${header}"type": "state", ${neighbor('"state": "down", "reason": "out loop, peer reset, message (closing connection)"')} }`,
    want: {
      kind: "session",
      peer: "10.0.0.1",
      state: "down",
      reason: "out loop, peer reset, message (closing connection)",
    },
  },
  {
    line: `{ ${header}"type": "state", ${neighbor('"state": "connected"')} }`,
    want: { kind: "session", peer: "10.0.0.1", state: "connected" },
  },
  {
    line: `{ "exabgp": "4.0.1", "time": 1.0, "host" : "edge1", "pid" : 1, "ppid" : 1, "type": "notification", "notification": "shutdown" }`,
    want: { kind: "shutdown" },
  },
  {
    line: `{ ${header}"type": "fsm", ${neighbor('"state": "established"')} }`,
    want: { kind: "other", line: "" },
  },
  { line: "{ not json", want: { kind: "other", line: "{ not json" } },
  {
    line: "neighbor 10.0.0.1 receive update",
    want: { kind: "other", line: "neighbor 10.0.0.1 receive update" },
  },
];

describe("ExaBGP stdin lines", () => {
  for (const c of cases) {
    it(c.line.slice(0, 90), () => {
      const got = parseExabgpLine(c.line);
      if (c.want.kind === "other") expect(got.kind).toBe("other");
      else expect(got).toEqual(c.want);
    });
  }
});
