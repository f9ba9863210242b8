// The TypeScript codecs must match the C structs byte for byte: compile the shared header with the host C
// compiler, print sizeof/offsetof, compare with layout.ts. Also the counter names against the C enum.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COUNTER_NAMES } from "../../src/fastpath/counters.js";
import {
  ADDR_KEY,
  ANS_F_OPT,
  ANSWER,
  ANSWER_KEY,
  BODY_MAX,
  CFG_F_ENABLED,
  CFG_F_IGNORE_OPTIONS,
  CFG_F_NXDOMAIN,
  CONFIG,
  FORBID,
  KEY_F_DO,
  LABEL_BUF,
  MAX_ZONES,
  NAME,
  NAME_F_APEX,
  NAME_F_CUT,
  NAME_F_WILD,
  NAME_KEY,
  NEG_PTRS,
  NODATA,
  NODATA_F_DO0,
  NODATA_F_DO1,
  NODATA_KEY,
  QNAME_BUF,
  RRL,
  RRL_KEY,
  SERVICE_SLOT,
  SERVICE_SLOTS,
  SLOT_F_MORE,
  serviceSlot,
  ZONE,
  ZONE_F_NX,
  ZONE_F_SIGNED,
  ZONE_F_SUBZONES,
} from "../../src/fastpath/layout.js";
import { PACKAGE_ROOT } from "../../src/fastpath/native-addon.js";
import { hasCommand, requirePrereq } from "../helpers/prereq.js";

const HEADER = join(PACKAGE_ROOT, "native", "bpf", "edgens_structs.h");

const FIELDS: Record<string, [string, Record<string, number>]> = {
  ANSWER_KEY: ["edgens_answer_key", ANSWER_KEY],
  ANSWER: ["edgens_answer", ANSWER],
  CONFIG: ["edgens_config", CONFIG],
  ADDR_KEY: ["edgens_addr_key", ADDR_KEY],
  NAME_KEY: ["edgens_name_key", NAME_KEY],
  NAME: ["edgens_name", NAME],
  ZONE: ["edgens_zone", ZONE],
  NODATA_KEY: ["edgens_nodata_key", NODATA_KEY],
  SERVICE_SLOT: ["edgens_service_slot", SERVICE_SLOT],
  NODATA: ["edgens_nodata", NODATA],
  RRL_KEY: ["edgens_rrl_key", RRL_KEY],
  RRL: ["edgens_rrl", RRL],
};

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function cProgram(): string {
  const lines: string[] = [];
  for (const [label, [struct, layout]] of Object.entries(FIELDS)) {
    for (const field of Object.keys(layout)) {
      const expr =
        field === "size" ? `sizeof(struct ${struct})` : `offsetof(struct ${struct}, ${snake(field)})`;
      lines.push(`  printf("\\"${label}.${field}\\": %zu,\\n", ${expr});`);
    }
  }
  return `#include <stddef.h>
#include <stdio.h>
#include "edgens_structs.h"
int main(void) {
  printf("{\\n");
${lines.join("\n")}
  printf("\\"QNAME_BUF\\": %d, \\"BODY_MAX\\": %d, \\"KEY_F_DO\\": %d, \\"ANS_F_OPT\\": %d,\\n",
         EDGENS_QNAME_BUF, EDGENS_BODY_MAX, EDGENS_KEY_F_DO, EDGENS_ANS_F_OPT);
  printf("\\"CFG_F_NXDOMAIN\\": %d, \\"MAX_ZONES\\": %d, \\"NEG_PTRS\\": %d, \\"FORBID\\": %d, \\"LABEL_BUF\\": %d,\\n",
         EDGENS_CFG_F_NXDOMAIN, EDGENS_MAX_ZONES, EDGENS_NEG_PTRS, EDGENS_FORBID, EDGENS_LABEL_BUF);
  printf("\\"NAME_F_APEX\\": %d, \\"NAME_F_CUT\\": %d, \\"NAME_F_WILD\\": %d, \\"ZONE_F_NX\\": %d, \\"ZONE_F_SIGNED\\": %d, \\"ZONE_F_SUBZONES\\": %d,\\n",
         EDGENS_NAME_F_APEX, EDGENS_NAME_F_CUT, EDGENS_NAME_F_WILD, EDGENS_ZONE_F_NX, EDGENS_ZONE_F_SIGNED, EDGENS_ZONE_F_SUBZONES);
  printf("\\"SERVICE_SLOTS\\": %d, \\"SLOT_F_MORE\\": %d,\\n", EDGENS_SERVICE_SLOTS, EDGENS_SLOT_F_MORE);
  printf("\\"SLOT_A\\": %u, \\"SLOT_B\\": %u,\\n", EDGENS_SERVICE_SLOT(0x350200c0u), EDGENS_SERVICE_SLOT(0xdeadbeefu ^ 0x12345678u));
  printf("\\"NODATA_F_DO0\\": %d, \\"NODATA_F_DO1\\": %d,\\n", EDGENS_NODATA_F_DO0, EDGENS_NODATA_F_DO1);
  printf("\\"CFG_F_ENABLED\\": %d, \\"CFG_F_IGNORE_OPTIONS\\": %d, \\"C_MAX\\": %d\\n}\\n",
         EDGENS_CFG_F_ENABLED, EDGENS_CFG_F_IGNORE_OPTIONS, EDGENS_C_MAX);
  return 0;
}
`;
}

const ok = requirePrereq("C struct layout check", hasCommand("cc"));

describe.skipIf(!ok)("edgens_structs.h layout matches src/fastpath/layout.ts", () => {
  it("has the same sizes, offsets and flag values", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgens-layout-"));
    try {
      writeFileSync(join(dir, "layout.c"), cProgram());
      execFileSync("cc", [
        "-Wall",
        "-I",
        join(PACKAGE_ROOT, "native", "bpf"),
        "-o",
        join(dir, "layout"),
        join(dir, "layout.c"),
      ]);
      const c = JSON.parse(execFileSync(join(dir, "layout"), { encoding: "utf8" })) as Record<string, number>;
      for (const [label, [, layout]] of Object.entries(FIELDS)) {
        for (const [field, value] of Object.entries(layout))
          expect(`${label}.${field}=${c[`${label}.${field}`]}`).toBe(`${label}.${field}=${value}`);
      }
      expect(c).toMatchObject({
        QNAME_BUF,
        BODY_MAX,
        KEY_F_DO,
        ANS_F_OPT,
        CFG_F_ENABLED,
        CFG_F_IGNORE_OPTIONS,
        CFG_F_NXDOMAIN,
        MAX_ZONES,
        NEG_PTRS,
        FORBID,
        LABEL_BUF,
        NAME_F_APEX,
        NAME_F_CUT,
        NAME_F_WILD,
        ZONE_F_NX,
        ZONE_F_SIGNED,
        ZONE_F_SUBZONES,
        NODATA_F_DO0,
        NODATA_F_DO1,
        SERVICE_SLOTS,
        SLOT_F_MORE,
        // The slot hash in C and TypeScript: 192.0.2.53 (host-order word 0x350200c0) and an IPv6-style XOR.
        SLOT_A: serviceSlot(Buffer.from([192, 0, 2, 53, ...Array(12).fill(0)])),
        SLOT_B: serviceSlot(
          Buffer.concat([Buffer.from("efbeadde", "hex"), Buffer.from("78563412", "hex"), Buffer.alloc(8)]),
        ),
        C_MAX: COUNTER_NAMES.length,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the counters in the order of enum edgens_counter", () => {
    const text = readFileSync(HEADER, "utf8");
    const names = [...text.matchAll(/^\s*EDGENS_C_([A-Z_]+)\b/gm)]
      .map((m) => m[1]!.toLowerCase())
      .filter((n) => n !== "max");
    expect(names).toEqual([...COUNTER_NAMES]);
  });
});
