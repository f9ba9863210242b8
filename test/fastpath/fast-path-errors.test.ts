// Failures come back as typed errors with stable codes and the errno name, never as raw negative numbers.
import { describe, expect, it } from "vitest";
import { FastPathError } from "../../src/fastpath/errors.js";
import { FastPath } from "../../src/fastpath/fast-path.js";
import { BOUNCE_OBJECT_PATH } from "../../src/fastpath/native-addon.js";
import { isRoot, requirePrereq } from "../helpers/prereq.js";
import { addonBuilt, objectBuilt } from "./fixtures.js";

const ok = requirePrereq("XDP errors", isRoot, addonBuilt, objectBuilt(), objectBuilt(BOUNCE_OBJECT_PATH));

function failure(fn: () => unknown): FastPathError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FastPathError);
    return err as FastPathError;
  }
  throw new Error("expected a FastPathError");
}

describe.skipIf(!ok)("FastPath errors", () => {
  it("reports a missing object file", () => {
    const err = failure(() => FastPath.open("/nonexistent/edgens.bpf.o"));
    expect(err.code).toBe("EDGENS_ERR_XDP_OPEN");
    expect(err.message).toMatch(/ENOENT/);
  });

  it("refuses an object without our maps (stale or wrong build)", () => {
    const err = failure(() => FastPath.open(BOUNCE_OBJECT_PATH));
    expect(err.code).toBe("EDGENS_ERR_XDP_LOAD");
    expect(err.message).toMatch(/map config missing/);
  });

  it("reports a missing interface, bad arguments and use after close", () => {
    const fp = FastPath.open(undefined, { maxAnswers: 16 });
    try {
      const err = failure(() => fp.attach("edgens-nope0"));
      expect(err.code).toBe("EDGENS_ERR_XDP_ATTACH");
      expect(err.message).toMatch(/no interface 'edgens-nope0'.*ENODEV/);
      expect(failure(() => fp.setServiceAddresses(["not-an-ip"])).code).toBe("EDGENS_ERR_XDP_ARGUMENT");
      expect(failure(() => fp.configure({ ednsUdpSize: 100 })).code).toBe("EDGENS_ERR_XDP_ARGUMENT");
    } finally {
      fp.close();
    }
    fp.close(); // idempotent
    expect(failure(() => fp.counters()).code).toBe("EDGENS_ERR_XDP_CLOSED");
  });
});
