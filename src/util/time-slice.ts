// Long synchronous work in slices: a million-record zone built from a transfer takes a second or more, and a
// process that ran it in one go would answer no query meanwhile (a health check among them). Between slices
// the event loop polls, so a query waits at most about one slice.
import { performance } from "node:perf_hooks";

/** How long a slice runs before the event loop gets its turn. */
export const SLICE_MS = 10;

export class TimeSlicer {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** True when the current slice has run its time: `await pause()` then. */
  get due(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  /**
   * Let the event loop run (its poll phase reads the queries that arrived), then start a new slice. A
   * setImmediate from the check phase runs in the next loop iteration, after its poll.
   */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}
