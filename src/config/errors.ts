// Config errors carry one line per problem, each naming the file, line:column (when known) and key path.

export class ConfigError extends Error {
  readonly code = "EDGENS_ERR_CONFIG";
  /** One human-readable line per problem: `file:line:col: key.path: expected ...`. */
  readonly problems: readonly string[];

  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}
