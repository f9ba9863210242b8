// SOA timers (RFC 1035 §3.3.13) as the refresh scheduler uses them: read from the SOA RDATA, then clamped to
// configured bounds, so an operator can cap a primary's odd values and a test can run with a 1 s refresh.

export interface SoaTimers {
  /** Seconds between SOA checks while all is well. */
  refresh: number;
  /** Seconds between SOA checks after a failed one. */
  retry: number;
  /** Seconds after the last successful refresh when the data stops being served. */
  expire: number;
}

export interface Clamp {
  min: number;
  max: number;
}

export interface TimerClamps {
  refresh: Clamp;
  retry: Clamp;
  expire: Clamp;
}

/** Knot DNS's defaults for the lower bounds (refresh/retry 2 s, expire 3 s); upper bounds keep timers sane. */
export const DEFAULT_CLAMPS: TimerClamps = {
  refresh: { min: 2, max: 7 * 86_400 },
  retry: { min: 2, max: 86_400 },
  expire: { min: 3, max: 0x7fffffff },
};

/** REFRESH, RETRY and EXPIRE: the 2nd to 4th of the five 32-bit fields that end SOA RDATA. */
export function soaTimers(rdata: Buffer): SoaTimers {
  if (rdata.length < 22) throw new RangeError("SOA RDATA too short");
  const end = rdata.length;
  return {
    refresh: rdata.readUInt32BE(end - 16),
    retry: rdata.readUInt32BE(end - 12),
    expire: rdata.readUInt32BE(end - 8),
  };
}

function clamp(v: number, c: Clamp): number {
  return Math.min(c.max, Math.max(c.min, v));
}

export function clampTimers(t: SoaTimers, c: TimerClamps): SoaTimers {
  return {
    refresh: clamp(t.refresh, c.refresh),
    retry: clamp(t.retry, c.retry),
    expire: clamp(t.expire, c.expire),
  };
}

/** Merge partial clamps over the defaults. */
export function resolveClamps(partial: Partial<TimerClamps> = {}): TimerClamps {
  return {
    refresh: { ...DEFAULT_CLAMPS.refresh, ...partial.refresh },
    retry: { ...DEFAULT_CLAMPS.retry, ...partial.retry },
    expire: { ...DEFAULT_CLAMPS.expire, ...partial.expire },
  };
}
