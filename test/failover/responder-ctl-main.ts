// Child-process entry: test DNS responders on several addresses (run inside the edge namespace), whose modes
// the test switches over stdin. Usage: node responder-ctl-main.js ADDR PORT [ADDR PORT …]; prints `ready`.
// Stdin lines: `N MODE` (responder N, 0-based, in argument order) or `all MODE`; each answered by `ok N MODE`.
import { createInterface } from "node:readline";
import { type ResponderMode, startResponder, type TestResponder } from "../health/dns-responder.js";

const args = process.argv.slice(2);
const responders: TestResponder[] = [];
for (let i = 0; i + 1 < args.length; i += 2) responders.push(await startResponder(args[i]!, Number(args[i + 1])));
process.stdout.write("ready\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const [which, mode] = line.trim().split(/\s+/);
  const targets = which === "all" ? responders : [responders[Number(which)]];
  for (const r of targets) if (r) r.mode = mode as ResponderMode;
  process.stdout.write(`ok ${which} ${mode}\n`);
});
process.stdin.on("end", () => process.exit(0));
