// `edgens drain [--reason TEXT] [--admin-state FILE]` / `edgens undrain …`: record the node's admin state in the
// durable admin-state file. The health agent watching it announces with the graceful-shutdown community, waits,
// then withdraws (drain) or re-announces after `rise` good checks (undrain). Exit 0 on success, 1 when the file
// cannot be written, 2 on misuse.
import { parseArgs } from "node:util";
import { DEFAULT_ADMIN_STATE_FILE, writeAdminState } from "../health/admin-state.js";

export async function runDrain(
  args: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  drain: boolean,
): Promise<number> {
  const cmd = drain ? "drain" : "undrain";
  const usage = `usage: edgens ${cmd} [--reason TEXT] [--admin-state FILE]   (default ${DEFAULT_ADMIN_STATE_FILE})\n`;
  let values: { reason?: string; "admin-state"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        reason: { type: "string" },
        "admin-state": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    err.write(`edgens ${cmd}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    out.write(usage);
    return 0;
  }
  const file = values["admin-state"] ?? DEFAULT_ADMIN_STATE_FILE;
  const state = {
    state: drain ? ("drained" as const) : ("active" as const),
    since: new Date().toISOString(),
    ...(values.reason !== undefined ? { reason: values.reason } : {}),
  };
  try {
    await writeAdminState(file, state);
  } catch (e) {
    err.write(`edgens ${cmd}: cannot write ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  out.write(`${drain ? "drained" : "undrained"}: ${file}${values.reason ? ` (${values.reason})` : ""}\n`);
  return 0;
}
