// `edgens stats`: Prometheus text → the documented --json shape and the text summary.
import { describe, expect, it } from "vitest";
import { formatStats, metricsUrl, parsePrometheusText, statsFromSamples } from "../../src/cli/stats.js";

const TEXT = `# HELP edgens_queries_total Queries answered
# TYPE edgens_queries_total counter
edgens_queries_total{transport="udp",qtype="A",rcode="NOERROR"} 10
edgens_queries_total{transport="udp",qtype="AAAA",rcode="NXDOMAIN"} 2
edgens_queries_total{transport="tcp",qtype="A",rcode="NOERROR"} 3
edgens_truncated_total 1
edgens_dropped_total{reason="tcp_idle"} 4
edgens_xdp_packets_total{result="seen"} 120
edgens_xdp_packets_total{result="answered"} 100
edgens_xdp_packets_total{result="answered_nxdomain"} 30
edgens_xdp_packets_total{result="answered_nodata"} 7
edgens_xdp_packets_total{result="dropped"} 0
edgens_xdp_packets_total{result="pass_miss"} 15
edgens_xdp_packets_total{result="pass_not_service"} 5
edgens_xdp_attached 1
edgens_xdp_answer_entries 42
edgens_xdp_answer_capacity 65536
edgens_xdp_answers_skipped 1
edgens_xdp_interface{iface="eth0",mode="native"} 1
`;

describe("edgens stats", () => {
  it("sums the socket counters and reads the XDP ones", () => {
    const s = statsFromSamples("http://x/metrics", parsePrometheusText(TEXT));
    expect(s.queries).toEqual({ socket: 15, xdp: 100, total: 115 });
    expect(s.socket).toEqual({ udp: 12, tcp: 3, truncated: 1, dropped: 4 });
    expect(s.xdp).toMatchObject({
      attached: true,
      interfaces: [{ iface: "eth0", mode: "native" }],
      seen: 120,
      answered: 100,
      answeredNxdomain: 30,
      answeredNodata: 7,
      dropped: 0,
      answers: { entries: 42, capacity: 65536, skipped: 1 },
    });
    // Every reason is present, zero or not: a stable shape for scripts.
    expect(Object.keys(s.xdp!.passed)).toContain("too_big");
    expect(s.xdp!.passed).toMatchObject({ miss: 15, not_service: 5, too_big: 0 });
    expect(formatStats(s)).toBe(
      [
        "queries by path: socket 15 (udp 12, tcp 3), xdp 100, total 115",
        "socket: truncated 1, dropped 4",
        "fast path: attached (eth0 native), 42/65536 answers loaded, 1 left to the sockets",
        "xdp packets: seen 120, answered 100, dropped 0",
        "xdp passed: not_service 5, miss 15",
        "",
      ].join("\n"),
    );
  });

  it("reports xdp: null for a node without fast-path metrics", () => {
    const s = statsFromSamples("u", parsePrometheusText('edgens_queries_total{transport="udp"} 2\n'));
    expect(s.xdp).toBeNull();
    expect(s.queries).toEqual({ socket: 2, xdp: 0, total: 2 });
  });

  it("takes a URL or ADDR:PORT", () => {
    expect(metricsUrl("127.0.0.1:9153")).toBe("http://127.0.0.1:9153/metrics");
    expect(metricsUrl("[::1]:9153")).toBe("http://[::1]:9153/metrics");
    expect(metricsUrl("http://h:1/m")).toBe("http://h:1/m");
    expect(metricsUrl("nope")).toBeNull();
  });
});
