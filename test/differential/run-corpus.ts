// Run the corpus against one server and normalize every answer; report differences between two servers.
import { diff, type FieldDiff, failed, type Normalized, normalize, render } from "../helpers/compare.js";
import { query, type Server } from "../helpers/dns-client.js";
import { type Case, CORPUS, parseQ } from "./corpus.js";

export type Results = Map<string, Normalized>;

export async function runCase(server: Server, k: Case, timeoutMs = 2000): Promise<Normalized> {
  const { qname, qclass, qtype } = parseQ(k.q);
  try {
    const r = await query(
      server,
      {
        qname,
        qclass,
        qtype,
        transport: k.transport,
        edns: k.edns,
        rd: k.rd ?? false,
        ...(k.opcode !== undefined ? { opcode: k.opcode } : {}),
        ...(k.noQuestion ? { noQuestion: true } : {}),
      },
      timeoutMs,
    );
    return normalize(r.bytes);
  } catch (e) {
    return failed((e as Error).message);
  }
}

/** Sequential on purpose: the servers run on shared cores and the order keeps logs readable. */
export async function runCorpus(server: Server, cases: Case[] = CORPUS): Promise<Results> {
  const out: Results = new Map();
  for (const k of cases) out.set(k.id, await runCase(server, k));
  return out;
}

export interface CaseDiff {
  id: string;
  q: string;
  diffs: FieldDiff[];
}

export function compareResults(a: Results, b: Results, cases: Case[] = CORPUS): CaseDiff[] {
  const out: CaseDiff[] = [];
  for (const k of cases) {
    const diffs = diff(a.get(k.id)!, b.get(k.id)!);
    if (diffs.length > 0) out.push({ id: k.id, q: k.q, diffs });
  }
  return out;
}

function indent(s: string, by: string): string {
  return s === ""
    ? `${by}(empty)`
    : s
        .split("\n")
        .map((l) => `${by}${l}`)
        .join("\n");
}

/** Human-readable difference report: per case, per field, both sides. */
export function renderDiffs(diffs: CaseDiff[], aName: string, bName: string): string {
  return diffs
    .map((d) =>
      [
        `## ${d.id}  (${d.q})`,
        ...d.diffs.map(
          (f) =>
            `  ${f.field}:\n    ${aName}:\n${indent(f.a, "      ")}\n    ${bName}:\n${indent(f.b, "      ")}`,
        ),
      ].join("\n"),
    )
    .join("\n");
}

export { render };
