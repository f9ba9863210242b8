// The pure part of `edgens status`: samples → the --json shape and the verdict.
import { describe, expect, it } from "vitest";
import { parsePrometheusText } from "../../src/cli/stats.js";
import { adminStatus, agentStatus, nodeStatus, serverStatus } from "../../src/status/node-status.js";

const agentText = (v4: string, v6: string, drained = 0) => `
edgens_health_state{prefix="192.0.2.53/32",family="ipv4",state="${v4}"} 1
edgens_health_state{prefix="192.0.2.53/32",family="ipv4",state="INIT"} 0
edgens_health_state{prefix="2001:db8:53::/48",family="ipv6",state="${v6}"} 1
edgens_health_last_transition_timestamp_seconds{prefix="192.0.2.53/32"} 1795000000.5
edgens_health_bgp_session_up{neighbor="10.0.0.1"} 1
edgens_health_bgp_session_up{neighbor="fd00::1"} 0
edgens_health_announced_prefixes{family="ipv4"} ${v4 === "UP" ? 1 : 0}
edgens_health_announced_prefixes{family="ipv6"} ${v6 === "UP" ? 1 : 0}
edgens_health_admin_drained ${drained}
`;
const serverText = `
edgens_zone_serial{zone="b.example."} 7
edgens_zone_serial{zone="a.example."} 2026112301
edgens_zone_records{zone="a.example."} 12
edgens_zone_load_failures_total{zone="a.example."} 2
`;
const ready = { status: 200, body: "ready: 2 zone(s) loaded\n" };
const active = adminStatus("/f", { state: "active", since: new Date(0).toISOString() });

describe("node status", () => {
  it("builds the documented shape", () => {
    const server = serverStatus("u1", parsePrometheusText(serverText), ready);
    expect(server).toEqual({
      metricsUrl: "u1",
      reachable: true,
      error: null,
      ready: true,
      readyDetail: "ready: 2 zone(s) loaded",
      zones: [
        { zone: "a.example.", serial: 2026112301, records: 12, loadFailures: 2 },
        { zone: "b.example.", serial: 7, records: null, loadFailures: 0 },
      ],
    });
    const agent = agentStatus("u2", parsePrometheusText(agentText("UP", "DOWN")));
    expect(agent).toEqual({
      metricsUrl: "u2",
      reachable: true,
      error: null,
      prefixes: [
        {
          prefix: "192.0.2.53/32",
          family: "ipv4",
          state: "UP",
          route: "announced",
          since: new Date(1795000000500).toISOString(),
        },
        { prefix: "2001:db8:53::/48", family: "ipv6", state: "DOWN", route: "withdrawn", since: null },
      ],
      announced: { ipv4: 1, ipv6: 0 },
      sessions: [
        { neighbor: "10.0.0.1", up: true },
        { neighbor: "fd00::1", up: false },
      ],
      drained: false,
    });
    expect(active).toEqual({ file: "/f", state: "active", since: null, reason: null, error: null });
  });

  it("verdicts", () => {
    const server = serverStatus("u", parsePrometheusText(serverText), ready);
    const agent = (v4: string, v6: string, d = 0) =>
      agentStatus("a", parsePrometheusText(agentText(v4, v6, d)));
    const at = new Date(0);
    expect(nodeStatus(server, agent("UP", "UP"), active, at).verdict).toBe("serving");
    expect(nodeStatus(server, agent("UP", "DOWN"), active, at).verdict).toBe("degraded");
    expect(nodeStatus(server, agent("FALLING", "UP"), active, at).verdict).toBe("degraded");
    expect(nodeStatus(server, agent("DOWN", "DOWN"), active, at).verdict).toBe("down");
    expect(nodeStatus(server, agent("DISABLED", "DISABLED", 1), active, at).verdict).toBe("drained");
    const notReady = serverStatus("u", parsePrometheusText(serverText), { status: 503, body: "starting" });
    expect(nodeStatus(notReady, agent("UP", "UP"), active, at).verdict).toBe("degraded");
    const unreachable = agentStatus("a", new Error("ECONNREFUSED"));
    expect(nodeStatus(server, unreachable, active, at).verdict).toBe("down");
    const broken = adminStatus("/f", new Error("bad json"));
    expect(broken.state).toBe("unreadable");
  });
});
