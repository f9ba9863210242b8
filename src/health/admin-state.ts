import { type FSWatcher, watch } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../util/atomic-file.js";

export const DEFAULT_ADMIN_STATE_FILE = "/var/lib/edgens/admin-state.json";
export const EDGENS_ERR_ADMIN_STATE = "EDGENS_ERR_ADMIN_STATE";

export class AdminStateError extends Error {
  readonly code = EDGENS_ERR_ADMIN_STATE;
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = "AdminStateError";
  }
}

export const adminStateSchema = z.strictObject({
  state: z.enum(["drained", "active"]),
  /** ISO 8601 time of the change. */
  since: z.string(),
  reason: z.string().optional(),
});

export type AdminState = z.infer<typeof adminStateSchema>;

export const activeState: AdminState = Object.freeze({ state: "active", since: new Date(0).toISOString() });

/** Reads the file; a missing file is `active`. Throws AdminStateError when it exists but is unreadable/invalid. */
export async function readAdminState(file: string): Promise<AdminState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return activeState;
    throw new AdminStateError(file, (e as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AdminStateError(file, `not JSON: ${(e as Error).message}`);
  }
  const r = adminStateSchema.safeParse(json);
  if (!r.success)
    throw new AdminStateError(
      file,
      r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    );
  return r.data;
}

/** Writes the file atomically: temp file in the same directory, fsync, rename over the old one. */
export async function writeAdminState(file: string, state: AdminState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(state)}\n`);
}

export interface AdminStateWatcher {
  close(): void;
}

/**
 * Calls `onState` whenever the file's state may have changed: fs.watch on the directory (a rename replaces the
 * inode, so watching the file itself would go deaf) plus a periodic re-read in case events are lost. Invalid
 * contents are reported to `onError` and otherwise ignored: the last good state stays in force.
 */
export function watchAdminState(
  file: string,
  onState: (s: AdminState) => void,
  onError: (e: Error) => void,
  pollMs = 1000,
): AdminStateWatcher {
  let closed = false;
  let reading = false;
  let again = false;
  const reread = (): void => {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    readAdminState(file)
      .then((s) => {
        if (!closed) onState(s);
      }, onError)
      .finally(() => {
        reading = false;
        if (again) {
          again = false;
          reread();
        }
      });
  };
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name === null || name === basename(file)) reread();
    });
    watcher.on("error", () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    // Directory missing or not watchable: the poll below still works.
  }
  const timer = setInterval(reread, pollMs);
  timer.unref();
  return {
    close() {
      closed = true;
      clearInterval(timer);
      watcher?.close();
    },
  };
}
