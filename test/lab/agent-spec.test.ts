// `edgens lab up --agent`: the API process spec, the healthcheck.py wrapper the lab writes, and the bounded
// concurrency helper of the bring-up (pure; no lab needed).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAgentCmdline } from "../../src/lab/daemon.js";
import { LabStateError, parseAgentSpec } from "../../src/lab/lab-state.js";
import { mapLimit } from "../../src/lab/map-limit.js";
import { HEALTHCHECK_CMD, healthcheckScriptText } from "../../src/lab/node-files.js";

describe("parseAgentSpec", () => {
  it("accepts edgens, healthcheck and healthcheck:ARGS", () => {
    expect(parseAgentSpec("edgens")).toEqual({ kind: "edgens" });
    expect(parseAgentSpec("healthcheck")).toEqual({ kind: "healthcheck", args: [] });
    expect(parseAgentSpec("healthcheck:--interval 0.2  --fall 1")).toEqual({
      kind: "healthcheck",
      args: ["--interval", "0.2", "--fall", "1"],
    });
  });
  it("refuses anything else", () => {
    for (const bad of ["", "bird", "healthcheckx", "edgens:--rise 1"])
      expect(() => parseAgentSpec(bad)).toThrow(LabStateError);
  });
});

describe("healthcheckScriptText", () => {
  it("runs ExaBGP's healthcheck with withdraw-on-down, both anycast IPs, the TCP check and the extra args", () => {
    const t = healthcheckScriptText(["--interval", "0.2", "--fall", "1"]);
    expect(t.startsWith("#!/bin/sh\n")).toBe(true);
    expect(t).toContain(
      "exec /usr/bin/python3 -m exabgp healthcheck --no-syslog --withdraw-on-down --no-ip-setup",
    );
    expect(t).toContain("--ip 192.0.2.53 --ip 2001:db8::53");
    expect(t.trimEnd().endsWith("--interval 0.2 --fall 1")).toBe(true);
  });
  it("quotes the check command so sh passes it as one word", () => {
    const dir = mkdtempSync(join(tmpdir(), "edgens-hc-"));
    try {
      // Replace the interpreter by printf to see the argv sh builds.
      const script = healthcheckScriptText(["--x", "it's"]).replace(
        "exec /usr/bin/python3",
        "exec printf '%s\\n' /usr/bin/python3",
      );
      writeFileSync(join(dir, "hc.sh"), script);
      const argv = execFileSync("/bin/sh", [join(dir, "hc.sh")])
        .toString()
        .split("\n")
        .slice(0, -1);
      expect(argv[argv.indexOf("--cmd") + 1]).toBe(HEALTHCHECK_CMD);
      expect(argv.slice(-2)).toEqual(["--x", "it's"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("is recognised as the node's agent process", () => {
    expect(isAgentCmdline(["/usr/bin/python3", "-m", "exabgp", "healthcheck", "--ip", "192.0.2.53"])).toBe(
      true,
    );
    expect(isAgentCmdline(["/bin/sh", "/run/edgens-lab/x/nodes/s1-n1/healthcheck.sh"])).toBe(true);
    expect(isAgentCmdline(["node", "main.js", "health-agent"])).toBe(true);
    expect(isAgentCmdline(["node", "main.js", "serve"])).toBe(false);
  });
});

describe("mapLimit", () => {
  it("keeps order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (x) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, x));
      running--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });
  it("rejects with the first error and starts nothing after it", async () => {
    const seen: number[] = [];
    await expect(
      mapLimit([1, 2, 3, 4], 1, async (x) => {
        seen.push(x);
        if (x === 2) throw new Error("two");
        return x;
      }),
    ).rejects.toThrow("two");
    expect(seen).toEqual([1, 2]);
  });
});
