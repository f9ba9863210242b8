// The ExaBGP API wrapper prints the withdrawals before the agent (Node) starts: a respawned agent fails closed
// within milliseconds instead of after Node's start-up.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withdrawAllLines } from "../../src/bgp/api-lines.js";
import { parseBgpConfig } from "../../src/bgp/config.js";
import { apiCommand } from "../../src/bgp/render.js";

const wrapper = join(import.meta.dirname, "../../bgp/withdraw-then-exec.sh");

describe("bgp/withdraw-then-exec.sh", () => {
  it("prints one withdraw per prefix, then execs the command with its arguments intact", () => {
    const out = execFileSync("/bin/sh", [
      wrapper,
      ...["192.0.2.53/32", "self", "2001:db8::53/128", "2001:db8::1"],
      ...["--", "/bin/echo", "agent", "--config", "/etc/edgens/edgens.yaml"],
    ]).toString();
    expect(out.split("\n")).toEqual([
      "withdraw route 192.0.2.53/32 next-hop self",
      "withdraw route 2001:db8::53/128 next-hop 2001:db8::1",
      "agent --config /etc/edgens/edgens.yaml",
      "",
    ]);
  });

  it("the rendered command prints exactly the agent's own withdraw-all lines first", () => {
    const cfg = parseBgpConfig({
      localAs: 64953,
      routerId: "10.0.0.1",
      neighbors: [{ address: "10.0.0.2", peerAs: 65001, localAddress: "10.0.0.1" }],
      prefixes: [{ prefix: "192.0.2.53/32", nextHop: "self" }],
      api: { cli: join(import.meta.dirname, "../../dist/cli/main.js"), node: "/bin/echo" },
    });
    const [sh, script, ...args] = apiCommand(cfg);
    expect(sh).toBe("/bin/sh");
    expect(script).toBe(wrapper);
    const out = execFileSync(sh!, [script!, ...args])
      .toString()
      .split("\n");
    expect(out.slice(0, 1)).toEqual(withdrawAllLines(cfg));
    expect(out[1]).toMatch(/dist\/cli\/main\.js health-agent --config \/etc\/edgens\/edgens\.yaml$/);
  });
});
