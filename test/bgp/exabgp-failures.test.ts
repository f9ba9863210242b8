// Failure modes that decide our defaults, measured against FRR (docs/BGP.md quotes these numbers):
// - exabgp.api.respawn=false is FAIL-OPEN in ExaBGP 4.2: a dead agent is not respawned, ExaBGP keeps running
//   and keeps the routes announced (api.terminate only acts when the agent cannot be started or written to).
// - ExaBGP killed: the kernel closes the TCP session, FRR withdraws at once.
// - ExaBGP hung (SIGSTOP, like a hung host): only the hold timer notices — the default 9 s bounds it.
import { afterEach, describe, expect, it } from "vitest";
import { requirePrereq } from "../helpers/prereq.js";
import { type EdgePeerLab, labPrereqs, sleep, startEdgePeerLab, waitFor } from "./edge-peer-lab.js";

const ok = requirePrereq("ExaBGP failure modes against FRR", ...labPrereqs);

describe.skipIf(!ok)("ExaBGP failure modes", () => {
  let lab: EdgePeerLab | undefined;
  afterEach(async () => {
    await lab?.destroy();
    lab = undefined;
  });

  it("with respawn=false a killed agent leaves the routes up (why respawn defaults to true)", async () => {
    lab = await startEdgePeerLab({ overrides: { env: { respawn: false } } });
    await waitFor("both routes at FRR", lab.both);
    lab.killAgent();
    await sleep(3000);
    expect(await lab.both()).toBe(true);
    expect(lab.exa.running).toBe(true);
    console.log("respawn=false: agent dead for 3 s, ExaBGP running, routes still announced (fail-open)");
  });

  it("SIGKILL of ExaBGP withdraws at once; SIGSTOP only after the hold time", async () => {
    lab = await startEdgePeerLab();
    await waitFor("both routes at FRR", lab.both);
    lab.exa.signal("SIGKILL");
    const killMs = await waitFor("withdrawal at FRR", lab.neither);
    console.log(`ExaBGP SIGKILL → routes gone at FRR: ${killMs.toFixed(0)} ms`);
    expect(killMs).toBeLessThan(2000);
    await lab.destroy();

    lab = await startEdgePeerLab();
    await waitFor("both routes at FRR", lab.both);
    lab.exa.signal("SIGSTOP");
    const hungMs = await waitFor("withdrawal at FRR", lab.neither, 15_000, 50);
    console.log(
      `ExaBGP SIGSTOP (hold time ${lab.cfg.holdTime} s) → routes gone at FRR: ${hungMs.toFixed(0)} ms`,
    );
    expect(hungMs).toBeGreaterThan(3000); // proves it was the hold timer, not a closed socket
    expect(hungMs).toBeLessThan(lab.cfg.holdTime * 1000 + 1500);
    lab.exa.signal("SIGCONT");
  }, 60_000);
});
