// What a test file that runs `edgens serve` against real primaries needs: the compiled CLI, a private directory
// for zone files and state, and a list of everything it started, stopped newest first (servers before their
// primaries) after each test or at the end of the file, also when an assertion failed half-way.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { buildCli } from "../cli/build-cli.js";

interface Stoppable {
  stop(): Promise<void>;
}

export interface ServeFixture {
  /** The CLI's main.js (set in beforeAll). */
  readonly main: string;
  /** The private directory (set in beforeAll, removed in afterAll). */
  readonly tmp: string;
  /** Write `text` to tmp/name; returns the path. */
  file(name: string, text: string): string;
  /** Stop `x` with the rest (stopping it earlier is fine: stop() is idempotent). */
  track<T extends Stoppable>(x: T): T;
}

/** `stopAfter`: "each" stops what a test started when it ends; "all" keeps it to the end of the file. */
export function useServeFixture(prefix: string, stopAfter: "each" | "all" = "all"): ServeFixture {
  let main = "";
  let tmp = "";
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const x of started.splice(0).reverse()) await x.stop();
  };
  beforeAll(() => {
    main = buildCli();
    tmp = mkdtempSync(join(tmpdir(), prefix));
  }, 120_000);
  if (stopAfter === "each") afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  });
  return {
    get main() {
      return main;
    },
    get tmp() {
      return tmp;
    },
    file(name, text) {
      const p = join(tmp, name);
      writeFileSync(p, text);
      return p;
    },
    track(x) {
      started.push(x);
      return x;
    },
  };
}
