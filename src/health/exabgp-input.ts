// What ExaBGP 4.2 writes on the agent's stdin: command acknowledgements (`done`/`error`, when api.ack is on)
// and, with `api { neighbor-changes; }`, neighbor state events — as JSON with the json encoder
// (`{"exabgp": "4.0.1", …, "type": "state", "neighbor": {"address": {"peer": …}, "state": "up"}}`) or as text
// with the text encoder (`neighbor 192.0.2.1 up`, `neighbor 192.0.2.1 down - reason`). Both are accepted.

export type ExabgpEvent =
  | { kind: "ack"; ok: boolean }
  | { kind: "session"; peer: string; state: "up" | "down" | "connected"; reason?: string }
  | { kind: "shutdown" }
  | { kind: "other"; line: string };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sessionState(s: unknown): "up" | "down" | "connected" | null {
  return s === "up" || s === "down" || s === "connected" ? s : null;
}

export function parseExabgpLine(raw: string): ExabgpEvent {
  const line = raw.trim();
  if (line === "done") return { kind: "ack", ok: true };
  if (line === "error") return { kind: "ack", ok: false };
  if (line === "shutdown" || /^shutdown \d+ \d+$/.test(line)) return { kind: "shutdown" };
  if (line.startsWith("{")) {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return { kind: "other", line };
    }
    if (!isObject(msg)) return { kind: "other", line };
    if (msg.type === "notification" && msg.notification === "shutdown") return { kind: "shutdown" };
    const n = msg.neighbor;
    if (msg.type === "state" && isObject(n)) {
      const state = sessionState(n.state);
      const addr = isObject(n.address) ? n.address.peer : undefined;
      if (state && typeof addr === "string") {
        return typeof n.reason === "string" && n.reason !== ""
          ? { kind: "session", peer: addr, state, reason: n.reason }
          : { kind: "session", peer: addr, state };
      }
    }
    return { kind: "other", line };
  }
  const m = /^neighbor (\S+) (up|down|connected)(?: - (.*))?$/.exec(line);
  if (m) {
    const state = sessionState(m[2])!;
    return m[3]
      ? { kind: "session", peer: m[1]!, state, reason: m[3] }
      : { kind: "session", peer: m[1]!, state };
  }
  return { kind: "other", line };
}
