// Measurement, not a regression gate: a 100k-record zone through the whole secondary pipeline from Knot (SOA,
// AXFR, checks, buildZone, fsynced copy), an IXFR of a few changes, and a restart from the persisted copy.
// Run: EDGENS_BENCH=1 npx vitest run --config vitest.bench.config.ts test/secondary/secondary-bench.bench.ts
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { SecondaryZone, type ZoneUpdate } from "../../src/secondary/secondary-zone.js";
import { parseTsigKey } from "../../src/transfer/tsig.js";
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
if (!wanted) console.warn("SKIP secondary benchmark: set EDGENS_BENCH=1");
const ok = wanted && requirePrereq("secondary benchmark", isRoot, hasCommand("knotd"));

function zone(serial: number): string {
  const lines = ["$ORIGIN bench.test.", "$TTL 300", `@ SOA ns1 hostmaster ${serial} 7200 3600 1209600 300`];
  lines.push("@ NS ns1", "ns1 A 192.0.2.53");
  for (let i = 0; lines.length - 3 < RECORDS; i++) {
    const last = i < 10 ? (i + serial) & 255 : i & 255; // serial 2 changes ten records
    lines.push(
      i % 2
        ? `host-${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${last}`
        : `host-${i} TXT "r ${i} ${i < 10 ? serial : 0}"`,
    );
  }
  return `${lines.join("\n")}\n`;
}

describe.skipIf(!ok)(`secondary pipeline, ${RECORDS} records from Knot`, () => {
  it("measures AXFR → update, IXFR → update, restart → update", { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "edgens-secondary-bench-"));
    writeFileSync(join(dir, "v1.zone"), zone(1));
    writeFileSync(join(dir, "v2.zone"), zone(2));
    const knot = await startKnotPrimary({
      zones: [{ origin: "bench.test.", file: join(dir, "v1.zone") }],
      key: KEY,
      startTimeoutMs: 60_000,
    });
    const opts = {
      origin: parseNameText("bench.test.", null),
      primaries: [
        {
          address: knot.host,
          port: knot.port,
          tsig: parseTsigKey(`${KEY.name}:${KEY.algorithm}:${KEY.secret}`),
        },
      ],
      stateDir: join(dir, "state"),
      clamps: { refresh: { min: 3600, max: 3600 } },
    };
    try {
      const next = (z: SecondaryZone) => new Promise<ZoneUpdate>((r) => z.once("update", r));
      const a = new SecondaryZone(opts);
      let t0 = performance.now();
      const first = next(a);
      await a.start();
      const u1 = await first;
      const axfrMs = performance.now() - t0;
      expect(u1.recordCount).toBeGreaterThanOrEqual(RECORDS);
      await knot.reload("bench.test.", join(dir, "v2.zone"), 2);
      t0 = performance.now();
      const second = next(a);
      a.notify();
      const u2 = await second;
      const ixfrMs = performance.now() - t0;
      expect(u2.source).toBe("ixfr");
      await a.stop();
      await new Promise((r) => setTimeout(r, 100));
      await knot.stop();

      const b = new SecondaryZone(opts);
      t0 = performance.now();
      const third = next(b);
      await b.start();
      const u3 = await third;
      const restartMs = performance.now() - t0;
      expect(u3.source).toBe("disk");
      expect(u3.serial).toBe(2);
      await b.stop();
      const size = statSync(join(dir, "state", "bench.test.zone")).size;
      console.log(
        `${RECORDS} records: SOA+AXFR+checks+build+fsync → 'update' ${axfrMs.toFixed(0)} ms; ` +
          `NOTIFY → IXFR (10 changes) → 'update' ${ixfrMs.toFixed(0)} ms; ` +
          `restart from the ${(size / 1e6).toFixed(1)} MB copy → 'update' ${restartMs.toFixed(0)} ms; ` +
          `maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
      );
    } finally {
      await knot.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
