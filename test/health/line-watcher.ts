// Collects the lines a stream emits with their arrival times, and waits for the next one matching a pattern.
import { createInterface } from "node:readline";

export interface TimedLine {
  line: string;
  t: number;
}

export class LineWatcher {
  readonly lines: TimedLine[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];

  constructor(stream: NodeJS.ReadableStream) {
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
      this.lines.push({ line, t: performance.now() });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Skip everything received so far. */
  mark(): void {
    this.cursor = this.lines.length;
  }

  /** Resolves with the first line after the cursor matching `re` (and moves the cursor past it). */
  async next(re: RegExp, timeoutMs: number): Promise<TimedLine> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (; this.cursor < this.lines.length; this.cursor++) {
        const l = this.lines[this.cursor]!;
        if (re.test(l.line)) {
          this.cursor++;
          return l;
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `no line matching ${re} within ${timeoutMs} ms; got:\n${this.lines.map((l) => l.line).join("\n")}`,
        );
      }
      await new Promise<void>((res) => {
        const timer = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          res();
        });
      });
    }
  }

  /** Lines after the cursor matching `re`, without waiting. */
  pending(re: RegExp): TimedLine[] {
    return this.lines.slice(this.cursor).filter((l) => re.test(l.line));
  }
}
