// The file a cluster's worker 0 hands a whole zone to the other workers in (src/server/candidate-file.ts):
// written as given, and deleted once no worker needs it (accepted and the restart copy written, a newer one
// accepted, the zone dropped), but not before a grace period.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CandidateFiles } from "../../src/server/candidate-file.js";

const tmp = mkdtempSync(join(tmpdir(), "edgens-candfile-unit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const content = [Buffer.alloc(12, 1), Buffer.alloc(65535, 2), Buffer.from("abcdefghijklmnop")];
const SIZE = 12 + 65535 + 16;

describe("candidate file", () => {
  it("holds the chunks as written, one after the other", () => {
    const dir = mkdtempSync(join(tmp, "write-"));
    const written = filesIn(dir, 0).writeSync(1, content);
    expect(written).toEqual({ path: join(dir, "c1"), bytes: SIZE });
    expect(readFileSync(join(dir, "c1"))).toEqual(Buffer.concat(content));
  });

  it("deletes each file once no worker needs it", async () => {
    const dir = mkdtempSync(join(tmp, "files-"));
    const errors: string[] = [];
    const files = filesIn(dir, 0, errors);
    const names = () => readdirSync(dir).sort();
    const one = files.writeSync(1, content);
    expect(one).toEqual({ path: join(dir, "c1"), bytes: SIZE });
    expect(files.has(1)).toBe(true);
    files.writeSync(2, content);
    files.writeSync(3, content);
    expect(names()).toEqual(["c1", "c2", "c3"]);
    // Dropped: gone. Accepted: kept until the restart copy of its serial (or a newer one) is written; the
    // copy of an older serial, written after a newer transfer was accepted, leaves that one's file.
    files.drop(2);
    expect(files.has(2)).toBe(false);
    files.accepted(1, 10);
    await settle();
    expect(names()).toEqual(["c1", "c3"]);
    files.accepted(3, 11);
    files.persisted(10);
    await settle();
    expect(names()).toEqual(["c3"]);
    files.persisted(11);
    await settle();
    expect(names()).toEqual([]);
    // A newer accepted transfer makes an older accepted one's file useless (its restart copy never came).
    files.writeSync(7, content);
    files.writeSync(8, content);
    files.accepted(7, 20);
    files.accepted(8, 21);
    await settle();
    expect(names()).toEqual(["c8"]);
    files.persisted(21);
    await settle();
    expect(names()).toEqual([]);
    files.writeSync(3, content);
    files.dropAll();
    await settle();
    expect(names()).toEqual([]);
    // A state dir not made yet is made; a write that fails is reported and hands nothing off.
    const fresh = filesIn(join(dir, "new-dir"), 0);
    expect(fresh.writeSync(5, content)?.path).toBe(join(dir, "new-dir", "c5"));
    writeFileSync(join(dir, "a-file"), "");
    const broken = filesIn(join(dir, "a-file"), 0, errors);
    expect(broken.writeSync(6, content)).toBeNull();
    // Never handed off: the verdict must not name it (src/server/secondary-host.ts).
    expect(broken.has(6)).toBe(false);
    expect(errors).toEqual([expect.stringMatching(/EEXIST|ENOTDIR/)]);
  });
});

describe("candidate file grace", () => {
  it("a dropped file stays until it is `graceMs` old (a worker may not have opened it yet); dropAll deletes at once", async () => {
    const dir = mkdtempSync(join(tmp, "grace-"));
    const files = filesIn(dir, 300);
    files.writeSync(1, content);
    files.writeSync(2, content);
    files.drop(1);
    files.drop(2);
    await settle();
    expect(readdirSync(dir).sort()).toEqual(["c1", "c2"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(dir)).toEqual([]);
    files.writeSync(3, content);
    files.drop(3);
    files.dropAll();
    await settle();
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** Candidate files `c<id>` in `dir`; write errors go to `errors`. */
function filesIn(dir: string, graceMs: number, errors: string[] = []): CandidateFiles {
  return new CandidateFiles(
    (id) => join(dir, `c${id}`),
    (_path, e) => errors.push(e.message),
    graceMs,
  );
}

/** The deletes are fire-and-forget: give them a turn of the event loop (and the thread pool). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
}
