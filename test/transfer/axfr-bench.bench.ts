// Measurement, not a regression gate: AXFR of a generated 100k-record zone from Knot, time and memory.
// Run: EDGENS_BENCH=1 npx vitest run --config vitest.bench.config.ts test/transfer/axfr-bench.bench.ts
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseTsigKey } from "../../src/transfer/tsig.js";
import { axfr } from "../../src/transfer/xfr-client.js";
import { parseNameText } from "../../src/wire/name.js";
import { hasCommand, isRoot, requirePrereq } from "../helpers/prereq.js";
import { startKnotPrimary } from "../helpers/primary-servers.js";

const RECORDS = Number(process.env.EDGENS_BENCH_RECORDS ?? 100_000);
const KEY = {
  name: "bench-key.",
  algorithm: "hmac-sha256",
  secret: Buffer.alloc(32, 0x42).toString("base64"),
};
const wanted = process.env.EDGENS_BENCH === "1";
if (!wanted) console.warn("SKIP AXFR benchmark: set EDGENS_BENCH=1");
const ok = wanted && requirePrereq("AXFR benchmark", isRoot, hasCommand("knotd"), hasCommand("kdig"));

describe.skipIf(!ok)(`AXFR of a ${RECORDS}-record zone from Knot`, () => {
  it("measures time and memory", { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "edgens-xfr-bench-"));
    const lines = [
      "$ORIGIN bench.test.",
      "$TTL 300",
      "@ SOA ns1 hostmaster 1 7200 3600 1209600 300",
      "@ NS ns1",
      "ns1 A 192.0.2.53",
    ];
    // A mix of record shapes: A, AAAA, MX (a compressed name inside RDATA), TXT.
    for (let i = 0; lines.length - 2 < RECORDS; i++) {
      const h = `host-${i}`;
      switch (i % 4) {
        case 0:
          lines.push(`${h} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
          break;
        case 1:
          lines.push(`${h} AAAA 2001:db8::${(i & 0xffff).toString(16)}`);
          break;
        case 2:
          lines.push(`${h} MX 10 mail-${i}.bench.test.`);
          break;
        default:
          lines.push(`${h} TXT "record ${i} of the benchmark zone"`);
      }
    }
    writeFileSync(join(dir, "bench.test.zone"), `${lines.join("\n")}\n`);
    const knot = await startKnotPrimary({
      zones: [{ origin: "bench.test.", file: join(dir, "bench.test.zone") }],
      key: KEY,
      startTimeoutMs: 120_000,
    });
    try {
      const origin = parseNameText("bench.test.", null);
      const tsig = parseTsigKey(`${KEY.name}:${KEY.algorithm}:${KEY.secret}`);
      const t0 = process.hrtime.bigint();
      execFileSync("kdig", ["@127.0.0.1", "-p", String(knot.port), "AXFR", "bench.test."], {
        stdio: "ignore",
      });
      const kdigMs = Number(process.hrtime.bigint() - t0) / 1e6;
      for (const [label, o] of [
        ["plain", {}],
        ["tsig hmac-sha256", { tsig }],
      ] as const) {
        global.gc?.();
        const rssBefore = process.memoryUsage().rss;
        const t1 = process.hrtime.bigint();
        let bytes = 0;
        const r = await axfr(knot, origin, { ...o, onProgress: (_n, b) => (bytes = b) });
        const ms = Number(process.hrtime.bigint() - t1) / 1e6;
        const rssAfter = process.memoryUsage().rss;
        expect(r.records).toHaveLength(RECORDS);
        console.log(
          `AXFR ${label}: ${r.records.length} records, ${(bytes / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms ` +
            `(${Math.round(r.records.length / (ms / 1000))} records/s); RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ` +
            `${(rssAfter / 2 ** 20).toFixed(0)} MiB, peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; ` +
            `kdig AXFR (reference) ${kdigMs.toFixed(0)} ms`,
        );
      }
    } finally {
      await knot.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
