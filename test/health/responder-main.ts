// Child-process entry of the test responder, so the agent process test can SIGSTOP (hang) and SIGKILL (crash)
// a real server process. Usage: node responder-main.js [ADDRESS] [PORT]; prints the bound port on stdout.
import { startResponder } from "./dns-responder.js";

const r = await startResponder(process.argv[2] ?? "127.0.0.1", Number(process.argv[3] ?? 0));
process.stdout.write(`${r.port}\n`);
