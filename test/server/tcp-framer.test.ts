import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FramingError, MessageFramer } from "../../src/server/tcp-framer.js";

function frame(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(2 + msg.length);
  b.writeUInt16BE(msg.length);
  b.set(msg, 2);
  return b;
}

describe("MessageFramer", () => {
  it("returns the same messages however the stream is chunked", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map(frame));
          const f = new MessageFramer(512);
          const out: Buffer[] = [];
          let pos = 0;
          for (let i = 0; pos < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            f.push(stream.subarray(pos, pos + n));
            pos += n;
            for (let m = f.next(); m !== null; m = f.next()) out.push(Buffer.from(m));
          }
          expect(out).toEqual(messages.map((m) => Buffer.from(m)));
          expect(f.buffered).toBe(0);
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });

  it("rejects zero-length and oversize frames", () => {
    const zero = new MessageFramer(512);
    zero.push(Buffer.from([0, 0]));
    expect(() => zero.next()).toThrow(FramingError);
    const big = new MessageFramer(512);
    big.push(Buffer.from([0x02, 0x01]));
    expect(() => big.next()).toThrow(/513 bytes exceeds 512/);
  });
});
