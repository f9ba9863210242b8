// Safety properties of the health state machine over random input sequences (fast-check): whatever happens, the
// route is never left announced after a fatal failure or `fall` failures in a row, never (re-)announced without
// `rise` good checks, and the effects on the wire always agree with the state.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Effect,
  initialState,
  type MachineConfig,
  type MachineInput,
  type RouteStatus,
  step,
} from "../../src/health/state-machine.js";

const input: fc.Arbitrary<MachineInput> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<MachineInput>({ type: "check", ok: true }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<MachineInput>(
      { type: "check", ok: false, reason: "timeout", fatal: false },
      { type: "check", ok: false, reason: "rcode", fatal: false },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant<MachineInput>({ type: "check", ok: false, reason: "refused", fatal: true }),
  },
  { weight: 1, arbitrary: fc.constantFrom<MachineInput>({ type: "drain" }, { type: "undrain" }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<MachineInput>({ type: "session", up: true }, { type: "session", up: false }),
  },
  { weight: 2, arbitrary: fc.constant<MachineInput>({ type: "tick" }) },
);

const config: fc.Arbitrary<MachineConfig> = fc.record({
  rise: fc.integer({ min: 1, max: 4 }),
  fall: fc.integer({ min: 1, max: 4 }),
  intervalMs: fc.constant(100),
  fastIntervalMs: fc.constant(50),
  drainWaitMs: fc.integer({ min: 0, max: 2000 }),
  holdDown: fc.record({
    baseMs: fc.integer({ min: 0, max: 2000 }),
    maxMs: fc.integer({ min: 0, max: 10_000 }),
    decayMs: fc.integer({ min: 0, max: 20_000 }),
  }),
});

/** The route ExaBGP holds after applying `effects` to `before`. */
function applyEffects(before: RouteStatus, effects: Effect[]): RouteStatus {
  let r = before;
  for (const e of effects) r = e.kind === "withdraw" ? "none" : e.drain ? "gshut" : "announced";
  return r;
}

describe("health state machine properties", () => {
  it("never leaves a failed server announced; announces only after rise good checks", () => {
    fc.assert(
      fc.property(
        config,
        fc.boolean(),
        fc.array(fc.tuple(input, fc.integer({ min: 0, max: 700 })), { maxLength: 120 }),
        (cfg, drained, seq) => {
          let s = initialState(0, drained);
          let now = 0;
          let wire: RouteStatus = "none";
          let fails = 0; // consecutive failed checks
          let oks = 0; // consecutive good checks
          let adminDrained = drained;
          for (const [inp, dt] of seq) {
            now += dt;
            const before = s.route;
            const r = step(s, inp, cfg, now);
            s = r.state;
            wire = applyEffects(wire, r.effects);
            if (inp.type === "check") {
              if (inp.ok) {
                oks++;
                fails = 0;
              } else {
                fails++;
                oks = 0;
              }
            }
            if (inp.type === "drain") adminDrained = true;
            if (inp.type === "undrain") adminDrained = false;

            // What we told ExaBGP is what the machine thinks ExaBGP holds.
            expect(wire).toBe(s.route);
            // A dead server or `fall` failures in a row: nothing announced, drain or not.
            if (inp.type === "check" && !inp.ok && (inp.fatal || fails >= cfg.fall))
              expect(s.route).toBe("none");
            // Announced normally only in UP/FALLING, and never while the operator says drained.
            if (s.route === "announced") {
              expect(["UP", "FALLING"]).toContain(s.state);
              expect(adminDrained).toBe(false);
            }
            if (s.route === "gshut") expect(s.state).toBe("DISABLED");
            // A fresh announcement from nothing needs `rise` good checks in a row and an expired hold-down.
            if (before === "none" && s.route === "announced") {
              expect(oks).toBeGreaterThanOrEqual(cfg.rise);
              expect(now).toBeGreaterThanOrEqual(s.holdUntil);
            }
            // Session events never change what ExaBGP holds, they only repeat it.
            if (inp.type === "session") expect(s.route).toBe(before);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
