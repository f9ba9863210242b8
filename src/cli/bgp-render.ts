// `edgens bgp render --config FILE [--site FILE] [--out DIR] [--only conf|env] [--check]`
// Renders exabgp.conf and exabgp.env from the `bgp:` section of the node config.
//
// Interim: the shared config loader (src/config/) is written concurrently, so this command reads the YAML
// itself and validates only the `bgp:` key. The site overlay is merged shallowly per top-level key: for a key
// that is a mapping in both files (like `bgp:`), the overlay's entries replace the base's entries of the
// same name; anything else is replaced whole. Switch to the shared loader once it exists.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Document, LineCounter, parseDocument } from "yaml";
import { renderBfdd } from "../bgp/bfd.js";
import { BgpConfigError, parseBgpConfig } from "../bgp/config.js";
import { renderExabgp } from "../bgp/render.js";
import { checkExabgpConfig } from "../lab/exabgp-process.js";

export const EDGENS_ERR_CONFIG_LOAD = "EDGENS_ERR_CONFIG_LOAD";

export interface Writer {
  write(chunk: string): unknown;
}

const USAGE = `usage: edgens bgp render --config FILE [--site FILE] [--out DIR] [--only conf|env|bfdd] [--check]

Renders ExaBGP's exabgp.conf and exabgp.env from the bgp: section of the edgens config.
  --config FILE   node config (YAML)
  --site FILE     per-site overlay, merged over --config
  --out DIR       write DIR/exabgp.conf and DIR/exabgp.env, and DIR/bfdd.conf (FRR bfdd) when bgp.bfd is
                  enabled (default: print to stdout)
  --only WHICH    print or write only conf, env or bfdd
  --check         also run \`exabgp --test\` on the result (needs ExaBGP installed)
`;

interface Loaded {
  path: string;
  doc: Document;
  lines: LineCounter;
  data: Record<string, unknown>;
}

class LoadError extends Error {
  readonly code = EDGENS_ERR_CONFIG_LOAD;
}

async function loadYaml(path: string): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new LoadError(`${path}: cannot read: ${(e as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    throw new LoadError(`${path}:${pos.line}:${pos.col}: ${first.message}`);
  }
  const data = doc.toJS() as unknown;
  if (data === null || data === undefined) return { path, doc, lines, data: {} };
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new LoadError(`${path}: the top level must be a mapping`);
  }
  return { path, doc, lines, data: data as Record<string, unknown> };
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function overlay(base: Record<string, unknown>, site: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(site)) {
    const b = base[k];
    out[k] = isMapping(b) && isMapping(v) ? { ...b, ...v } : v;
  }
  return out;
}

/** `file:line:col` of the deepest node on `path` that exists, looking in the overlay first. */
function locate(path: string[], files: Loaded[]): string {
  for (let n = path.length; n > 0; n--) {
    const keys = path.slice(0, n).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    for (const f of [...files].reverse()) {
      const node = f.doc.getIn(keys, true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const p = f.lines.linePos(node.range[0]);
        return `${f.path}:${p.line}:${p.col}`;
      }
    }
  }
  return files[files.length - 1]?.path ?? "?";
}

export async function runBgpRender(args: string[], out: Writer, err: Writer): Promise<number> {
  let opts: { config?: string; site?: string; out?: string; only?: string; check?: boolean; help?: boolean };
  try {
    opts = parseArgs({
      args,
      options: {
        config: { type: "string" },
        site: { type: "string" },
        out: { type: "string" },
        only: { type: "string" },
        check: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    err.write(`edgens bgp render: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    out.write(USAGE);
    return 0;
  }
  if (!opts.config || (opts.only !== undefined && !["conf", "env", "bfdd"].includes(opts.only))) {
    err.write(USAGE);
    return 2;
  }

  const files: Loaded[] = [];
  let rendered: { conf: string; env: string; bfdd?: string };
  try {
    files.push(await loadYaml(opts.config));
    if (opts.site) files.push(await loadYaml(opts.site));
    const merged = files.reduce<Record<string, unknown>>((acc, f) => overlay(acc, f.data), {});
    if (merged.bgp === undefined)
      throw new LoadError(`${files.map((f) => f.path).join(" + ")}: no bgp: section`);
    const cfg = parseBgpConfig(merged.bgp);
    rendered = renderExabgp(cfg);
    if (cfg.bfd.enabled) rendered.bfdd = renderBfdd(cfg);
    else if (opts.only === "bfdd")
      throw new LoadError("bgp.bfd.enabled is not true: there is no bfdd config");
  } catch (e) {
    if (e instanceof BgpConfigError) {
      for (const i of e.issues) err.write(`${locate(i.path.split("."), files)}: ${i.path}: ${i.message}\n`);
      err.write(`edgens bgp render: ${e.code}: ${e.issues.length} problem(s) in the bgp config\n`);
    } else {
      const code = (e as { code?: string }).code ?? "EDGENS_ERR_INTERNAL";
      err.write(`edgens bgp render: ${code}: ${(e as Error).message}\n`);
    }
    return 1;
  }

  const wanted = (["conf", "env", "bfdd"] as const).filter(
    (w) => (opts.only === undefined || opts.only === w) && rendered[w] !== undefined,
  );
  const fileName = (w: (typeof wanted)[number]) => (w === "bfdd" ? "bfdd.conf" : `exabgp.${w}`);
  if (opts.out) {
    try {
      await mkdir(opts.out, { recursive: true });
      for (const w of wanted) {
        const file = join(opts.out, fileName(w));
        // The conf may hold TCP-MD5 passwords: never world-readable, not even while being written.
        const mode = w === "conf" ? 0o640 : 0o644;
        await writeFile(file, rendered[w] ?? "", { mode });
        await chmod(file, mode); // `mode` above applies only when the file is created
        out.write(`wrote ${file}\n`);
      }
    } catch (e) {
      err.write(
        `edgens bgp render: EDGENS_ERR_BGP_RENDER: cannot write to ${opts.out}: ${(e as Error).message}\n`,
      );
      return 1;
    }
  } else {
    for (const w of wanted) {
      if (wanted.length > 1) out.write(`# ==> ${fileName(w)} <==\n`);
      out.write(rendered[w] ?? "");
    }
  }
  if (opts.check) {
    // Checked as a pair in a scratch directory, whatever --only wrote.
    const dir = await mkdtemp(join(tmpdir(), "edgens-bgp-check-"));
    try {
      await writeFile(join(dir, "exabgp.conf"), rendered.conf, { mode: 0o600 });
      await writeFile(join(dir, "exabgp.env"), rendered.env);
      const res = await checkExabgpConfig(join(dir, "exabgp.conf"), join(dir, "exabgp.env"));
      if (!res.ok) {
        err.write(
          `${res.output}\nedgens bgp render: EDGENS_ERR_EXABGP: exabgp --test refused the rendered config\n`,
        );
        return 1;
      }
      err.write("exabgp --test: ok\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return 0;
}
