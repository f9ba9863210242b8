// Owner names read from wire bytes → tree keys (issue 6: a million-record transfer makes no Buffer per owner).
import { describe, expect, it } from "vitest";
import { nameKey, parseNameText } from "../../src/wire/name.js";
import { OwnerKeys } from "../../src/zone/owner-keys.js";

const wire = (text: string) => parseNameText(text, null);

describe("OwnerKeys", () => {
  it("gives a lower-case name its bytes as the key and no Buffer", () => {
    const keys = new OwnerKeys();
    const name = wire("www.example.");
    expect(keys.key(name, 0, name.length)).toBe(name.toString("latin1"));
    expect(keys.cased).toBeNull();
  });

  it("gives a name with an upper-case letter the lower-case key and a copy of its bytes", () => {
    const keys = new OwnerKeys();
    const bytes = Buffer.concat([Buffer.from([9, 9]), wire("WWW.Example."), Buffer.from([7])]);
    const end = bytes.length - 1;
    expect(keys.key(bytes, 2, end)).toBe(nameKey(wire("www.example.")));
    const cased = keys.cased!;
    expect(cased).toEqual(wire("WWW.Example."));
    bytes.fill(0);
    expect(cased).toEqual(wire("WWW.Example.")); // a copy, not a view of the bytes read
  });

  it("reuses the previous key for the same bytes, and tells spellings apart", () => {
    const keys = new OwnerKeys();
    const a = wire("host.example.");
    const first = keys.key(a, 0, a.length);
    expect(keys.key(Buffer.from(a), 0, a.length)).toBe(first);
    const upper = wire("HOST.example.");
    expect(keys.key(upper, 0, upper.length)).toBe(first); // same key…
    expect(keys.cased).toEqual(upper); // …its own spelling
    expect(keys.key(a, 0, a.length)).toBe(first);
    expect(keys.cased).toBeNull();
    const other = wire("hosu.example.");
    expect(keys.key(other, 0, other.length)).toBe(other.toString("latin1"));
  });
});
