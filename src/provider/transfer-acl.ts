// Who may transfer a zone (the `provide.allowTransfer` list): an entry matches when the source address lies in
// its prefix and, when it names a key, the request carried a valid TSIG signature with that key. An entry
// without a key admits signed and unsigned requests alike. No matching entry → REFUSED.
import { BlockList } from "node:net";
import { parseAclAddress, tsigKeyId } from "../config/provide-refs.js";
import { normalizeAddress } from "../secondary/notify-handler.js";
import type { TsigKey } from "../transfer/tsig.js";
import { nameToText } from "../wire/name.js";

export interface AclEntry {
  /** `ADDR` or `ADDR/LEN`. */
  address: string;
  /** Key id (`tsigKeyId`) the request must be signed with, or undefined. */
  tsigKey?: string;
}

export type AclDecision = { allowed: true } | { allowed: false; reason: string };

export class TransferAcl {
  private readonly entries: { list: BlockList; family: "ipv4" | "ipv6"; text: string; key?: string }[];

  constructor(entries: readonly AclEntry[]) {
    this.entries = entries.map((e) => {
      const p = parseAclAddress(e.address);
      if (!p) throw new Error(`bad ACL address ${e.address}`);
      const family = p.family === 4 ? "ipv4" : "ipv6";
      const list = new BlockList();
      list.addSubnet(p.address, p.prefix, family);
      return { list, family, text: e.address, ...(e.tsigKey ? { key: tsigKeyId(e.tsigKey) } : {}) };
    });
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** `key` is the key a valid signature was made with, or null for an unsigned request. */
  check(address: string, key: TsigKey | null): AclDecision {
    const a = normalizeAddress(address);
    const family = a.includes(":") ? "ipv6" : "ipv4";
    const keyId = key ? tsigKeyId(nameToText(key.name)) : null;
    let sourceMatched = false;
    for (const e of this.entries) {
      if (e.family !== family || !e.list.check(a, family)) continue;
      sourceMatched = true;
      if (e.key === undefined || e.key === keyId) return { allowed: true };
    }
    if (!sourceMatched) return { allowed: false, reason: "source address not allowed" };
    return {
      allowed: false,
      reason: keyId ? `key ${keyId} not allowed from this address` : "request not signed (a key is required)",
    };
  }
}
