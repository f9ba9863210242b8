// The file a cluster's worker 0 hands a whole zone to the other workers in (src/server/candidate-file.ts):
// written as given, and deleted once no worker needs it (the restart copy of its serial written, a newer one
// written, the zone dropped), but not before a grace period; a failed write keeps the file before it.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    const written = filesIn(dir, 0).writeSync(1, 10, content);
    expect(written).toEqual({ path: join(dir, "c1"), bytes: SIZE });
    expect(readFileSync(join(dir, "c1"))).toEqual(Buffer.concat(content));
  });

  it("deletes each file once no worker needs it", async () => {
    const dir = mkdtempSync(join(tmp, "files-"));
    const errors: string[] = [];
    const files = filesIn(dir, 0, errors);
    const names = () => readdirSync(dir).sort();
    // Kept until the restart copy of its serial (or a newer one) is written.
    expect(files.writeSync(1, 10, content)).toEqual({ path: join(dir, "c1"), bytes: SIZE });
    files.persisted(9);
    await settle();
    expect(names()).toEqual(["c1"]);
    files.persisted(10);
    await settle();
    expect(names()).toEqual([]);
    // A newer one makes the older one useless (its restart copy may never come); the copy of an older serial,
    // written after a newer one went out, leaves the newer one's file.
    files.writeSync(7, 20, content);
    files.writeSync(8, 21, content);
    await settle();
    expect(names()).toEqual(["c8"]);
    files.persisted(20);
    await settle();
    expect(names()).toEqual(["c8"]);
    files.persisted(21);
    await settle();
    expect(names()).toEqual([]);
    files.writeSync(3, 30, content);
    files.dropAll();
    await settle();
    expect(names()).toEqual([]);
    // A state dir not made yet is made; a write that fails is reported, hands nothing off and keeps the file
    // before it.
    const fresh = filesIn(join(dir, "new-dir"), 0);
    expect(fresh.writeSync(5, 40, content)?.path).toBe(join(dir, "new-dir", "c5"));
    writeFileSync(join(dir, "a-file"), "");
    const broken = filesIn(join(dir, "a-file"), 0, errors);
    expect(broken.writeSync(6, 41, content)).toBeNull();
    expect(errors).toEqual([expect.stringMatching(/EEXIST|ENOTDIR/)]);
    const keeps = filesIn(join(dir, "keeps"), 0, errors);
    keeps.writeSync(1, 50, content);
    mkdirSync(join(dir, "keeps", "c2"));
    expect(keeps.writeSync(2, 51, content)).toBeNull();
    await settle();
    expect(readdirSync(join(dir, "keeps"))).toEqual(["c1", "c2"]);
  });
});

describe("candidate file grace", () => {
  it("a file no longer needed stays until it is `graceMs` old (a worker may not have opened it yet); dropAll deletes at once", async () => {
    const dir = mkdtempSync(join(tmp, "grace-"));
    const files = filesIn(dir, 300);
    files.writeSync(1, 1, content);
    files.writeSync(2, 2, content);
    files.persisted(2);
    await settle();
    expect(readdirSync(dir).sort()).toEqual(["c1", "c2"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(dir)).toEqual([]);
    files.writeSync(3, 3, content);
    files.persisted(3);
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
