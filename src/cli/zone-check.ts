// `edgens zone check FILE [--origin NAME]`: parse a zone file, run the semantic checks, print every finding as
// file:line:column and a summary. Exit 0 when there are no errors (warnings allowed), 1 on errors, 2 on misuse.
import { NameError, nameToText, parseNameText } from "../wire/name.js";
import { formatDiagnostic, hasErrors } from "../zone/diagnostic.js";
import { parseZoneFile } from "../zone/load-zone-file.js";

const USAGE = "usage: edgens zone check FILE [--origin NAME]\n";

export async function runZoneCheck(
  args: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  let file: string | undefined;
  let originText: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--origin" || a === "-o") originText = args[++i];
    else if (a.startsWith("--origin=")) originText = a.slice("--origin=".length);
    else if (a === "--help" || a === "-h") {
      out.write(USAGE);
      return 0;
    } else if (a.startsWith("-") || file !== undefined) {
      err.write(`edgens zone check: unexpected argument '${a}'\n${USAGE}`);
      return 2;
    } else file = a;
  }
  if (file === undefined || (args.includes("--origin") && originText === undefined)) {
    err.write(USAGE);
    return 2;
  }
  let origin: Buffer | null = null;
  if (originText !== undefined) {
    try {
      // The origin on the command line is always absolute, with or without the trailing dot.
      origin = parseNameText(originText.endsWith(".") ? originText : `${originText}.`, null);
    } catch (e) {
      if (!(e instanceof NameError)) throw e;
      err.write(`edgens zone check: bad --origin '${originText}': ${e.message}\n`);
      return 2;
    }
  }
  let result: ReturnType<typeof parseZoneFile>;
  try {
    result = parseZoneFile(file, origin);
  } catch (e) {
    err.write(`edgens zone check: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  for (const d of result.diagnostics) out.write(`${formatDiagnostic(d)}\n`);
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = result.diagnostics.length - errors;
  const zone = result.origin ? nameToText(result.origin) : "(unknown origin)";
  out.write(
    `${file}: zone ${zone}: ${result.records.length} records, ${errors} error(s), ${warnings} warning(s)\n`,
  );
  return hasErrors(result.diagnostics) ? 1 : 0;
}
