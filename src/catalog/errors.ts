// Typed errors of catalog zone processing (RFC 9432). A catalog that fails to parse changes nothing: the
// members it listed before keep being served.

export type CatalogErrorCode =
  /** No `version` TXT, several, or a version other than "2" (the only one this consumer understands). */
  "EDGENS_ERR_CATALOG_VERSION";

export class CatalogError extends Error {
  override readonly name = "CatalogError";
  constructor(
    readonly code: CatalogErrorCode,
    message: string,
  ) {
    super(message);
  }
}
