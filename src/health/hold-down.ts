// Flap dampening: how long a prefix stays withdrawn after it went down, growing with repeated flaps.
// Pure data + functions so the state machine stays pure and the tests can drive time by hand.

export interface HoldDownConfig {
  /** Hold-down after the first flap (ms). 0 disables dampening for an isolated failure. */
  baseMs: number;
  /** Upper bound of the hold-down (ms). */
  maxMs: number;
  /** One remembered flap is forgotten per `decayMs` without a new flap. */
  decayMs: number;
}

export interface FlapHistory {
  /** Remembered flaps after decay at `lastFlapAt`. */
  flaps: number;
  /** Time of the last flap (ms), or null when none was seen. */
  lastFlapAt: number | null;
}

export const noFlaps: FlapHistory = Object.freeze({ flaps: 0, lastFlapAt: null });

/** The flap count as of `now`: one flap decays away per quiet `decayMs`. */
export function decayedFlaps(h: FlapHistory, cfg: HoldDownConfig, now: number): number {
  if (h.lastFlapAt === null || h.flaps === 0) return 0;
  if (cfg.decayMs <= 0) return h.flaps;
  const decayed = Math.floor(Math.max(0, now - h.lastFlapAt) / cfg.decayMs);
  return Math.max(0, h.flaps - decayed);
}

/** Record a flap (an announced prefix withdrawn for health reasons) at `now`. */
export function recordFlap(h: FlapHistory, cfg: HoldDownConfig, now: number): FlapHistory {
  return { flaps: decayedFlaps(h, cfg, now) + 1, lastFlapAt: now };
}

/** Hold-down for the n-th flap in a row: base, 2×base, 4×base … capped at maxMs. */
export function holdDownMs(flaps: number, cfg: HoldDownConfig): number {
  if (flaps <= 0 || cfg.baseMs <= 0) return 0;
  // Cap the exponent so 2 ** n never overflows to Infinity for absurd flap counts.
  const factor = 2 ** Math.min(flaps - 1, 30);
  return Math.min(cfg.maxMs, cfg.baseMs * factor);
}
