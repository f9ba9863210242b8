// The pid file `edgens reload` reads to find the process to send SIGHUP to.
import { readFileSync, rmSync, writeFileSync } from "node:fs";

export class PidFileError extends Error {
  readonly code = "EDGENS_ERR_PID_FILE";
}

export function writePidFile(path: string): void {
  try {
    writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
  } catch (e) {
    throw new PidFileError(`cannot write pid file ${path}: ${(e as Error).message}`);
  }
}

export function removePidFile(path: string): void {
  try {
    // Only remove our own: a newer instance may have replaced it.
    if (readFileSync(path, "utf8").trim() === String(process.pid)) rmSync(path);
  } catch {
    // already gone
  }
}

export function readPidFile(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (e) {
    throw new PidFileError(`cannot read pid file ${path}: ${(e as Error).message}`);
  }
  if (!/^[1-9][0-9]*$/.test(text)) throw new PidFileError(`pid file ${path} does not hold a process id`);
  return Number(text);
}
