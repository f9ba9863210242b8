// The durable drain file: atomic writes, missing = active, invalid contents reported with a stable code, and a
// watcher that sees replacements by rename.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runDrain } from "../../src/cli/drain.js";
import {
  AdminStateError,
  EDGENS_ERR_ADMIN_STATE,
  readAdminState,
  watchAdminState,
  writeAdminState,
} from "../../src/health/admin-state.js";

const dir = mkdtempSync(join(tmpdir(), "edgens-admin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { stream: NodeJS.WritableStream; text: () => string } {
  let s = "";
  return {
    stream: {
      write: (c: string) => {
        s += c;
        return true;
      },
    } as unknown as NodeJS.WritableStream,
    text: () => s,
  };
}

describe("admin-state file", () => {
  it("is active when missing, round-trips, leaves no temp files", async () => {
    const f = join(dir, "a", "state.json");
    expect((await readAdminState(f)).state).toBe("active");
    await writeAdminState(f, { state: "drained", since: "2026-11-23T02:00:00.000Z", reason: "maintenance" });
    expect(await readAdminState(f)).toEqual({
      state: "drained",
      since: "2026-11-23T02:00:00.000Z",
      reason: "maintenance",
    });
    expect(readdirSync(join(dir, "a"))).toEqual(["state.json"]);
  });

  it("reports invalid contents with a stable code", async () => {
    const f = join(dir, "bad.json");
    for (const text of ["{", '{"state":"down","since":"x"}', '{"state":"drained"}']) {
      writeFileSync(f, text);
      const e = await readAdminState(f).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AdminStateError);
      expect((e as AdminStateError).code).toBe(EDGENS_ERR_ADMIN_STATE);
      expect((e as Error).message).toContain(f);
    }
  });

  it("the watcher sees drain and undrain written by the CLI", async () => {
    const f = join(dir, "w", "state.json");
    await writeAdminState(f, { state: "active", since: new Date().toISOString() });
    const seen: string[] = [];
    const w = watchAdminState(
      f,
      (s) => seen.push(s.state),
      () => seen.push("error"),
      5000,
    );
    try {
      const out = capture();
      expect(
        await runDrain(["--admin-state", f, "--reason", "kernel upgrade"], out.stream, out.stream, true),
      ).toBe(0);
      expect(out.text()).toBe(`drained: ${f} (kernel upgrade)\n`);
      for (let i = 0; i < 100 && !seen.includes("drained"); i++) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toContain("drained");
      expect(await runDrain(["--admin-state", f], out.stream, out.stream, false)).toBe(0);
      for (let i = 0; i < 100 && seen.at(-1) !== "active"; i++) await new Promise((r) => setTimeout(r, 10));
      expect(seen.at(-1)).toBe("active");
    } finally {
      w.close();
    }
  });

  it("drain CLI: misuse exits 2, an unwritable path exits 1", async () => {
    const err = capture();
    expect(await runDrain(["--bogus"], err.stream, err.stream, true)).toBe(2);
    expect(err.text()).toContain("usage: edgens drain");
    writeFileSync(join(dir, "file"), "");
    expect(await runDrain(["--admin-state", join(dir, "file", "x.json")], err.stream, err.stream, true)).toBe(
      1,
    );
  });
});
