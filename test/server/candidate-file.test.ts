// The file a cluster's worker 0 hands a whole transfer to the other workers in (src/server/candidate-file.ts):
// the messages come back as written, a cut-off file is refused, and each file is deleted once no worker needs
// it (discarded; accepted and the restart copy written; the zone dropped), also when that happens mid-write.
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CandidateFiles, readCandidateFile, writeCandidateFile } from "../../src/server/candidate-file.js";

const tmp = mkdtempSync(join(tmpdir(), "edgens-candfile-unit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const messages = [Buffer.alloc(12, 1), Buffer.alloc(65535, 2), Buffer.from("abcdefghijklmnop")];

describe("candidate file", () => {
  it("gives back the messages as written, each after its 2-byte length", async () => {
    const path = join(tmp, "a");
    expect(await writeCandidateFile(path, messages)).toBe(12 + 65535 + 16 + 6);
    const back = await readCandidateFile(path);
    expect(back.map((m) => m.toString("hex"))).toEqual(messages.map((m) => m.toString("hex")));
    writeFileSync(join(tmp, "empty"), "");
    expect(await readCandidateFile(join(tmp, "empty"))).toEqual([]);
  });

  it("refuses a cut-off file and a missing one", async () => {
    const path = join(tmp, "b");
    await writeCandidateFile(path, messages);
    truncateSync(path, 12 + 2 + 100);
    await expect(readCandidateFile(path)).rejects.toThrow(/cut off after 1 messages/);
    await expect(readCandidateFile(join(tmp, "absent"))).rejects.toThrow(/ENOENT/);
  });

  it("deletes each file once no worker needs it", async () => {
    const dir = mkdtempSync(join(tmp, "files-"));
    const errors: string[] = [];
    const files = filesIn(dir, 0, errors);
    const names = () => readdirSync(dir).sort();
    const one = await files.write(1, messages);
    expect(one).toEqual({ path: join(dir, "c1"), bytes: 12 + 65535 + 16 + 6 });
    expect(files.has(1)).toBe(true);
    await files.write(2, messages);
    await files.write(3, messages);
    expect(names()).toEqual(["c1", "c2", "c3"]);
    // Discarded: gone. Accepted: kept until the restart copy of its serial (or a newer one) is written; the
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
    await files.write(7, messages);
    await files.write(8, messages);
    files.accepted(7, 20);
    files.accepted(8, 21);
    await settle();
    expect(names()).toEqual(["c8"]);
    files.persisted(21);
    await settle();
    expect(names()).toEqual([]);
    await files.write(3, messages);
    // Dropped while it is written: not handed off, and deleted once the write ends.
    const writing = files.write(4, messages);
    files.drop(4);
    expect(await writing).toBeNull();
    await settle();
    expect(names()).toEqual(["c3"]);
    files.dropAll();
    await settle();
    expect(names()).toEqual([]);
    // A state dir not made yet is made; a write that fails is reported and hands nothing off.
    const fresh = filesIn(join(dir, "new-dir"), 0);
    expect((await fresh.write(5, messages))?.path).toBe(join(dir, "new-dir", "c5"));
    writeFileSync(join(dir, "a-file"), "");
    const broken = filesIn(join(dir, "a-file"), 0, errors);
    expect(await broken.write(6, messages)).toBeNull();
    // Never handed off: the verdict must not name it (src/server/secondary-host.ts).
    expect(broken.has(6)).toBe(false);
    expect(errors).toEqual([expect.stringMatching(/EEXIST|ENOTDIR/)]);
  });
});

describe("candidate file grace", () => {
  it("a dropped file stays until it is `graceMs` old (a worker may not have opened it yet); dropAll deletes at once", async () => {
    const dir = mkdtempSync(join(tmp, "grace-"));
    const files = filesIn(dir, 300);
    await files.write(1, messages);
    await files.write(2, messages);
    files.drop(1);
    files.drop(2);
    await settle();
    expect(readdirSync(dir).sort()).toEqual(["c1", "c2"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(dir)).toEqual([]);
    await files.write(3, messages);
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
