// Table-driven tests of the pure health state machine. Each case is a script of "time input → state effects"
// lines, so a reader sees the story: `100 fail:timeout → FALLING`.
import { describe, expect, it } from "vitest";
import { holdDownMs } from "../../src/health/hold-down.js";
import {
  type Effect,
  initialState,
  isAdvertised,
  type MachineConfig,
  type MachineInput,
  type MachineState,
  step,
} from "../../src/health/state-machine.js";

const cfg: MachineConfig = {
  rise: 2,
  fall: 2,
  intervalMs: 100,
  fastIntervalMs: 50,
  drainWaitMs: 1000,
  holdDown: { baseMs: 1000, maxMs: 8000, decayMs: 60_000 },
};

function parseInput(word: string): MachineInput {
  const [kind, arg = ""] = word.split(":");
  switch (kind) {
    case "ok":
      return { type: "check", ok: true };
    case "fail":
      return { type: "check", ok: false, reason: arg || "timeout", fatal: false };
    case "fatal":
      return { type: "check", ok: false, reason: arg || "refused", fatal: true };
    case "drain":
      return { type: "drain" };
    case "undrain":
      return { type: "undrain" };
    case "up":
      return { type: "session", up: true };
    case "down":
      return { type: "session", up: false };
    case "tick":
      return { type: "tick" };
  }
  throw new Error(`bad input ${word}`);
}

function showEffects(effects: Effect[]): string {
  return effects.map((e) => (e.kind === "withdraw" ? "withdraw" : e.drain ? "gshut" : "announce")).join(",");
}

/** Runs lines "T input → STATE [effects]" and returns what the machine actually did, in the same format. */
function run(
  script: string[],
  opts: { cfg?: MachineConfig; drained?: boolean } = {},
): { got: string[]; want: string[]; last: MachineState } {
  const c = opts.cfg ?? cfg;
  let s = initialState(0, opts.drained);
  const got: string[] = [];
  const want: string[] = [];
  for (const line of script) {
    const m = /^(\d+) (\S+) → (\S+)(?: (\S+))?$/.exec(line.trim());
    if (!m) throw new Error(`bad script line: ${line}`);
    const [, t, input] = m;
    const r = step(s, parseInput(input!), c, Number(t));
    s = r.state;
    const eff = showEffects(r.effects);
    got.push(`${t} ${input} → ${s.state}${eff ? ` ${eff}` : ""}`);
    want.push(line.trim());
  }
  return { got, want, last: s };
}

const cases: { name: string; script: string[]; cfg?: MachineConfig; drained?: boolean }[] = [
  {
    name: "rise: announce after `rise` good checks, not before",
    script: ["0 ok → RISING", "50 ok → UP announce", "150 ok → UP"],
  },
  {
    name: "rise 1 announces on the first good check",
    cfg: { ...cfg, rise: 1 },
    script: ["0 ok → UP announce"],
  },
  {
    name: "first check fails: withdraw at once to clear a previous instance's route",
    script: ["0 fail:timeout → DOWN withdraw", "100 ok → RISING", "150 ok → UP announce"],
  },
  {
    name: "fall: a single timeout only makes it FALLING, the second withdraws",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "150 fail:timeout → FALLING",
      "200 fail:timeout → DOWN withdraw",
    ],
  },
  {
    name: "a good check in FALLING goes back UP without any route change",
    script: ["0 ok → RISING", "50 ok → UP announce", "150 fail:rcode → FALLING", "200 ok → UP"],
  },
  {
    name: "fail-fast: refused goes DOWN at once regardless of fall",
    cfg: { ...cfg, fall: 5 },
    script: ["0 ok → RISING", "50 ok → UP announce", "150 fatal:refused → DOWN withdraw"],
  },
  {
    name: "fail-fast from FALLING",
    cfg: { ...cfg, fall: 5 },
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "150 fail:timeout → FALLING",
      "200 fatal:process-gone → DOWN withdraw",
    ],
  },
  {
    name: "restore waits for rise AND the hold-down (1 s after the first flap)",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "100 fatal → DOWN withdraw",
      "200 ok → RISING",
      "250 ok → RISING",
      "600 tick → RISING",
      "1100 tick → UP announce",
    ],
  },
  {
    name: "a failure while rising resets the streak",
    cfg: { ...cfg, rise: 3 },
    script: [
      "0 ok → RISING",
      "50 ok → RISING",
      "100 fail → DOWN",
      "150 ok → RISING",
      "200 ok → RISING",
      "250 ok → UP announce",
    ],
  },
  {
    name: "flapping: the hold-down doubles per flap (1 s, 2 s, 4 s)",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "100 fatal → DOWN withdraw",
      "200 ok → RISING",
      "300 ok → RISING",
      "1100 ok → UP announce",
      "1200 fatal → DOWN withdraw",
      "1300 ok → RISING",
      "1400 ok → RISING",
      "3100 ok → RISING",
      "3200 ok → UP announce",
      "3300 fatal → DOWN withdraw",
      "3400 ok → RISING",
      "3500 ok → RISING",
      "7200 tick → RISING",
      "7300 tick → UP announce",
    ],
  },
  {
    name: "drain: graceful-shutdown announce, withdraw after the wait",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "100 drain → DISABLED gshut",
      "600 tick → DISABLED",
      "1100 tick → DISABLED withdraw",
      "1200 ok → DISABLED",
    ],
  },
  {
    name: "undrain after the drain completed re-announces after rise fresh checks",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "100 drain → DISABLED gshut",
      "1100 tick → DISABLED withdraw",
      "1200 undrain → RISING",
      "1300 ok → RISING",
      "1400 ok → UP announce",
    ],
  },
  {
    name: "undrain during the drain wait while healthy cancels the drain",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "100 drain → DISABLED gshut",
      "300 undrain → UP announce",
    ],
  },
  {
    name: "a dead server during the drain wait is withdrawn at once",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "100 drain → DISABLED gshut",
      "200 fatal → DISABLED withdraw",
    ],
  },
  {
    name: "timeouts during the drain wait withdraw after fall",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "100 drain → DISABLED gshut",
      "200 fail → DISABLED",
      "300 fail → DISABLED withdraw",
      "400 undrain → RISING",
    ],
  },
  {
    name: "draining a withdrawn prefix changes nothing on the wire",
    script: ["0 fail → DOWN withdraw", "100 drain → DISABLED", "200 ok → DISABLED", "300 ok → DISABLED"],
  },
  {
    name: "started drained (admin-state file survives restarts): nothing is announced until undrain",
    drained: true,
    script: [
      "0 ok → DISABLED",
      "100 ok → DISABLED",
      "200 undrain → RISING",
      "300 ok → RISING",
      "400 ok → UP announce",
    ],
  },
  {
    name: "drain twice is idempotent",
    script: ["0 ok → RISING", "50 ok → UP announce", "100 drain → DISABLED gshut", "150 drain → DISABLED"],
  },
  {
    name: "session flap: the current route is repeated when the session comes back",
    script: ["0 ok → RISING", "50 ok → UP announce", "100 down → UP", "200 ok → UP", "300 up → UP announce"],
  },
  {
    name: "session up repeats the graceful-shutdown announce while draining",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "100 drain → DISABLED gshut",
      "150 down → DISABLED",
      "200 up → DISABLED gshut",
    ],
  },
  {
    name: "session up while withdrawn announces nothing",
    script: ["0 fail → DOWN withdraw", "100 down → DOWN", "200 up → DOWN"],
  },
  {
    name: "health changes while the session is down still reach ExaBGP's RIB",
    script: [
      "0 ok → RISING",
      "50 ok → UP announce",
      "100 down → UP",
      "200 fatal → DOWN withdraw",
      "300 up → DOWN",
    ],
  },
  {
    name: "drain wait 0 withdraws in the same step",
    cfg: { ...cfg, drainWaitMs: 0 },
    script: ["0 ok → RISING", "50 ok → UP announce", "100 drain → DISABLED gshut,withdraw"],
  },
];

describe("health state machine", () => {
  for (const c of cases) {
    it(c.name, () => {
      const { got, want } = run(c.script, { cfg: c.cfg, drained: c.drained });
      expect(got).toEqual(want);
    });
  }

  it("hold-down decays: a flap long after the previous one starts again at the base", () => {
    const c = { ...cfg, holdDown: { baseMs: 1000, maxMs: 8000, decayMs: 10_000 } };
    const { last } = run(
      [
        "0 ok → RISING",
        "50 ok → UP announce",
        "100 fatal → DOWN withdraw",
        "200 ok → RISING",
        "1100 ok → UP announce",
        "1200 fatal → DOWN withdraw",
      ],
      { cfg: c },
    );
    expect(last.holdUntil).toBe(1200 + 2000);
    // 25 s later two decay periods have passed: the count drops from 2 to 0, the new flap counts as the first.
    let s = last;
    for (const [t, w] of [
      [3300, "ok"],
      [3400, "ok"],
      [3500, "tick"],
    ] as const) {
      s = step(s, parseInput(w), c, t).state;
    }
    expect(s.state).toBe("UP");
    s = step(s, parseInput("fatal"), c, 26_200).state;
    expect(s.flaps.flaps).toBe(1);
    expect(s.holdUntil).toBe(26_200 + 1000);
  });

  it("hold-down is capped", () => {
    const h = { baseMs: 1000, maxMs: 8000, decayMs: 60_000 };
    expect([1, 2, 3, 4, 5, 50, 5000].map((n) => holdDownMs(n, h))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000, 8000,
    ]);
    expect(holdDownMs(3, { ...h, baseMs: 0 })).toBe(0);
  });

  it("checks run faster while a transition is pending", () => {
    let r = step(initialState(0), parseInput("ok"), cfg, 0);
    expect(r.state.state).toBe("RISING");
    expect(r.nextCheckMs).toBe(cfg.fastIntervalMs);
    r = step(r.state, parseInput("ok"), cfg, 50);
    expect(r.nextCheckMs).toBe(cfg.intervalMs);
    r = step(r.state, parseInput("fail"), cfg, 150);
    expect(r.state.state).toBe("FALLING");
    expect(r.nextCheckMs).toBe(cfg.fastIntervalMs);
  });

  it("reports deadlines for the drain wait and the hold-down", () => {
    let s = run(["0 ok → RISING", "50 ok → UP announce"]).last;
    let r = step(s, parseInput("drain"), cfg, 100);
    expect(r.deadline).toBe(1100);
    s = run(["0 ok → RISING", "50 ok → UP announce", "100 fatal → DOWN withdraw", "150 ok → RISING"]).last;
    r = step(s, parseInput("ok"), cfg, 200);
    expect(r.state.state).toBe("RISING");
    expect(r.deadline).toBe(1100);
  });

  it("reports transitions and advertisement", () => {
    const r1 = step(initialState(0), parseInput("ok"), { ...cfg, rise: 1 }, 7);
    expect(r1.transition).toEqual({ from: "INIT", to: "UP" });
    expect(r1.state.since).toBe(7);
    expect(isAdvertised(r1.state)).toBe(true);
    const r2 = step(r1.state, parseInput("down"), cfg, 8);
    expect(r2.transition).toBeNull();
    expect(isAdvertised(r2.state)).toBe(false);
  });
});
