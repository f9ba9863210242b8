// Config of the primary role (docs/CONFIG.md, docs/TRANSFER.md): the top-level `tsigKeys` map and each zone's
// `provide` section (transfer ACL, NOTIFY targets). Key references are checked against `tsigKeys` here, so
// `edgens config check` reports a misspelt key name with its path.
import { z } from "zod";
import { parseNameText } from "../wire/name.js";
import { LISTEN_ADDRESS_HINT, parseListenAddress } from "./listen-address.js";
import { parseAclAddress, tsigKeyId } from "./provide-refs.js";

export { parseAclAddress, tsigKeyId };

export const TSIG_ALGORITHM_NAMES = [
  "hmac-sha256",
  "hmac-sha384",
  "hmac-sha512",
  "hmac-sha224",
  "hmac-sha1",
] as const;

const nonEmpty = z.string().min(1, { error: "expected a non-empty string" });

const aclAddress = z.string().refine((v) => parseAclAddress(v) !== null, {
  error: (iss) =>
    `expected an address or prefix (e.g. 192.0.2.1, 192.0.2.0/24, 2001:db8::/32), got ${JSON.stringify(iss.input)}`,
});

const peerAddress = z.string().refine((v) => parseListenAddress(v) !== null, {
  error: (iss) => `expected ${LISTEN_ADDRESS_HINT}, got ${JSON.stringify(iss.input)}`,
});

const keyName = nonEmpty.refine(
  (v) => {
    try {
      parseNameText(v.endsWith(".") ? v : `${v}.`, null);
      return true;
    } catch {
      return false;
    }
  },
  { error: (iss) => `expected a TSIG key name (a domain name), got ${JSON.stringify(iss.input)}` },
);

export const tsigKeysSchema = z.record(
  keyName,
  z.strictObject({
    algorithm: z.enum(TSIG_ALGORITHM_NAMES),
    secret: z
      .string()
      .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0, { error: "expected base64" }),
  }),
);

export const provideSchema = z.strictObject({
  /** Who may AXFR/IXFR the zone: a source address or prefix, and the key the request must be signed with. */
  allowTransfer: z.array(z.strictObject({ address: aclAddress, tsigKey: nonEmpty.optional() })).default([]),
  /** Secondaries sent NOTIFY when the zone's serial changes: `ADDR:PORT`, or with a key to sign with. */
  notify: z
    .array(z.union([peerAddress, z.strictObject({ address: peerAddress, tsigKey: nonEmpty.optional() })]))
    .default([]),
});

interface KeyRefs {
  tsigKeys: Record<string, unknown>;
  zones: { provide?: z.output<typeof provideSchema> | undefined }[];
}

/** Every `tsigKey` named in a `provide` section must be a key of `tsigKeys`. */
export function checkTsigKeyReferences(config: KeyRefs, ctx: z.RefinementCtx): void {
  const known = new Set(Object.keys(config.tsigKeys).map(tsigKeyId));
  const check = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined && !known.has(tsigKeyId(name))) {
      ctx.addIssue({
        code: "custom",
        path,
        message: `unknown TSIG key ${JSON.stringify(name)} (not in tsigKeys)`,
      });
    }
  };
  config.zones.forEach((zone, i) => {
    zone.provide?.allowTransfer.forEach((e, j) => {
      check(e.tsigKey, ["zones", i, "provide", "allowTransfer", j, "tsigKey"]);
    });
    zone.provide?.notify.forEach((n, j) => {
      if (typeof n !== "string") check(n.tsigKey, ["zones", i, "provide", "notify", j, "tsigKey"]);
    });
  });
}
