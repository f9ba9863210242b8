// The health → route decision for one anycast prefix, as a pure function: (state, input, now) → (state,
// effects). No timers, no I/O: the agent feeds it check results, admin and BGP session events and clock ticks,
// and turns the effects into ExaBGP API lines. Time is an argument so tests can replay sequences exactly.
import {
  decayedFlaps,
  type FlapHistory,
  type HoldDownConfig,
  holdDownMs,
  noFlaps,
  recordFlap,
} from "./hold-down.js";

/**
 * INIT: no verdict yet. RISING: healthy checks seen, waiting for `rise` of them and for the hold-down.
 * UP: announced. FALLING: announced, failures seen, fewer than `fall`. DOWN: withdrawn for health.
 * DISABLED: drained by the operator (graceful-shutdown announce, then withdrawn).
 */
export type HealthState = "INIT" | "RISING" | "UP" | "FALLING" | "DOWN" | "DISABLED";

export const healthStates: readonly HealthState[] = ["INIT", "RISING", "UP", "FALLING", "DOWN", "DISABLED"];

/** What we last asked ExaBGP to hold for this prefix. */
export type RouteStatus = "none" | "announced" | "gshut";

export type Effect = { kind: "announce"; drain: boolean } | { kind: "withdraw" };

export type MachineInput =
  | { type: "check"; ok: true }
  /** `fatal`: the failure proves the server is dead (refused, process gone): go down without waiting for `fall`. */
  | { type: "check"; ok: false; reason: string; fatal: boolean }
  | { type: "drain" }
  | { type: "undrain" }
  | { type: "session"; up: boolean }
  | { type: "tick" };

export interface MachineConfig {
  /** Consecutive good checks before (re-)announcing. */
  rise: number;
  /** Consecutive failed checks (non-fatal kinds) before withdrawing. */
  fall: number;
  /** Check interval while the state is settled (ms). */
  intervalMs: number;
  /** Check interval while a transition is pending: INIT, RISING, FALLING (ms). */
  fastIntervalMs: number;
  /** Time between the graceful-shutdown announce and the withdrawal of a drain (ms). */
  drainWaitMs: number;
  holdDown: HoldDownConfig;
}

export interface MachineState {
  state: HealthState;
  okStreak: number;
  failStreak: number;
  route: RouteStatus;
  /** Unknown sessions count as up: without neighbor-change events ExaBGP still forwards our routes. */
  sessionUp: boolean;
  flaps: FlapHistory;
  /** No re-announce before this time (flap hold-down), ms. */
  holdUntil: number;
  /** Withdraw a drained prefix at this time, ms; null when no drain wait is running. */
  drainUntil: number | null;
  /** Reason of the last failed check, for logs and status. */
  lastReason: string | null;
  /** Time of the last state change, ms. */
  since: number;
}

export interface Step {
  state: MachineState;
  effects: Effect[];
  /** Delay until the next check should run (ms). */
  nextCheckMs: number;
  /** Absolute time at which a `tick` is needed (hold-down or drain wait end), or null. */
  deadline: number | null;
  /** Set when `state.state` changed in this step. */
  transition: { from: HealthState; to: HealthState } | null;
}

export function initialState(now: number, drained = false): MachineState {
  return {
    state: drained ? "DISABLED" : "INIT",
    okStreak: 0,
    failStreak: 0,
    route: "none",
    sessionUp: true,
    flaps: noFlaps,
    holdUntil: 0,
    drainUntil: null,
    lastReason: null,
    since: now,
  };
}

/** True when peers are being sent this prefix (announced or gracefully shutting down, session up). */
export function isAdvertised(s: MachineState): boolean {
  return s.sessionUp && s.route !== "none";
}

/** Current hold-down length implied by the flap history (for status and metrics). */
export function currentHoldDownMs(s: MachineState, cfg: MachineConfig, now: number): number {
  return holdDownMs(decayedFlaps(s.flaps, cfg.holdDown, now), cfg.holdDown);
}

export function step(prev: MachineState, input: MachineInput, cfg: MachineConfig, now: number): Step {
  const s: MachineState = { ...prev };
  const effects: Effect[] = [];

  const announce = (): void => {
    s.route = "announced";
    effects.push({ kind: "announce", drain: false });
  };
  const withdraw = (): void => {
    s.route = "none";
    s.drainUntil = null;
    effects.push({ kind: "withdraw" });
  };
  // Health loss of an announced prefix: withdraw and arm the (growing) hold-down.
  const goDown = (): void => {
    s.state = "DOWN";
    withdraw();
    s.flaps = recordFlap(s.flaps, cfg.holdDown, now);
    s.holdUntil = now + holdDownMs(s.flaps.flaps, cfg.holdDown);
  };
  const maybeRise = (): void => {
    if (s.okStreak >= cfg.rise && now >= s.holdUntil) {
      s.state = "UP";
      announce();
    }
  };

  switch (input.type) {
    case "check":
      if (input.ok) onOk();
      else onFail(input.fatal, input.reason);
      break;
    case "drain":
      if (s.state !== "DISABLED") {
        s.state = "DISABLED";
        if (s.route === "announced") {
          s.route = "gshut";
          effects.push({ kind: "announce", drain: true });
          s.drainUntil = now + cfg.drainWaitMs;
          if (cfg.drainWaitMs <= 0) withdraw();
        }
      }
      break;
    case "undrain":
      if (s.state === "DISABLED") {
        if (s.route === "gshut" && s.failStreak === 0) {
          // Undrained during the drain wait while healthy: cancel the drain, peers never lost the route.
          s.state = "UP";
          s.drainUntil = null;
          announce();
        } else {
          // Re-announce only after `rise` fresh good checks; a drain is not a flap, the hold-down stays as it was.
          if (s.route !== "none") withdraw();
          s.state = "RISING";
          s.okStreak = 0;
          s.failStreak = 0;
        }
      }
      break;
    case "session":
      s.sessionUp = input.up;
      // A new session starts empty on the peer's side: repeat what we hold (idempotent for ExaBGP).
      if (input.up && s.route !== "none") effects.push({ kind: "announce", drain: s.route === "gshut" });
      break;
    case "tick":
      if (s.state === "DISABLED" && s.drainUntil !== null && now >= s.drainUntil) withdraw();
      else if (s.state === "RISING") maybeRise();
      break;
  }

  function onOk(): void {
    s.okStreak += 1;
    s.failStreak = 0;
    switch (s.state) {
      case "INIT":
      case "DOWN":
      case "RISING":
        s.state = "RISING";
        maybeRise();
        break;
      case "FALLING":
        s.state = "UP";
        break;
      case "UP":
      case "DISABLED":
        break;
    }
  }

  function onFail(fatal: boolean, reason: string): void {
    s.failStreak += 1;
    s.okStreak = 0;
    s.lastReason = reason;
    const fallen = fatal || s.failStreak >= cfg.fall;
    switch (s.state) {
      case "INIT":
        // Never announced by us, but a previous agent instance may have: withdraw to fail closed.
        s.state = "DOWN";
        withdraw();
        break;
      case "RISING":
        s.state = "DOWN";
        break;
      case "DOWN":
        break;
      case "UP":
      case "FALLING":
        if (fallen) goDown();
        else s.state = "FALLING";
        break;
      case "DISABLED":
        // A drain wait does not keep a dead server's route up.
        if (fallen && s.route !== "none") withdraw();
        break;
    }
  }

  const transition = s.state !== prev.state ? { from: prev.state, to: s.state } : null;
  if (transition) s.since = now;
  return { state: s, effects, nextCheckMs: nextCheck(s, cfg), deadline: deadlineOf(s, cfg), transition };
}

function nextCheck(s: MachineState, cfg: MachineConfig): number {
  const pending =
    s.state === "INIT" || s.state === "FALLING" || (s.state === "RISING" && s.okStreak < cfg.rise);
  return pending ? cfg.fastIntervalMs : cfg.intervalMs;
}

function deadlineOf(s: MachineState, cfg: MachineConfig): number | null {
  if (s.state === "DISABLED") return s.drainUntil;
  if (s.state === "RISING" && s.okStreak >= cfg.rise) return s.holdUntil;
  return null;
}
