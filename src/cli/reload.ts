// `edgens reload`: send SIGHUP to a running server, found by --pid, --pid-file or the config's pidFile.
import { parseArgs } from "node:util";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load-config.js";
import { PidFileError, readPidFile } from "../server/pid-file.js";
import { type Io, misuse } from "./usage.js";

export async function runReload(args: string[], io: Io): Promise<number> {
  let values: { pid?: string; "pid-file"?: string; config?: string; site?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        pid: { type: "string" },
        "pid-file": { type: "string" },
        config: { type: "string" },
        site: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    return misuse(io, (e as Error).message);
  }
  let pid: number;
  try {
    if (values.pid !== undefined) {
      if (!/^[1-9][0-9]*$/.test(values.pid))
        return misuse(io, `--pid: expected a process id, got "${values.pid}"`);
      pid = Number(values.pid);
    } else if (values["pid-file"] !== undefined) {
      pid = readPidFile(values["pid-file"]);
    } else if (values.config !== undefined) {
      const config = loadConfig({ file: values.config, site: values.site });
      if (!config.pidFile) {
        io.err.write(`edgens reload: ${values.config} sets no pidFile; use --pid PID\n`);
        return 1;
      }
      pid = readPidFile(config.pidFile);
    } else {
      return misuse(io, "reload needs --pid PID, --pid-file FILE or --config FILE");
    }
  } catch (e) {
    if (e instanceof PidFileError || e instanceof ConfigError) {
      io.err.write(`edgens reload: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  try {
    process.kill(pid, "SIGHUP");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ESRCH" ? "no such process (stale pid file?)" : code === "EPERM" ? "permission denied" : code;
    io.err.write(`edgens reload: cannot signal process ${pid}: ${why}\n`);
    return 1;
  }
  io.out.write(`edgens reload: sent SIGHUP to ${pid}\n`);
  return 0;
}
