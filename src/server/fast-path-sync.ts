// The XDP fast path inside `edgens serve`: owned by ONE process (the cluster primary, or the single process),
// which opens the program, points it at the service addresses, fills its answer map from the precompiled
// answers of the snapshot the sockets serve (the same compileSnapshot output, never a second compiler), attaches
// it to each configured interface and, on every reload, swaps the answers in AFTER the serving processes have
// swapped their snapshots. Failures never stop the server: the socket path is complete on its own, so any
// problem here leaves (or switches) the node to socket-only and says why once.
import { Gauge, Registry } from "prom-client";
import { parseListenAddress } from "../config/listen-address.js";
import type { EdgensConfig } from "../config/schema.js";
import { parseXdpInterface, type XdpInterface } from "../config/xdp-interface.js";
import {
  type FastAnswer,
  fastAnswersFromPrecompiled,
  type PrecompiledWire,
} from "../fastpath/answer-codec.js";
import { emptyCounters, type FastPathCounters } from "../fastpath/counters.js";
import { type Attachment, FastPath, type XdpMode } from "../fastpath/fast-path.js";
import { BODY_MAX } from "../fastpath/layout.js";
import { type FastPathSample, registerFastPathMetrics } from "../fastpath/metrics.js";
import { type AddonLoad, loadNativeAddon, unavailableMessage } from "../fastpath/native-addon.js";
import type { FastName, FastNodata, FastZone, NegativeTable } from "../fastpath/negative.js";
import type { Logger } from "../log.js";

/** Entries per answer generation; EDGENS_MAX_ANSWERS of native/bpf/edgens_consts.h, set explicitly at open. */
export const ANSWER_CAPACITY = 65536;

export interface FastPathSyncDeps {
  /** The addon loader (tests inject an unavailable one). */
  load?: () => AddonLoad;
  /** Open one program instance (tests inject a smaller map). */
  open?: () => FastPath;
}

interface Attached {
  fp: FastPath;
  attachment: Attachment;
}

/** Where the fast path answers: the listen addresses on the port of the first one (the program knows one port). */
export function serviceAddresses(config: EdgensConfig): {
  port: number;
  addresses: string[];
  skipped: string[];
} {
  const all = config.listen.map((l) => ({ text: l, addr: parseListenAddress(l)! }));
  const port = all[0]!.addr.port;
  return {
    port,
    addresses: all.filter((a) => a.addr.port === port).map((a) => a.addr.host),
    skipped: all.filter((a) => a.addr.port !== port).map((a) => a.text),
  };
}

/** Whether a precompiled answer can go into the kernel (extended rcodes and big bodies stay with the sockets). */
export function kernelCandidate(e: PrecompiledWire): boolean {
  return e.rcode <= 15 && e.wire.length - e.questionEnd <= BODY_MAX;
}

/** Precompiled answers as one JSON-safe array per entry, for the cluster channel (worker → primary). */
export type WireEntry = [wireBase64: string, questionEnd: number, dnssecOk: 0 | 1, rcode: number];

/** The kernel candidates among `entries`, at most `limit` of them; `skipped` counts the rest. */
export function encodeWireEntries(
  entries: Iterable<PrecompiledWire>,
  limit: number,
): { entries: WireEntry[]; skipped: number } {
  const out: WireEntry[] = [];
  let skipped = 0;
  for (const e of entries) {
    if (out.length >= limit || !kernelCandidate(e)) skipped++;
    else out.push([e.wire.toString("base64"), e.questionEnd, e.dnssecOk ? 1 : 0, e.rcode]);
  }
  return { entries: out, skipped };
}

/** The NXDOMAIN tables in a form the cluster channel carries (JSON: no Buffers, no bigints). */
export interface WireNegative {
  zones: (Omit<FastZone, "apex" | "body" | "forbid"> & { apex: string; body: string; forbid: string[] })[];
  names: (Omit<FastName, "hash"> & { hash: string })[];
  /** NODATA candidates (absent from older workers: none). */
  nodata?: (Omit<FastNodata, "qname"> & { qname: string })[];
}

export function encodeNegativeTable(t: NegativeTable): WireNegative {
  return {
    zones: t.zones.map((z) => ({
      ...z,
      apex: z.apex.toString("base64"),
      body: z.body.toString("base64"),
      forbid: z.forbid.map((f) => f.toString("base64")),
    })),
    names: t.names.map((n) => ({ ...n, hash: n.hash.toString() })),
    nodata: (t.nodata ?? []).map((n) => ({ ...n, qname: n.qname.toString("base64") })),
  };
}

export function decodeNegativeTable(w: WireNegative): NegativeTable {
  return {
    zones: w.zones.map((z) => ({
      ...z,
      apex: Buffer.from(z.apex, "base64"),
      body: Buffer.from(z.body, "base64"),
      forbid: z.forbid.map((f) => Buffer.from(f, "base64")),
    })),
    names: w.names.map((n) => ({ ...n, hash: BigInt(n.hash) })),
    nodata: (w.nodata ?? []).map((n) => ({ ...n, qname: Buffer.from(n.qname, "base64") })),
  };
}

export function decodeWireEntries(entries: readonly WireEntry[]): PrecompiledWire[] {
  return entries.map(([w, questionEnd, dnssecOk, rcode]) => ({
    wire: Buffer.from(w, "base64"),
    questionEnd,
    dnssecOk: dnssecOk === 1,
    rcode,
  }));
}

export class FastPathSync {
  /** Families read at scrape time; empty (and `edgens_xdp_attached` 0) while the fast path is off. */
  readonly registry = new Registry();
  private attached: Attached[] = [];
  private entries = 0;
  private skipped = 0;
  private started = false;
  private fastpathConfig = "";

  constructor(
    private readonly log: Logger,
    private readonly deps: FastPathSyncDeps = {},
  ) {
    registerFastPathMetrics(this.registry, () => this.sample());
    const registers = [this.registry];
    const self = this;
    new Gauge({
      name: "edgens_xdp_answer_entries",
      help: "Answers in the live XDP answer generation",
      registers,
      collect() {
        this.set(self.on ? self.entries : 0);
      },
    });
    new Gauge({
      name: "edgens_xdp_answer_capacity",
      help: "Capacity of one XDP answer generation",
      registers,
      collect() {
        this.set(self.on ? ANSWER_CAPACITY : 0);
      },
    });
    new Gauge({
      name: "edgens_xdp_answers_skipped",
      help: "Precompiled answers left to the socket path (too big, extended rcode, over capacity)",
      registers,
      collect() {
        this.set(self.on ? self.skipped : 0);
      },
    });
    new Gauge({
      name: "edgens_xdp_interface",
      help: "1 per interface the XDP program is attached to, with the mode that took",
      labelNames: ["iface", "mode"],
      registers,
      collect() {
        this.reset();
        for (const a of self.attached) this.labels(a.attachment.iface, a.attachment.mode).set(1);
      },
    });
  }

  /** True while the program is attached to at least one interface. */
  get on(): boolean {
    return this.attached.length > 0;
  }

  get attachments(): Attachment[] {
    return this.attached.map((a) => a.attachment);
  }

  /**
   * Bring the fast path up once the serving processes hold `answers`' snapshot. Never throws: returns whether
   * it is on, after logging one line that says so (or why not). `skippedBefore`: answers a worker already
   * filtered out (they count as skipped). `negative`: the zone tables for NXDOMAIN answers
   * (`compileNegativeTable(snapshot)`, same snapshot as `answers`); without them no NXDOMAIN is answered.
   */
  start(
    config: EdgensConfig,
    answers: Iterable<PrecompiledWire>,
    skippedBefore = 0,
    negative?: NegativeTable,
  ): boolean {
    if (this.started) throw new Error("FastPathSync.start called twice");
    this.started = true;
    this.fastpathConfig = JSON.stringify(config.fastpath);
    if (config.fastpath.mode === "off") {
      this.log.info("XDP fast path off (fastpath.mode is off): socket-only");
      return false;
    }
    const load = (this.deps.load ?? loadNativeAddon)();
    if (!load.available) {
      this.log.warn(unavailableMessage(load)!);
      return false;
    }
    const { port, addresses, skipped } = serviceAddresses(config);
    if (skipped.length > 0) {
      this.log.warn(
        { skipped },
        `XDP fast path answers port ${port} only; ${skipped.join(", ")} stay socket-only`,
      );
    }
    const { kept, skipped: unfit } = prepare(answers, skippedBefore);
    const failures: string[] = [];
    for (const text of config.fastpath.interfaces) {
      const iface = parseXdpInterface(text)!;
      let fp: FastPath | null = null;
      try {
        fp = this.deps.open
          ? this.deps.open()
          : FastPath.open(undefined, { addon: load.addon, maxAnswers: ANSWER_CAPACITY });
        fp.configure({
          port,
          ednsUdpSize: config.edns.maxUdpPayload,
          enabled: true,
          ignoreEdnsOptions: true,
          rateLimit: config.fastpath.rateLimit ?? null,
        });
        fp.setServiceAddresses(addresses);
        fp.replaceAnswers(kept, negative);
        const attachment = fp.attach(iface.name, attachMode(iface, config.fastpath.mode));
        this.attached.push({ fp, attachment });
        if (iface.mode === undefined && config.fastpath.mode === "native" && attachment.mode === "generic") {
          this.log.warn(`XDP on ${iface.name}: driver has no native XDP, fell back to generic mode (slower)`);
        }
      } catch (e) {
        fp?.close();
        const err = e as Error & { code?: string; errno?: number };
        const hint = err.errno === 1 ? " (needs root, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)" : "";
        failures.push(`${iface.name}: ${err.message}${hint}${err.code ? ` [${err.code}]` : ""}`);
      }
    }
    this.entries = kept.length;
    this.skipped = unfit;
    if (!this.on) {
      this.log.warn({ failures }, `XDP fast path off (socket-only): ${failures.join("; ")}`);
      return false;
    }
    const where = this.attached.map((a) => `${a.attachment.iface} (${a.attachment.mode})`).join(", ");
    const fill = `${kept.length}/${ANSWER_CAPACITY} answers`;
    this.log.info(
      {
        interfaces: this.attachments,
        addresses,
        port,
        answers: kept.length,
        skipped: this.skipped,
        failures,
      },
      `XDP fast path on: ${where}, ${addresses.join(", ")} port ${port}, ${fill}` +
        (failures.length > 0 ? `; not attached: ${failures.join("; ")}` : ""),
    );
    return true;
  }

  /**
   * Swap in the answers of a new snapshot (call it after every serving process has swapped to it). One map
   * write flips the generation, so each packet sees the old set or the new one. On failure the program is
   * switched to pass everything to the sockets until a later sync succeeds: stale answers are worse than slow.
   */
  sync(
    config: EdgensConfig,
    answers: Iterable<PrecompiledWire>,
    skippedBefore = 0,
    negative?: NegativeTable,
  ): boolean {
    if (JSON.stringify(config.fastpath) !== this.fastpathConfig) {
      this.log.warn("fastpath settings change only on restart");
    }
    if (!this.on) return false;
    const { kept, skipped: unfit } = prepare(answers, skippedBefore);
    const { port, addresses } = serviceAddresses(config);
    try {
      for (const { fp } of this.attached) {
        fp.replaceAnswers(kept, negative);
        fp.configure({ port, ednsUdpSize: config.edns.maxUdpPayload, enabled: true });
        fp.setServiceAddresses(addresses);
      }
    } catch (e) {
      this.disable(e);
      return false;
    }
    this.entries = kept.length;
    this.skipped = unfit;
    this.log.info({ answers: kept.length, skipped: this.skipped }, "XDP fast path answers swapped");
    return true;
  }

  /** Pass every packet to the sockets (the answers may no longer match what the sockets serve). */
  disable(reason: unknown): void {
    const message = reason instanceof Error ? reason.message : String(reason);
    for (const { fp } of this.attached) {
      try {
        fp.configure({ enabled: false });
      } catch {
        // closed or broken: the close below (or the process exit) detaches it anyway
      }
    }
    this.log.error(`XDP fast path passing everything to the sockets: ${message}`);
  }

  /** Detach and free every program instance. Idempotent. */
  close(): void {
    for (const { fp } of this.attached) {
      try {
        fp.close();
      } catch (e) {
        this.log.warn({ err: e }, "closing the XDP fast path failed");
      }
    }
    if (this.attached.length > 0) this.log.info("XDP fast path detached");
    this.attached = [];
  }

  /** Counters summed over the attached instances; attached = every instance is still on its interface. */
  sample(): FastPathSample | null {
    if (!this.on) return null;
    const counters: FastPathCounters = emptyCounters();
    let attached = true;
    for (const { fp } of this.attached) {
      const c = fp.counters();
      for (const k of Object.keys(counters) as (keyof FastPathCounters)[]) counters[k] += c[k];
      attached &&= fp.isAttached();
    }
    return { counters, attached };
  }
}

/** The answers that go into the map, and how many precompiled answers stay with the sockets. */
function prepare(
  answers: Iterable<PrecompiledWire>,
  skippedBefore: number,
): { kept: FastAnswer[]; skipped: number } {
  const { answers: fast, skipped } = fastAnswersFromPrecompiled(answers);
  const kept = fast.slice(0, ANSWER_CAPACITY);
  return { kept, skipped: skippedBefore + skipped + (fast.length - kept.length) };
}

function attachMode(iface: XdpInterface, mode: "native" | "generic" | "off"): XdpMode | "auto" {
  if (iface.mode) return iface.mode;
  return mode === "generic" ? "generic" : "auto";
}
