// Findings about zone data (syntax errors, semantic check results), each pinned to file:line:column with a
// stable code, printed in the compiler style editors and CI annotate: "file:line:column: error: message [code]".

export interface Diagnostic {
  severity: "error" | "warning";
  file: string;
  line: number;
  column: number;
  code: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Stable diagnostic codes; tests and tooling match on these, never on message text. */
export const DiagCode = {
  SYNTAX: "EDGENS_ERR_ZONE_SYNTAX",
  DIRECTIVE: "EDGENS_ERR_ZONE_DIRECTIVE",
  INCLUDE: "EDGENS_ERR_ZONE_INCLUDE",
  OWNER: "EDGENS_ERR_ZONE_OWNER",
  NAME: "EDGENS_ERR_ZONE_NAME",
  TTL: "EDGENS_ERR_ZONE_TTL",
  TTL_FROM_SOA: "EDGENS_WARN_ZONE_TTL_FROM_SOA",
  CLASS: "EDGENS_ERR_ZONE_CLASS",
  TYPE: "EDGENS_ERR_ZONE_TYPE",
  RDATA: "EDGENS_ERR_ZONE_RDATA",
  NO_ORIGIN: "EDGENS_ERR_ZONE_NO_ORIGIN",
  // Semantic checks (src/zone/zone-check.ts).
  NO_SOA: "EDGENS_ERR_ZONE_NO_SOA",
  MULTIPLE_SOA: "EDGENS_ERR_ZONE_MULTIPLE_SOA",
  NO_NS: "EDGENS_ERR_ZONE_NO_NS",
  OUT_OF_ZONE: "EDGENS_ERR_ZONE_OUT_OF_ZONE",
  CNAME_AND_OTHER: "EDGENS_ERR_ZONE_CNAME_AND_OTHER",
  MULTIPLE_CNAME: "EDGENS_ERR_ZONE_MULTIPLE_CNAME",
  DNAME_CHILDREN: "EDGENS_ERR_ZONE_DNAME_CHILDREN",
  MULTIPLE_DNAME: "EDGENS_ERR_ZONE_MULTIPLE_DNAME",
  OCCLUDED: "EDGENS_WARN_ZONE_OCCLUDED",
  MISSING_GLUE: "EDGENS_WARN_ZONE_MISSING_GLUE",
  TTL_MISMATCH: "EDGENS_WARN_ZONE_TTL_MISMATCH",
  DUPLICATE: "EDGENS_WARN_ZONE_DUPLICATE",
  NOT_IN_CLASS: "EDGENS_ERR_ZONE_CLASS_NOT_IN",
} as const;
