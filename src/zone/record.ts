// One resource record as edgens keeps it after parsing (zone file or transfer): owner and embedded names are
// uncompressed wire bytes in their original case; rdata is the uncompressed wire RDATA.

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface ResourceRecord {
  /** Uncompressed wire-format owner name, original case. */
  owner: Buffer;
  type: number;
  class: number;
  ttl: number;
  /** Uncompressed wire-format RDATA (names inside it are uncompressed too). */
  rdata: Buffer;
  /** Where the record came from, for error messages; absent for transferred data. */
  source?: SourcePosition;
}
