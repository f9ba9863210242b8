// Config loading: YAML file (+ per-site overlay, + command-line overlay) → defaults merged → validated with zod →
// frozen. Every problem names the file, line:column of the offending YAML node and the key path.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Document, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { defaultConfig } from "./defaults.js";
import { ConfigError } from "./errors.js";
import { deepFreeze, deepMerge, isPlainObject, type Plain } from "./merge.js";
import { configSchema, type EdgensConfig } from "./schema.js";

/** One parsed config layer (a YAML file, or the command line). */
export interface ConfigLayer {
  /** Shown in error messages: the file path, or "command line". */
  name: string;
  data: Plain;
  doc?: Document;
  lines?: LineCounter;
}

/** Parse one YAML config text. Relative paths inside it resolve against `baseDir` (its directory). */
export function parseConfigText(name: string, text: string, baseDir: string): ConfigLayer {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return `${name}:${pos.line}:${pos.col}: invalid YAML: ${e.message.split("\n")[0]}`;
      }),
    );
  }
  const data: unknown = doc.toJS() ?? {};
  if (!isPlainObject(data)) throw new ConfigError([`${name}:1:1: (top level): expected a mapping of keys`]);
  resolvePaths(data, baseDir);
  return { name, data, doc, lines };
}

export function readConfigFile(path: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError([`${path}: cannot read config file: ${(e as Error).message}`]);
  }
  return parseConfigText(path, text, dirname(resolve(path)));
}

/** File paths in a layer are relative to that layer's own file, so a site overlay can live elsewhere. */
function resolvePaths(data: Plain, baseDir: string): void {
  const abs = (v: unknown) => (typeof v === "string" && v.length > 0 ? resolve(baseDir, v) : v);
  if ("zonesDir" in data) data.zonesDir = abs(data.zonesDir);
  if ("pidFile" in data) data.pidFile = abs(data.pidFile);
  if ("stateDir" in data) data.stateDir = abs(data.stateDir);
  if (Array.isArray(data.zones)) {
    for (const z of data.zones) if (isPlainObject(z) && "file" in z) z.file = abs(z.file);
  }
}

/** A layer built in code (command-line flags); paths in it are relative to the current directory. */
export function overlayLayer(name: string, data: Plain): ConfigLayer {
  const copy = structuredClone(data);
  resolvePaths(copy, process.cwd());
  return { name, data: copy };
}

/** Merge defaults and layers (later wins), validate, freeze. Throws ConfigError naming every problem. */
export function buildConfig(layers: ConfigLayer[]): EdgensConfig {
  let merged: unknown = defaultConfig();
  for (const layer of layers) merged = deepMerge(merged, layer.data);
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, layers)));
  return deepFreeze(result.data);
}

/** Load `--config FILE` (optional) and `--site FILE` (optional) plus a command-line overlay. */
export function loadConfig(opts: { file?: string; site?: string; overlay?: Plain }): EdgensConfig {
  const layers: ConfigLayer[] = [];
  if (opts.file) layers.push(readConfigFile(opts.file));
  if (opts.site) layers.push(readConfigFile(opts.site));
  if (opts.overlay) layers.push(overlayLayer("command line", opts.overlay));
  return buildConfig(layers);
}

export function formatKeyPath(path: readonly PropertyKey[]): string {
  let s = "";
  for (const p of path) {
    if (typeof p === "number") s += `[${p}]`;
    else s += s.length === 0 ? String(p) : `.${String(p)}`;
  }
  return s.length === 0 ? "(top level)" : s;
}

function describeIssue(issue: z.core.$ZodIssue, layers: ConfigLayer[]): string {
  let path: PropertyKey[] = [...issue.path];
  let message = issue.message.replace(/^Invalid input: /, "");
  if (issue.code === "unrecognized_keys") {
    // Point at the (first) unknown key itself.
    path = [...path, issue.keys[0]!];
    message = `unknown key${issue.keys.length > 1 ? `s ${issue.keys.map((k) => `"${k}"`).join(", ")}` : ""}`;
  } else if (issue.code === "invalid_value" && "values" in issue) {
    message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  return `${locate(path, layers)}: ${formatKeyPath(path)}: ${message}`;
}

/** The layer that set the value at `path` (latest first) and the YAML position of its node. */
function locate(path: PropertyKey[], layers: ConfigLayer[]): string {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (!hasPath(layer.data, path)) continue;
    const node = layer.doc?.getIn(path as unknown[], true) as
      | { range?: [number, number, number] }
      | undefined;
    const pos = node?.range && layer.lines ? layer.lines.linePos(node.range[0]) : undefined;
    return pos ? `${layer.name}:${pos.line}:${pos.col}` : layer.name;
  }
  // A missing required value: name the deepest layer position that holds the parent, else the defaults.
  if (path.length > 0) return locate(path.slice(0, -1), layers);
  return layers.length > 0 ? layers[layers.length - 1]!.name : "defaults";
}

function hasPath(data: unknown, path: PropertyKey[]): boolean {
  let cur: unknown = data;
  for (const p of path) {
    if (typeof cur !== "object" || cur === null || !(p in (cur as object))) return false;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return true;
}
