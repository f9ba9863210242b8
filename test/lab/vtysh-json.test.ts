// vtysh prints one JSON value per `-c` command, back to back: `lab status` asks each router several things in
// one vtysh process and splits its output (pure; the lab tests cover real vtysh output).
import { describe, expect, it } from "vitest";
import { FrrError, splitJsonValues } from "../../src/lab/frr-process.js";

describe("splitJsonValues", () => {
  it("splits objects and arrays printed one after another, braces inside strings included", () => {
    const text =
      '{\n  "prefix":"192.0.2.53/32",\n  "paths":[{"aspath":{"string":"64953"}}]\n}\n{\n}\n[{"peer":"10.200.6.2","status":"up","note":"a } and \\" ["}]\n';
    expect(splitJsonValues(text)).toEqual([
      { prefix: "192.0.2.53/32", paths: [{ aspath: { string: "64953" } }] },
      {},
      [{ peer: "10.200.6.2", status: "up", note: 'a } and " [' }],
    ]);
  });
  it("ignores text between values (a daemon's error line), which then shows as a missing value", () => {
    expect(splitJsonValues('bfdd is not running\n{"a":1}\n% "unknown" command ]\n')).toEqual([{ a: 1 }]);
  });
  it("rejects output cut off inside a value", () => {
    expect(() => splitJsonValues('{"peers":{"10.200.6.2":{')).toThrow(FrrError);
  });
});
