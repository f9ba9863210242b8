// The real thing: ExaBGP, configured by `renderExabgp`, announces through its API process (a stand-in for the
// health agent printing our `announceLine`s) to FRR in another network namespace. Then the fail-closed path
// of the shipped defaults: a killed agent is respawned and starts withdrawn; an agent that keeps dying makes
// ExaBGP shut down. The steps run in order and share one lab.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePrereq } from "../helpers/prereq.js";
import {
  AGENT_LABEL,
  EDGE_AS,
  type EdgePeerLab,
  labPrereqs,
  sleep,
  startEdgePeerLab,
  V4,
  V6,
  waitFor,
} from "./edge-peer-lab.js";

const ok = requirePrereq("ExaBGP to FRR over netns", ...labPrereqs);

describe.skipIf(!ok)("ExaBGP (rendered config) announces via the API to FRR", () => {
  let lab: EdgePeerLab;
  beforeAll(async () => {
    lab = await startEdgePeerLab();
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it("FRR receives the IPv4 and IPv6 routes with MED, communities and the prepended AS path", async () => {
    const ms = await waitFor("both routes at FRR", lab.both).catch((e) => {
      throw new Error(`${(e as Error).message}\n--- exabgp log tail:\n${lab.exa.log().slice(-3000)}`);
    });
    console.log(`routes at FRR ${ms.toFixed(0)} ms after ExaBGP start`);
    const v4 = (await lab.route("ipv4", V4))!;
    expect(v4.aspath?.string).toBe(`${EDGE_AS} ${EDGE_AS}`);
    expect(v4.med ?? v4.metric).toBe(10);
    expect(v4.community?.string).toBe("65001:100");
    expect(v4.largeCommunity?.string).toBe("65001:53:1");
    const v6 = (await lab.route("ipv6", V6))!;
    expect(v6.aspath?.string).toBe(`${EDGE_AS} ${EDGE_AS}`);
    expect(v6.community?.string).toBe("65001:100");
  });

  it("ExaBGP starts the API process with its arguments intact", () => {
    expect(readFileSync(join(lab.dir, "agent.args"), "utf8")).toBe(`2\n${AGENT_LABEL}\n`);
  });

  it("a killed agent is respawned by ExaBGP and its first lines withdraw the routes", async () => {
    lab.setMode("down");
    const killed = lab.killAgent();
    const ms = await waitFor("withdrawal at FRR", lab.neither);
    console.log(`agent SIGKILL → respawned agent withdrew → routes gone at FRR: ${ms.toFixed(0)} ms`);
    expect(lab.agentPids().at(-1)).not.toBe(killed);
    expect(lab.exa.running).toBe(true);
  });

  it("a respawned agent in drain announces with the graceful-shutdown community", async () => {
    lab.setMode("drain");
    lab.killAgent();
    await waitFor("drained routes at FRR", lab.both);
    // FRR names 65535:0 and drops the route's local preference to 0 (RFC 8326).
    expect((await lab.route("ipv4", V4))!.community?.string).toBe("65001:100 graceful-shutdown");
  });

  it("an agent that keeps dying makes ExaBGP shut down, so FRR drops the routes", async () => {
    lab.setMode("crash");
    lab.killAgent();
    const ms = await waitFor("withdrawal at FRR", lab.neither);
    const exit = await Promise.race([lab.exa.exited, sleep(10_000).then(() => null)]);
    console.log(
      `agent crash loop → routes gone at FRR: ${ms.toFixed(0)} ms; ExaBGP exit ${JSON.stringify(exit)}`,
    );
    expect(exit).not.toBeNull();
    expect(lab.exa.log()).toMatch(/Too many death/);
  });
});
