// The XDP fast path as a domain object: load the program, configure it, attach it to an interface, keep its
// service addresses and answers, read its counters. It owns the libbpf object, its maps and the bpf_link;
// close() (or the process exiting) detaches the program, so a dead server never leaves stale answers behind.
import { isIPv4, isIPv6 } from "node:net";
import { parseIpv4, parseIpv6 } from "../wire/rdata/text-fields.js";
import {
  checkAnswer,
  decodeAnswerKey,
  decodeAnswerValue,
  encodeAnswerKey,
  encodeAnswerValue,
  type FastAnswer,
  onesComplementSum,
  qnameHash,
} from "./answer-codec.js";
import { COUNTER_NAMES, type FastPathCounters, sumPerCpu } from "./counters.js";
import { check, FastPathError } from "./errors.js";
import {
  ADDR_KEY,
  ANSWER,
  ANSWER_KEY,
  CFG_F_ENABLED,
  CFG_F_IGNORE_OPTIONS,
  CFG_F_NXDOMAIN,
  CONFIG,
  LABEL_BUF,
  MAPS,
  MAX_ZONES,
  NAME,
  NAME_KEY,
  NODATA,
  NODATA_F_DO0,
  NODATA_F_DO1,
  NODATA_KEY,
  PROGRAM,
  RRL,
  RRL_KEY,
  SERVICE_SLOT,
  SERVICE_SLOTS,
  SLOT_F_MORE,
  serviceSlot,
  writeU16,
  writeU32,
  writeU64,
  ZONE,
  ZONE_F_NX,
} from "./layout.js";
import { DEFAULT_OBJECT_PATH, loadNativeAddon, type NativeAddon, type RawBpfObject } from "./native-addon.js";
import type { FastName, FastNodata, FastZone, NegativeTable } from "./negative.js";

export type XdpMode = "native" | "generic";

/** XDP_FLAGS_* from linux/if_link.h. */
const XDP_FLAGS_SKB_MODE = 1 << 1;
const XDP_FLAGS_DRV_MODE = 1 << 2;
const BPF_ANY = 0;

/** XDP actions (enum xdp_action). */
export const XDP_ACTIONS = ["aborted", "drop", "pass", "tx", "redirect"] as const;
export type XdpAction = (typeof XDP_ACTIONS)[number];

export interface FastPathConfig {
  /** UDP port answered (53). */
  port: number;
  /** EDNS UDP payload size we advertise and the largest response we send to EDNS clients (>= 512). */
  ednsUdpSize: number;
  /** When false every packet is passed to the sockets. */
  enabled: boolean;
  /**
   * Answer queries carrying EDNS options other than NSID and ECS (cookies, padding...) as if the options were
   * absent — right while the socket path ignores them too (it does: no cookie support). NSID and ECS queries
   * always go to the sockets.
   */
  ignoreEdnsOptions: boolean;
  /**
   * Answer NXDOMAIN and NODATA from the zone tables given to `replaceAnswers` (names proven not to exist, or
   * to lack the type, in zones without DNAME, never a wildcard expansion; see negative.ts). Default on;
   * without tables nothing changes.
   */
  nxdomain: boolean;
  /**
   * Response rate limiting of the answers the program gives (null: off): per source prefix (/24, /56) at most
   * `responsesPerSecond` (a bucket of one second's worth); over it a response is dropped, except every
   * `slip`-th, which is sent truncated (TC=1, no records) so real clients retry over TCP. slip 0 drops all.
   */
  rateLimit: RateLimit | null;
}

export interface RateLimit {
  responsesPerSecond: number;
  slip: number;
}

export interface OpenOptions {
  /** The addon; default: loadNativeAddon() from the build directory. */
  addon?: NativeAddon;
  /** Capacity of each answer generation (default: as compiled, 65536). */
  maxAnswers?: number;
  /** Initial config, default port 53, EDNS 1232, enabled, EDNS options ignored. */
  config?: Partial<FastPathConfig>;
}

export interface TestRunResult {
  retval: number;
  action: XdpAction | "unknown";
  /** The frame after the program ran (rewritten on XDP_TX). */
  output: Buffer;
  /** Average run time per repetition as measured by the kernel. */
  durationNs: number;
}

export interface Attachment {
  iface: string;
  ifindex: number;
  mode: XdpMode;
  /** Network namespace of the interface (name under /run/netns or a path), when not our own. */
  netns?: string;
}

/** Run `fn` with the calling thread in network namespace `netns` (a name under /run/netns, or a path). */
export function inNetns<T>(addon: NativeAddon, netns: string | undefined, fn: () => T): T {
  if (netns === undefined) return fn();
  const path = netns.includes("/") ? netns : `/run/netns/${netns}`;
  const saved = check(addon.enterNetns(path), "EDGENS_ERR_XDP_ATTACH", `cannot enter netns ${path}`);
  let result: { value: T } | { error: unknown };
  try {
    result = { value: fn() };
  } catch (error) {
    result = { error };
  }
  const ret = addon.leaveNetns(saved);
  // Staying in the wrong namespace would misdirect every later interface lookup: fail loudly.
  if (ret < 0) throw new FastPathError("EDGENS_ERR_XDP_ATTACH", "cannot return to the original netns", -ret);
  if ("error" in result) throw result.error;
  return result.value;
}

const DEFAULT_CONFIG: FastPathConfig = {
  port: 53,
  ednsUdpSize: 1232,
  enabled: true,
  ignoreEdnsOptions: true,
  nxdomain: true,
  rateLimit: null,
};
const BATCH = 256;

function nameKeyBuf(n: FastName, gen: number): Buffer {
  const key = Buffer.alloc(NAME_KEY.size);
  writeU64(key, n.hash, NAME_KEY.hash);
  writeU16(key, n.zone, NAME_KEY.zone);
  key[NAME_KEY.len] = n.len;
  key[NAME_KEY.gen] = gen;
  return key;
}

function nameValueBuf(n: FastName): Buffer {
  const v = Buffer.alloc(NAME.size);
  writeU16(v, n.apexOf, NAME.zone);
  v[NAME.flags] = n.flags;
  return v;
}

/** struct edgens_zone for `z`. */
export function encodeZoneValue(z: FastZone): Buffer {
  const v = Buffer.alloc(ZONE.size);
  if (z.apex.length > 255 || z.body.length > 1024 || z.ptrOff.length > 4 || z.forbid.length > 2) {
    throw new FastPathError("EDGENS_ERR_XDP_ARGUMENT", "zone entry does not fit struct edgens_zone");
  }
  v[ZONE.flags] = z.flags;
  v[ZONE.apexLen] = z.apex.length;
  v[ZONE.nptr] = z.ptrOff.length;
  writeU16(v, z.body.length, ZONE.bodyLen);
  writeU16(v, onesComplementSum(z.body), ZONE.bodySum);
  for (let i = 0; i < z.ptrOff.length; i++) {
    writeU16(v, z.ptrOff[i]!, ZONE.ptrOff + 2 * i);
    writeU16(v, z.ptrBase[i]! & 0xffff, ZONE.ptrBase + 2 * i);
  }
  for (let i = 0; i < z.forbid.length; i++) {
    v[ZONE.forbidLen + i] = z.forbid[i]!.length;
    z.forbid[i]!.copy(v, ZONE.forbid + LABEL_BUF * i);
  }
  z.apex.copy(v, ZONE.apex);
  z.body.copy(v, ZONE.body);
  return v;
}

function addrKey(address: string): Buffer {
  const key = Buffer.alloc(ADDR_KEY.size);
  if (isIPv4(address)) {
    key[ADDR_KEY.family] = 4;
    parseIpv4(address).copy(key, ADDR_KEY.addr);
  } else if (isIPv6(address)) {
    key[ADDR_KEY.family] = 6;
    parseIpv6(address).copy(key, ADDR_KEY.addr);
  } else {
    throw new FastPathError("EDGENS_ERR_XDP_ARGUMENT", `not an IP address: '${address}'`);
  }
  return key;
}

export class FastPath {
  readonly objectPath: string;
  private obj: RawBpfObject | null;
  private readonly addon: NativeAddon;
  private readonly cpus: number;
  private cfg: FastPathConfig;
  private generation = 0;
  private link: { fd: number; attachment: Attachment } | null = null;

  private constructor(addon: NativeAddon, obj: RawBpfObject, objectPath: string, cfg: FastPathConfig) {
    this.addon = addon;
    this.obj = obj;
    this.objectPath = objectPath;
    this.cpus = addon.numPossibleCpus();
    this.cfg = cfg;
  }

  /** Open and load (verify) the program without attaching it: the mode tests use. */
  static open(objectPath: string = DEFAULT_OBJECT_PATH, opts: OpenOptions = {}): FastPath {
    let addon = opts.addon;
    if (!addon) {
      const load = loadNativeAddon();
      if (!load.available) {
        throw new FastPathError("EDGENS_ERR_XDP_UNAVAILABLE", `${load.reason}; to enable: ${load.fix}`);
      }
      addon = load.addon;
    }
    const cfg = { ...DEFAULT_CONFIG, ...opts.config };
    checkConfig(cfg);
    const obj = new addon.BpfObject();
    addon.takeLog();
    try {
      check(
        obj.open(objectPath),
        "EDGENS_ERR_XDP_OPEN",
        `cannot open BPF object ${objectPath}`,
        addon.takeLog(),
      );
      if (opts.maxAnswers !== undefined) {
        if (!Number.isInteger(opts.maxAnswers) || opts.maxAnswers < 1) {
          throw new FastPathError("EDGENS_ERR_XDP_ARGUMENT", "maxAnswers must be a positive integer");
        }
        for (const m of MAPS.answers) check(obj.setMaxEntries(m, opts.maxAnswers), "EDGENS_ERR_XDP_LOAD", m);
      }
      check(obj.load(), "EDGENS_ERR_XDP_LOAD", `kernel rejected ${objectPath}`, addon.takeLog());
      const fp = new FastPath(addon, obj, objectPath, cfg);
      fp.checkMapSizes();
      fp.writeConfig();
      return fp;
    } catch (err) {
      obj.close();
      throw err;
    }
  }

  get config(): Readonly<FastPathConfig> {
    return this.cfg;
  }

  get attachment(): Attachment | null {
    return this.link?.attachment ?? null;
  }

  configure(update: Partial<FastPathConfig>): void {
    const next = { ...this.cfg, ...update };
    checkConfig(next);
    this.cfg = next;
    this.writeConfig();
  }

  /**
   * Attach to `iface`. "native" needs driver support; "generic" works everywhere (slower); "auto" tries native
   * first and falls back to generic. Returns the mode that took. `netns` names the interface's namespace.
   */
  attach(iface: string, mode: XdpMode | "auto" = "auto", netns?: string): Attachment {
    const obj = this.live();
    if (this.link)
      throw new FastPathError("EDGENS_ERR_XDP_ATTACH", `already attached to ${this.link.attachment.iface}`);
    return inNetns(this.addon, netns, () => this.attachHere(obj, iface, mode, netns));
  }

  private attachHere(obj: RawBpfObject, iface: string, mode: XdpMode | "auto", netns?: string): Attachment {
    const ifindex = check(
      this.addon.ifNameToIndex(iface),
      "EDGENS_ERR_XDP_ATTACH",
      `no interface '${iface}'`,
    );
    const tries: [XdpMode, number][] = [];
    if (mode !== "generic") tries.push(["native", XDP_FLAGS_DRV_MODE]);
    if (mode !== "native") tries.push(["generic", XDP_FLAGS_SKB_MODE]);
    let last = 0;
    for (const [m, flags] of tries) {
      this.addon.takeLog();
      const fd = obj.attachXdp(PROGRAM, ifindex, flags);
      if (fd >= 0) {
        const attachment: Attachment =
          netns === undefined ? { iface, ifindex, mode: m } : { iface, ifindex, mode: m, netns };
        this.link = { fd, attachment };
        return attachment;
      }
      last = fd;
    }
    throw new FastPathError(
      "EDGENS_ERR_XDP_ATTACH",
      `cannot attach to ${iface} (${mode})`,
      -last,
      this.addon.takeLog(),
    );
  }

  /** Detach from the interface (no-op when not attached). Packets go to the sockets again at once. */
  detach(): void {
    if (!this.link || !this.obj) return;
    const fd = this.link.fd;
    this.link = null;
    check(this.obj.detachXdp(fd), "EDGENS_ERR_XDP_DETACH", "cannot detach");
  }

  /** Whether the kernel runs our program on the attached interface (the health agent's "fast path attached"). */
  isAttached(): boolean {
    const obj = this.live();
    if (!this.link) return false;
    const { ifindex, netns } = this.link.attachment;
    const ours = check(obj.progId(PROGRAM), "EDGENS_ERR_XDP_ATTACH", "program id");
    const q = inNetns(this.addon, netns, () => this.addon.xdpQuery(ifindex));
    if (typeof q === "number") return false;
    return q[0] === ours;
  }

  /**
   * Replace the set of destination addresses answered: the hash holds them all, the slot array (looked up
   * without a call) the first address of each slot. New addresses go into the hash first and stale ones
   * leave it last, so a packet for an address kept in the set is never passed while this runs.
   */
  setServiceAddresses(addresses: readonly string[]): void {
    const obj = this.live();
    const wanted = new Map(addresses.map((a) => [addrKey(a).toString("hex"), addrKey(a)]));
    const stale: Buffer[] = [];
    const present = new Set<string>();
    for (const key of this.keys(MAPS.serviceAddrs, ADDR_KEY.size)) {
      if (wanted.has(key.toString("hex"))) present.add(key.toString("hex"));
      else stale.push(key);
    }
    for (const [hex, key] of wanted) {
      if (present.has(hex)) continue;
      check(
        obj.mapUpdate(MAPS.serviceAddrs, key, Buffer.from([1]), BPF_ANY),
        "EDGENS_ERR_XDP_MAP",
        "service_addrs",
      );
    }
    const slots = Array.from({ length: SERVICE_SLOTS }, () => Buffer.alloc(SERVICE_SLOT.size));
    for (const key of wanted.values()) {
      const slot = slots[serviceSlot(key.subarray(ADDR_KEY.addr, ADDR_KEY.addr + 16))]!;
      if (slot[ADDR_KEY.family] === 0) key.copy(slot, SERVICE_SLOT.addr);
      else slot[SERVICE_SLOT.flags]! |= SLOT_F_MORE;
    }
    const index = Buffer.alloc(4);
    slots.forEach((value, i) => {
      index.writeUInt32LE(i);
      check(obj.mapUpdate(MAPS.serviceSlots, index, value, BPF_ANY), "EDGENS_ERR_XDP_MAP", "service_slots");
    });
    for (const key of stale) {
      check(obj.mapDelete(MAPS.serviceAddrs, key), "EDGENS_ERR_XDP_MAP", "service_addrs delete");
    }
  }

  /** Add or replace one answer in the live generation (atomic per entry). */
  addAnswer(answer: FastAnswer): void {
    const key = encodeAnswerKey(answer.qname, answer.qtype, answer.dnssecOk);
    const value = encodeAnswerValue(answer);
    check(this.live().mapUpdate(this.liveMap(), key, value, BPF_ANY), "EDGENS_ERR_XDP_MAP", "add answer");
  }

  /**
   * Remove one answer from the live generation; false when it was not there. The name's NODATA entry goes
   * first: it promises that every type of the name has an answer, so a miss would become a false NODATA
   * (conservative: the sockets answer the name's other misses until the next replaceAnswers).
   */
  removeAnswer(qname: Uint8Array, qtype: number, dnssecOk: boolean): boolean {
    const key = encodeAnswerKey(qname, qtype, dnssecOk);
    const ndk = Buffer.alloc(NODATA_KEY.size);
    key.copy(ndk, NODATA_KEY.hash, ANSWER_KEY.hash, ANSWER_KEY.hash + 8);
    ndk[NODATA_KEY.qnameLen] = key[ANSWER_KEY.qnameLen]!;
    ndk[NODATA_KEY.gen] = this.generation;
    const nret = this.live().mapDelete(MAPS.nodata, ndk);
    if (nret !== -2) check(nret, "EDGENS_ERR_XDP_MAP", "remove nodata");
    const ret = this.live().mapDelete(this.liveMap(), key);
    if (ret === -2) return false;
    check(ret, "EDGENS_ERR_XDP_MAP", "remove answer");
    return true;
  }

  /**
   * Swap in a complete new answer set: fill the idle generation, flip config.generation (one map write, so
   * every packet sees either the old set or the new one), then empty the old generation. On failure the live
   * set is untouched.
   */
  replaceAnswers(answers: Iterable<FastAnswer>, negative?: NegativeTable): number {
    const obj = this.live();
    const idle = MAPS.answers[1 - this.generation]!;
    this.clearMap(idle);
    try {
      this.fillNegative(1 - this.generation, negative);
    } catch (err) {
      this.clearNegative(1 - this.generation);
      throw err;
    }
    const keys: Buffer[] = [];
    const values: Buffer[] = [];
    const loaded = new Set<string>(); // answer keys, for the NODATA check
    let count = 0;
    const flush = () => {
      if (keys.length === 0) return;
      const n = keys.length;
      const ret = obj.mapUpdateBatch(idle, Buffer.concat(keys), Buffer.concat(values), n, BPF_ANY);
      keys.length = 0;
      values.length = 0;
      if (ret < 0) {
        this.clearMap(idle);
        check(ret, "EDGENS_ERR_XDP_MAP", `filling ${idle} failed after ${count} answers`);
      }
      count += n;
    };
    try {
      for (const a of answers) {
        checkAnswer(a);
        const key = encodeAnswerKey(a.qname, a.qtype, a.dnssecOk);
        keys.push(key);
        values.push(encodeAnswerValue(a));
        loaded.add(key.toString("hex"));
        if (keys.length === BATCH) flush();
      }
      flush();
      this.fillNodata(1 - this.generation, negative?.nodata ?? [], loaded);
    } catch (err) {
      this.clearMap(idle);
      this.clearNegative(1 - this.generation);
      throw err;
    }
    const old = this.liveMap();
    this.generation = 1 - this.generation;
    this.writeConfig();
    // Zone tables before answers: a packet still on the old generation that misses an answer being deleted
    // must find a zeroed zone (pass), never a NODATA name whose zone is still live.
    this.clearNegative(1 - this.generation);
    this.clearMap(old);
    return count;
  }

  /**
   * Zones and names of generation `gen` (the idle one), filled before the flip that makes them live. Order
   * matters for a packet still walking a generation while it changes: names first, zones after, the summary
   * (entry 0) last — and clearing goes the other way round (zones zeroed before any name is deleted), so a
   * walk that sees a name missing because it is being deleted then reads a zeroed zone and passes. (The old
   * generation's tables are cleared before its answer map, so a NODATA name never outlives its answers.)
   */
  private fillNegative(gen: number, table: NegativeTable | undefined): void {
    const obj = this.live();
    this.clearNegative(gen);
    if (!table) return;
    for (const z of table.zones) {
      if (!Number.isInteger(z.id) || z.id < 1 || z.id >= MAX_ZONES)
        throw new FastPathError("EDGENS_ERR_XDP_ARGUMENT", `zone id ${z.id} out of range`);
    }
    const keys: Buffer[] = [];
    const values: Buffer[] = [];
    const flush = () => {
      if (keys.length === 0) return;
      const n = keys.length;
      const ret = obj.mapUpdateBatch(MAPS.names, Buffer.concat(keys), Buffer.concat(values), n, BPF_ANY);
      keys.length = 0;
      values.length = 0;
      check(ret, "EDGENS_ERR_XDP_MAP", "filling names failed");
    };
    for (const n of table.names) {
      keys.push(nameKeyBuf(n, gen));
      values.push(nameValueBuf(n));
      if (keys.length === BATCH) flush();
    }
    flush();
    const key = Buffer.alloc(4);
    for (const z of table.zones) {
      key.writeUInt32LE(gen * MAX_ZONES + z.id);
      check(obj.mapUpdate(MAPS.zones, key, encodeZoneValue(z), BPF_ANY), "EDGENS_ERR_XDP_MAP", "zones");
    }
    // Entry 0 summarizes the generation (edgens_structs.h): any NXDOMAIN zone, shortest apex.
    const summary = Buffer.alloc(ZONE.size);
    summary[ZONE.flags] = table.zones.some((z) => z.flags & ZONE_F_NX) ? ZONE_F_NX : 0;
    summary[ZONE.apexLen] = Math.min(255, ...table.zones.map((z) => z.apex.length));
    key.writeUInt32LE(gen * MAX_ZONES);
    check(obj.mapUpdate(MAPS.zones, key, summary, BPF_ANY), "EDGENS_ERR_XDP_MAP", "zones");
  }

  /**
   * NODATA names of generation `gen`, after its answers: a name is listed for the DO bit(s) for which every
   * one of its types has an answer entry, so that a miss in the answer map means "no such type". Two
   * candidates on one key are both left out (the program could only tell them apart by failing the name check).
   */
  private fillNodata(gen: number, candidates: readonly FastNodata[], loaded: ReadonlySet<string>): void {
    const obj = this.live();
    const entries = new Map<string, { key: Buffer; value: Buffer } | null>();
    for (const c of candidates) {
      let flags = 0;
      for (const [flag, dnssecOk] of [
        [NODATA_F_DO0, false],
        [NODATA_F_DO1, true],
      ] as const) {
        if (c.types.every((t) => loaded.has(encodeAnswerKey(c.qname, t, dnssecOk).toString("hex"))))
          flags |= flag;
      }
      if (flags === 0) continue;
      const key = Buffer.alloc(NODATA_KEY.size);
      writeU64(key, qnameHash(c.qname), NODATA_KEY.hash);
      key[NODATA_KEY.qnameLen] = c.qname.length;
      key[NODATA_KEY.gen] = gen;
      const value = Buffer.alloc(NODATA.size);
      writeU16(value, c.zone, NODATA.zone);
      value[NODATA.flags] = flags;
      value[NODATA.qnameLen] = c.qname.length;
      c.qname.copy(value, NODATA.qname);
      const k = key.toString("hex");
      entries.set(k, entries.has(k) ? null : { key, value });
    }
    const keys: Buffer[] = [];
    const values: Buffer[] = [];
    const flush = () => {
      if (keys.length === 0) return;
      const ret = obj.mapUpdateBatch(
        MAPS.nodata,
        Buffer.concat(keys),
        Buffer.concat(values),
        keys.length,
        BPF_ANY,
      );
      keys.length = 0;
      values.length = 0;
      check(ret, "EDGENS_ERR_XDP_MAP", "filling nodata failed");
    };
    for (const e of entries.values()) {
      if (!e) continue;
      keys.push(e.key);
      values.push(e.value);
      if (keys.length === BATCH) flush();
    }
    flush();
  }

  /** Zero generation `gen`'s zones (summary first), then remove its names and NODATA names. */
  private clearNegative(gen: number): void {
    const obj = this.live();
    const zero = Buffer.alloc(ZONE.size);
    const key = Buffer.alloc(4);
    const value = Buffer.alloc(ZONE.size);
    for (let id = 0; id < MAX_ZONES; id++) {
      key.writeUInt32LE(gen * MAX_ZONES + id);
      if (obj.mapLookup(MAPS.zones, key, value) < 0 || value[ZONE.flags] === 0) continue;
      check(obj.mapUpdate(MAPS.zones, key, zero, BPF_ANY), "EDGENS_ERR_XDP_MAP", "zones clear");
    }
    for (const k of this.keys(MAPS.names, NAME_KEY.size)) {
      if (k[NAME_KEY.gen] !== gen) continue;
      const ret = obj.mapDelete(MAPS.names, k);
      if (ret !== -2) check(ret, "EDGENS_ERR_XDP_MAP", "names delete");
    }
    for (const k of this.keys(MAPS.nodata, NODATA_KEY.size)) {
      if (k[NODATA_KEY.gen] !== gen) continue;
      const ret = obj.mapDelete(MAPS.nodata, k);
      if (ret !== -2) check(ret, "EDGENS_ERR_XDP_MAP", "nodata delete");
    }
  }

  /** The answers in the live generation (for status and tests). */
  answers(): FastAnswer[] {
    const obj = this.live();
    const map = this.liveMap();
    const out: FastAnswer[] = [];
    const value = Buffer.alloc(ANSWER.size);
    for (const key of this.keys(map, ANSWER_KEY.size)) {
      if (obj.mapLookup(map, key, value) < 0) continue;
      out.push(decodeAnswerValue(value, decodeAnswerKey(key)));
    }
    return out;
  }

  /** Raw write into the live answer map, bypassing the codec: for tests that forge hash collisions. */
  putRawAnswer(key: Buffer, value: Buffer): void {
    check(this.live().mapUpdate(this.liveMap(), key, value, BPF_ANY), "EDGENS_ERR_XDP_MAP", "raw answer");
  }

  /** Counters summed over CPUs. */
  counters(): FastPathCounters {
    const obj = this.live();
    const out = {} as FastPathCounters;
    const key = Buffer.alloc(4);
    const buf = Buffer.alloc(8 * this.cpus);
    COUNTER_NAMES.forEach((name, i) => {
      key.writeUInt32LE(i);
      check(obj.mapLookup(MAPS.counters, key, buf), "EDGENS_ERR_XDP_MAP", "counters");
      out[name] = sumPerCpu(buf, this.cpus);
    });
    return out;
  }

  /** Run the program on one frame through BPF_PROG_TEST_RUN (no interface needed). */
  testRun(frame: Buffer, repeat = 1): TestRunResult {
    const out = Buffer.alloc(4096);
    const ret = this.live().testRun(PROGRAM, frame, out, repeat);
    if (typeof ret === "number") check(ret, "EDGENS_ERR_XDP_TEST_RUN", "BPF_PROG_TEST_RUN");
    const [retval, size, durationNs] = ret as [number, number, number];
    return {
      retval,
      action: XDP_ACTIONS[retval] ?? "unknown",
      output: Buffer.from(out.subarray(0, size)),
      durationNs,
    };
  }

  /** Detach and free the program and maps. Idempotent. */
  close(): void {
    if (!this.obj) return;
    this.link = null;
    this.obj.close();
    this.obj = null;
  }

  private live(): RawBpfObject {
    if (!this.obj) throw new FastPathError("EDGENS_ERR_XDP_CLOSED", "fast path is closed");
    return this.obj;
  }

  private liveMap(): string {
    return MAPS.answers[this.generation]!;
  }

  private writeConfig(): void {
    const v = Buffer.alloc(CONFIG.size);
    writeU16(v, this.cfg.port, CONFIG.port);
    writeU16(v, this.cfg.ednsUdpSize, CONFIG.ednsUdpSize);
    v[CONFIG.generation] = this.generation;
    v[CONFIG.flags] =
      (this.cfg.enabled ? CFG_F_ENABLED : 0) |
      (this.cfg.ignoreEdnsOptions ? CFG_F_IGNORE_OPTIONS : 0) |
      (this.cfg.nxdomain ? CFG_F_NXDOMAIN : 0);
    const rl = this.cfg.rateLimit;
    v[CONFIG.rrlSlip] = rl ? rl.slip : 0;
    writeU32(v, rl ? Math.max(1, Math.round(1e9 / rl.responsesPerSecond)) : 0, CONFIG.rrlInterval);
    check(this.live().mapUpdate(MAPS.config, Buffer.alloc(4), v, BPF_ANY), "EDGENS_ERR_XDP_MAP", "config");
  }

  /** The loaded object must have the layout this code was written for (stale object after an upgrade). */
  private checkMapSizes(): void {
    const expect: [string, number, number][] = [
      [MAPS.config, 4, CONFIG.size],
      [MAPS.serviceAddrs, ADDR_KEY.size, 1],
      [MAPS.serviceSlots, 4, SERVICE_SLOT.size],
      [MAPS.answers[0], ANSWER_KEY.size, ANSWER.size],
      [MAPS.answers[1], ANSWER_KEY.size, ANSWER.size],
      [MAPS.counters, 4, 8],
      [MAPS.names, NAME_KEY.size, NAME.size],
      [MAPS.zones, 4, ZONE.size],
      [MAPS.nodata, NODATA_KEY.size, NODATA.size],
      [MAPS.rrl, RRL_KEY.size, RRL.size],
    ];
    for (const [map, keySize, valueSize] of expect) {
      const info = this.live().mapInfo(map);
      if (typeof info === "number") check(info, "EDGENS_ERR_XDP_LOAD", `map ${map} missing`);
      const [, , k, v] = info as number[];
      if (k !== keySize || v !== valueSize) {
        throw new FastPathError(
          "EDGENS_ERR_XDP_LOAD",
          `map ${map} has key/value ${k}/${v} octets, expected ${keySize}/${valueSize}: rebuild the BPF object`,
        );
      }
    }
  }

  private keys(map: string, keySize: number): Buffer[] {
    const obj = this.live();
    const out: Buffer[] = [];
    let cur: Buffer | null = null;
    for (;;) {
      const next = Buffer.alloc(keySize);
      const ret = obj.mapNextKey(map, cur, next);
      if (ret === -2) break; // ENOENT: end of map
      check(ret, "EDGENS_ERR_XDP_MAP", `${map} iterate`);
      out.push(next);
      cur = next;
    }
    return out;
  }

  private clearMap(map: string): void {
    const obj = this.live();
    for (const key of this.keys(map, ANSWER_KEY.size)) {
      const ret = obj.mapDelete(map, key);
      if (ret !== -2) check(ret, "EDGENS_ERR_XDP_MAP", `${map} delete`);
    }
  }
}

function checkConfig(c: FastPathConfig): void {
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 0xffff) {
    throw new FastPathError("EDGENS_ERR_XDP_ARGUMENT", "port must be 1..65535");
  }
  if (!Number.isInteger(c.ednsUdpSize) || c.ednsUdpSize < 512 || c.ednsUdpSize > 4096) {
    throw new FastPathError("EDGENS_ERR_XDP_ARGUMENT", "ednsUdpSize must be 512..4096");
  }
  const rl = c.rateLimit;
  if (
    rl &&
    (!Number.isInteger(rl.responsesPerSecond) ||
      rl.responsesPerSecond < 1 ||
      rl.responsesPerSecond > 1e9 ||
      !Number.isInteger(rl.slip) ||
      rl.slip < 0 ||
      rl.slip > 255)
  ) {
    throw new FastPathError("EDGENS_ERR_XDP_ARGUMENT", "rateLimit: responsesPerSecond 1..1e9, slip 0..255");
  }
}
