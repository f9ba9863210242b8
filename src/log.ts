// Structured JSON logs (pino) to stdout. Never one line per query: the query path only counts in metrics.
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } });
}
