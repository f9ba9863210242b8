// Child-process entry: test DNS responders on several addresses (run inside the edge namespace), whose modes
// the test switches over stdin, and optionally a stand-in /readyz.
// Usage: node responder-ctl-main.js [--readyz PORT] ADDR PORT [ADDR PORT …]; prints `ready` once bound.
// Stdin lines: `N MODE` (responder N, 0-based, in argument order), `all MODE`, or `readyz STATUS` (200, 503);
// each is answered by `ok …` on stdout.
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { type ResponderMode, startResponder, type TestResponder } from "../health/dns-responder.js";

const args = process.argv.slice(2);
let readyzStatus = 200;
if (args[0] === "--readyz") {
  const port = Number(args[1]);
  args.splice(0, 2);
  // Stands in for the server's /readyz turning 503 (zone expired or failed to load).
  const http = createServer((_req, res) => {
    res
      .writeHead(readyzStatus, { "content-type": "text/plain" })
      .end(readyzStatus === 200 ? "ready\n" : "expired\n");
  });
  await new Promise<void>((res) => http.listen(port, "127.0.0.1", () => res()));
}
const responders: TestResponder[] = [];
for (let i = 0; i + 1 < args.length; i += 2)
  responders.push(await startResponder(args[i]!, Number(args[i + 1])));
process.stdout.write("ready\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const [which, mode] = line.trim().split(/\s+/);
  if (which === "readyz") readyzStatus = Number(mode);
  else {
    const targets = which === "all" ? responders : [responders[Number(which)]];
    for (const r of targets) if (r) r.mode = mode as ResponderMode;
  }
  process.stdout.write(`ok ${which} ${mode}\n`);
});
process.stdin.on("end", () => process.exit(0));
