// Shared setup of the fast-path tests: prerequisites and answers written in DNS terms (dns-packet records).
import { existsSync } from "node:fs";
import dnsPacket from "dns-packet";
import { type FastAnswer, fastAnswerFromWire } from "../../src/fastpath/answer-codec.js";
import { DEFAULT_OBJECT_PATH, loadNativeAddon } from "../../src/fastpath/native-addon.js";
import { parseNameText } from "../../src/wire/name.js";
import type { PrereqCheck } from "../helpers/prereq.js";

export const addonBuilt: PrereqCheck = () => {
  const load = loadNativeAddon();
  return load.available ? null : `libbpf addon not built (${load.reason}); ${load.fix}`;
};

export function objectBuilt(path = DEFAULT_OBJECT_PATH): PrereqCheck {
  return () => (existsSync(path) ? null : `${path} not built; run node scripts/build-native.mjs`);
}

export interface AnswerSpec {
  qname: string;
  qtype: dnsPacket.RecordType;
  answers?: dnsPacket.Answer[];
  authorities?: dnsPacket.Answer[];
  additionals?: dnsPacket.Answer[];
  dnssecOk?: boolean;
  rcode?: number;
  withOpt?: boolean;
}

/** A fast-path answer from records, through the same adapter the snapshot compiler will use. */
export function answer(spec: AnswerSpec): FastAnswer {
  const wire = dnsPacket.encode({
    type: "response",
    id: 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | (spec.rcode ?? 0),
    questions: [{ name: spec.qname, type: spec.qtype, class: "IN" }],
    answers: spec.answers ?? [],
    authorities: spec.authorities ?? [],
    additionals: spec.additionals ?? [],
  });
  const questionEnd = 12 + parseNameText(spec.qname, null).length + 4;
  const a = fastAnswerFromWire(wire, questionEnd, spec.dnssecOk ?? false);
  if (!a) throw new Error("answer does not fit the fast path");
  return { ...a, withOpt: spec.withOpt ?? true };
}

export function aRecord(name: string, address: string, ttl = 300): dnsPacket.Answer {
  return { name, type: "A", ttl, class: "IN", data: address };
}

export function txtRecord(name: string, text: string | string[], ttl = 300): dnsPacket.Answer {
  return { name, type: "TXT", ttl, class: "IN", data: text };
}
