// A DNS-over-UDP client run inside the client namespace (`ip netns exec NS node udp-client.mjs JOB.json`):
// plain JavaScript so it needs no build. Prints JSON on stdout.
//   {mode: "list", queries: [{host, port, hex}], timeoutMs}        → [{hex: reply or null}] in query order
//   {mode: "loop", host, port, queries: [hex], durationMs, timeoutMs} → [{q, t, hex}] one per exchange, round-robin
// One exchange at a time on a fresh socket per target, so a late reply is never taken for the next query's.
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { isIPv6 } from "node:net";

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));

function exchange(host, port, bytes, timeoutMs) {
  return new Promise((resolve) => {
    const s = createSocket(isIPv6(host) ? "udp6" : "udp4");
    const id = bytes.readUInt16BE(0);
    const done = (v) => {
      clearTimeout(timer);
      s.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    s.on("message", (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) done(msg.toString("hex"));
    });
    s.on("error", () => done(null));
    s.send(bytes, port, host);
  });
}

const out = [];
if (job.mode === "list") {
  for (const q of job.queries) {
    out.push({ hex: await exchange(q.host, q.port, Buffer.from(q.hex, "hex"), job.timeoutMs) });
  }
} else if (job.mode === "loop") {
  const start = Date.now();
  const queries = job.queries.map((h) => Buffer.from(h, "hex"));
  // Bounded by time and by count.
  for (let i = 0; Date.now() - start < job.durationMs && i < 1_000_000; i++) {
    const q = i % queries.length;
    out.push({
      q,
      t: Date.now() - start,
      hex: await exchange(job.host, job.port, queries[q], job.timeoutMs),
    });
  }
}
process.stdout.write(JSON.stringify(out));
