// TCP MD5: the password as rendered (quoted, backslash escaped) is the key ExaBGP uses — FRR with the same
// password establishes both sessions and receives the routes; with another password it does not.
import { afterEach, describe, expect, it } from "vitest";
import { requirePrereq } from "../helpers/prereq.js";
import { type EdgePeerLab, labPrereqs, sleep, startEdgePeerLab, waitFor } from "./edge-peer-lab.js";

const ok = requirePrereq("ExaBGP to FRR with TCP MD5", ...labPrereqs);

// `#`, `;`, `{`, `}` and `\` would end or change an unquoted ExaBGP token.
const PASSWORD = "s3c#r;t{x}\\y";

describe.skipIf(!ok)("TCP MD5 between ExaBGP and FRR", () => {
  let lab: EdgePeerLab | undefined;
  afterEach(async () => {
    await lab?.destroy();
    lab = undefined;
  });

  it("establishes with a password holding ExaBGP syntax characters", async () => {
    lab = await startEdgePeerLab({ md5Password: PASSWORD });
    expect(await lab.frr.vtysh("show running-config")).toContain(`password ${PASSWORD}`);
    await waitFor("both routes at FRR", lab.both).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${await lab!.frr.vtysh("show bgp summary")}`);
    });
  });

  it("does not establish when the passwords differ (the check is real)", async () => {
    lab = await startEdgePeerLab({ md5Password: PASSWORD, frrMd5Password: "s3c#r;t{x}y" });
    await sleep(4000);
    expect(await lab.neither()).toBe(true);
  });
});
