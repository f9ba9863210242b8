// FastPathSync without root: what `edgens serve` says and exports when the fast path is off or unavailable, the
// service-address rule, the cluster wire form of the answer table, and the --xdp flag.
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseServeFlags } from "../../src/config/flags.js";
import { loadConfig } from "../../src/config/load-config.js";
import { FastPathError } from "../../src/fastpath/errors.js";
import type { FastPath } from "../../src/fastpath/fast-path.js";
import type { NativeAddon } from "../../src/fastpath/native-addon.js";
import { compileNegativeTable } from "../../src/fastpath/negative.js";
import { compileSnapshot } from "../../src/responder/snapshot.js";
import {
  decodeWireEntries,
  encodeWireEntries,
  FastPathSync,
  serviceAddresses,
} from "../../src/server/fast-path-sync.js";
import { ZoneSet } from "../../src/server/zone-set.js";
import { ORIGIN, zoneText } from "./corpus.js";

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

const config = (args: string[]) => loadConfig({ overlay: parseServeFlags(["--example", ...args]).overlay });

function snapshot() {
  const zones = new ZoneSet().load([{ id: "fp", origin: ORIGIN, file: null, text: zoneText(1) }]);
  return compileSnapshot(
    zones.zones.map((z) => z.data),
    1,
  );
}

describe("FastPathSync", () => {
  it("says once why the fast path is unavailable and keeps serving socket-only", async () => {
    const { log, lines } = capture();
    const sync = new FastPathSync(log, {
      load: () => ({
        available: false,
        reason: "edgens_fastpath.node not found (not built)",
        fix: "build it",
      }),
    });
    expect(sync.start(config(["--xdp", "eth0"]), snapshot().exactAnswers.values())).toBe(false);
    expect(sync.on).toBe(false);
    const warn = lines.filter((l) => l.msg.includes("XDP"));
    expect(warn).toHaveLength(1);
    expect(warn[0]!.msg).toBe(
      "XDP fast path unavailable (socket-only mode): edgens_fastpath.node not found (not built). To enable it: build it",
    );
    const text = await sync.registry.metrics();
    expect(text).toMatch(/^edgens_xdp_attached 0$/m);
    expect(text).not.toMatch(/^edgens_xdp_packets_total\{/m);
    // A reload with the fast path off is a no-op.
    expect(sync.sync(config(["--xdp", "eth0"]), [])).toBe(false);
    sync.close();
  });

  it("stays socket-only with the reason and a hint when the kernel refuses (no privileges)", () => {
    const { log, lines } = capture();
    const sync = new FastPathSync(log, {
      load: () => ({ available: true, addon: {} as NativeAddon, path: "test" }),
      open: () => {
        throw new FastPathError("EDGENS_ERR_XDP_LOAD", "kernel rejected edgens.bpf.o", 1);
      },
    });
    expect(sync.start(config(["--xdp", "eth0", "--xdp", "eth1"]), [])).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual([
      "XDP fast path off (socket-only): eth0: kernel rejected edgens.bpf.o: EPERM (needs root, or CAP_BPF + " +
        "CAP_NET_ADMIN + CAP_PERFMON) [EDGENS_ERR_XDP_LOAD]; eth1: kernel rejected edgens.bpf.o: EPERM (needs " +
        "root, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON) [EDGENS_ERR_XDP_LOAD]",
    ]);
  });

  it("gives the program fastpath.rateLimit and the zone tables", () => {
    const { log } = capture();
    const calls: { configure: unknown[]; tables: unknown[] } = { configure: [], tables: [] };
    const fake = {
      configure: (c: unknown) => calls.configure.push(c),
      setServiceAddresses: () => {},
      replaceAnswers: (_a: unknown, t: unknown) => calls.tables.push(t),
      attach: (iface: string) => ({ iface, ifindex: 1, mode: "native" }),
      close: () => {},
      detach: () => {},
    } as unknown as FastPath;
    const sync = new FastPathSync(log, {
      load: () => ({ available: true, addon: {} as NativeAddon, path: "test" }),
      open: () => fake,
    });
    const c = loadConfig({
      overlay: {
        ...parseServeFlags(["--example", "--xdp", "eth0"]).overlay,
        fastpath: { interfaces: ["eth0"], mode: "native", rateLimit: { responsesPerSecond: 50, slip: 2 } },
      },
    });
    const table = compileNegativeTable(snapshot());
    expect(sync.start(c, [], 0, table)).toBe(true);
    expect(calls.configure[0]).toMatchObject({ rateLimit: { responsesPerSecond: 50, slip: 2 } });
    expect(calls.tables).toEqual([table]);
    expect(() =>
      loadConfig({
        overlay: { fastpath: { interfaces: [], mode: "off", rateLimit: { responsesPerSecond: 0, slip: 2 } } },
      }),
    ).toThrow(/rateLimit\.responsesPerSecond/);
  });

  it("says so when fastpath.mode is off", () => {
    const { log, lines } = capture();
    const sync = new FastPathSync(log, {
      load: () => {
        throw new Error("must not load the addon when off");
      },
    });
    expect(sync.start(config([]), [])).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual(["XDP fast path off (fastpath.mode is off): socket-only"]);
  });

  it("answers on the listen addresses that share the first one's port", () => {
    const c = config([
      "--listen",
      "192.0.2.1:53",
      "--listen",
      "[2001:db8::1]:53",
      "--listen",
      "192.0.2.1:5353",
    ]);
    expect(serviceAddresses(c)).toEqual({
      port: 53,
      addresses: ["192.0.2.1", "2001:db8::1"],
      skipped: ["192.0.2.1:5353"],
    });
  });

  it("moves the answer table over the cluster channel unchanged, within the limit", () => {
    const entries = [...snapshot().exactAnswers.values()];
    const all = encodeWireEntries(entries, 1_000_000);
    // big.fp.test TXT is over 512 octets but within BODY_MAX: every entry of this zone fits the kernel.
    expect(all.skipped).toBe(0);
    const back = decodeWireEntries(JSON.parse(JSON.stringify(all.entries)));
    expect(back).toEqual(
      entries.map(({ wire, questionEnd, dnssecOk, rcode }) => ({ wire, questionEnd, dnssecOk, rcode })),
    );
    const some = encodeWireEntries(entries, 10);
    expect(some.entries).toHaveLength(10);
    expect(some.skipped).toBe(entries.length - 10);
  });
});

describe("--xdp", () => {
  it("sets fastpath.interfaces and turns the fast path on", () => {
    const c = config(["--xdp", "eth0", "--xdp", "veth1:generic"]);
    expect(c.fastpath).toEqual({ interfaces: ["eth0", "veth1:generic"], mode: "native" });
  });

  it("rejects a bad interface or mode", () => {
    expect(() => parseServeFlags(["--xdp", "eth0:turbo"])).toThrow(/--xdp: expected "IFACE" or/);
    expect(() => config(["--xdp", "a/b"])).toThrow();
  });
});
