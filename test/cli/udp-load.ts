// A bounded UDP load loop: `total` SOA queries paced evenly over `durationMs`, with at most `window` outstanding;
// each answer is checked by `check`. A query unanswered after `lostAfterMs` counts as lost (no retransmission hides a loss).
import { createSocket } from "node:dgram";
import dnsPacket from "dns-packet";
import { decode, type LoosePacket } from "../server/dns-client.js";

export interface LoadResult {
  sent: number;
  answered: number;
  lost: number;
  wrong: string[];
  elapsedMs: number;
}

export function udpLoad(opts: {
  host: string;
  port: number;
  name: string;
  total: number;
  durationMs: number;
  window: number;
  lostAfterMs: number;
  check: (answer: LoosePacket) => string | null;
}): Promise<LoadResult> {
  const sock = createSocket(opts.host.includes(":") ? "udp6" : "udp4");
  const outstanding = new Map<number, number>(); // id → send time
  const res: LoadResult = { sent: 0, answered: 0, lost: 0, wrong: [], elapsedMs: 0 };
  const start = Date.now();
  let nextId = 0;
  return new Promise((resolve) => {
    // Send while under the window and not ahead of the schedule.
    const pump = () => {
      const allowed = Math.min(
        opts.total,
        Math.ceil((opts.total * (Date.now() - start + 10)) / opts.durationMs),
      );
      while (outstanding.size < opts.window && res.sent < allowed) sendOne();
    };
    const sendOne = () => {
      // Never reuse an id that is still outstanding.
      let id = nextId;
      while (outstanding.has(id)) id = (id + 1) & 0xffff;
      nextId = (id + 1) & 0xffff;
      outstanding.set(id, Date.now());
      res.sent++;
      sock.send(
        dnsPacket.encode({ id, type: "query", questions: [{ name: opts.name, type: "SOA", class: "IN" }] }),
        opts.port,
        opts.host,
      );
    };
    const finishIfDone = () => {
      if (res.sent >= opts.total && outstanding.size === 0) {
        clearInterval(sweep);
        res.elapsedMs = Date.now() - start;
        sock.close();
        resolve(res);
      }
    };
    sock.on("message", (msg) => {
      let p: LoosePacket;
      try {
        p = decode(msg);
      } catch (e) {
        res.wrong.push(`undecodable answer: ${(e as Error).message}`);
        return;
      }
      if (!outstanding.delete(p.id)) return; // late answer to a query already counted lost
      res.answered++;
      const why = opts.check(p);
      if (why && res.wrong.length < 20) res.wrong.push(why);
      else if (why && res.wrong.length === 20) res.wrong.push("... (more)");
      pump();
      finishIfDone();
    });
    const sweep = setInterval(() => {
      const now = Date.now();
      for (const [id, t] of outstanding) {
        if (now - t > opts.lostAfterMs) {
          outstanding.delete(id);
          res.lost++;
        }
      }
      pump();
      finishIfDone();
    }, 10);
    sock.bind(0, pump);
  });
}
