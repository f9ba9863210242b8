import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { TsigError } from "../../src/transfer/errors.js";
import { buildQuery, parseMessage } from "../../src/transfer/message.js";
import {
  parseTsigKey,
  signMessage,
  TSIG_ALGORITHMS,
  type TsigAlgorithm,
  type TsigKey,
  TsigRcode,
  TsigResponseVerifier,
  tsigKeyToDigArg,
  verifyRequest,
} from "../../src/transfer/tsig.js";
import { nameToText, parseNameText } from "../../src/wire/name.js";
import { RRType } from "../../src/wire/rrtype.js";
import { hasCommand, requirePrereq } from "../helpers/prereq.js";
import {
  a,
  answerTo,
  frame,
  StreamSigner,
  signerFor,
  soa,
  startFakeTcp,
  startFakeUdp,
} from "./fake-primary.js";

const SECRET = Buffer.alloc(32, 9).toString("base64");
const key = parseTsigKey(`xfr-key.example:hmac-sha256:${SECRET}`);
const otherSecret = parseTsigKey(`xfr-key.example:hmac-sha256:${Buffer.alloc(32, 8).toString("base64")}`);
const origin = parseNameText("xfr.test.", null);

function expectTsigError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TsigError);
    expect((e as TsigError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

/** A signed query and the verifier for its answers. */
function signedQuery(k: TsigKey = key, now?: () => number) {
  const q = signMessage(buildQuery(0x1234, origin, RRType.AXFR), k);
  return { query: q.message, verifier: new TsigResponseVerifier(k, q.mac, now ? { now } : {}) };
}

describe("parseTsigKey (--tsig NAME:ALGORITHM:BASE64SECRET)", () => {
  it("parses name, algorithm (any case, optional dot) and secret", () => {
    const k = parseTsigKey(`Transfer.Key:HMAC-SHA512.:${SECRET}`);
    expect(nameToText(k.name)).toBe("Transfer.Key.");
    expect(k.algorithm).toBe("hmac-sha512");
    expect(k.secret).toEqual(Buffer.alloc(32, 9));
    expect(tsigKeyToDigArg(k)).toBe(`hmac-sha512:Transfer.Key.:${SECRET}`);
  });

  it.each([
    ["missing part", "name:hmac-sha256"],
    ["unknown algorithm", `name:hmac-md4:${SECRET}`],
    ["secret not base64", "name:hmac-sha256:not*base64"],
    ["empty name", `:hmac-sha256:${SECRET}`],
    ["bad name", `a..b:hmac-sha256:${SECRET}`],
  ])("rejects %s with EDGENS_ERR_TSIG_KEY_SYNTAX and does not echo the secret", (_l, spec) => {
    try {
      parseTsigKey(spec);
      throw new Error("accepted");
    } catch (e) {
      expect((e as TsigError).code).toBe("EDGENS_ERR_TSIG_KEY_SYNTAX");
      expect((e as Error).message).not.toContain(SECRET);
    }
  });
});

describe("TSIG sign and verify", () => {
  it.each(Object.keys(TSIG_ALGORITHMS) as TsigAlgorithm[])("%s: a signed answer verifies", (alg) => {
    const k = { ...key, algorithm: alg };
    const { query, verifier } = signedQuery(k);
    const signer = signerFor(query, [k]);
    const ans = signer.sign(answerTo(query, [soa(1)]));
    verifier.verify(ans, parseMessage(ans));
    verifier.finish();
  });

  it("a server verifies our request; the wrong secret is BADSIG, an unknown key BADKEY", () => {
    const { query } = signedQuery();
    expect(verifyRequest(query, parseMessage(query), [key]).key).toBe(key);
    expectTsigError(() => verifyRequest(query, parseMessage(query), [otherSecret]), "EDGENS_ERR_TSIG_BADSIG");
    const stranger = parseTsigKey(`other-key:hmac-sha256:${SECRET}`);
    expectTsigError(() => verifyRequest(query, parseMessage(query), [stranger]), "EDGENS_ERR_TSIG_BADKEY");
  });

  it("key and algorithm names compare case-insensitively", () => {
    const upper = { ...key, name: parseNameText("XFR-KEY.Example.", null) };
    const { query, verifier } = signedQuery(upper);
    const ans = signerFor(query, [key]).sign(answerTo(query, [soa(1)]));
    verifier.verify(ans, parseMessage(ans));
  });

  it("an answer signed with another secret is BADSIG; a tampered one too", () => {
    const { query, verifier } = signedQuery();
    const ans = new StreamSigner(otherSecret, Buffer.alloc(32)).sign(answerTo(query, [soa(1)]));
    expectTsigError(() => verifier.verify(ans, parseMessage(ans)), "EDGENS_ERR_TSIG_BADSIG");

    const second = signedQuery();
    const good = signerFor(second.query, [key]).sign(
      answerTo(second.query, [a("www.xfr.test.", "192.0.2.1")]),
    );
    const tampered = Buffer.from(good);
    tampered[good.indexOf(Buffer.from([192, 0, 2, 1]))! + 3] = 2;
    expectTsigError(() => second.verifier.verify(tampered, parseMessage(tampered)), "EDGENS_ERR_TSIG_BADSIG");
  });

  it("an unsigned answer to a signed query is refused", () => {
    const { query, verifier } = signedQuery();
    const ans = answerTo(query, [soa(1)]);
    expectTsigError(() => verifier.verify(ans, parseMessage(ans)), "EDGENS_ERR_TSIG_UNSIGNED");
  });

  it("BADTIME when the signature time is outside the fudge (checked after the MAC)", () => {
    const { query, verifier } = signedQuery(key, () => Math.floor(Date.now() / 1000) + 301);
    const ans = signerFor(query, [key]).sign(answerTo(query, [soa(1)]));
    expectTsigError(() => verifier.verify(ans, parseMessage(ans)), "EDGENS_ERR_TSIG_BADTIME");
  });

  it.each([
    [TsigRcode.BADKEY, "EDGENS_ERR_TSIG_BADKEY"],
    [TsigRcode.BADSIG, "EDGENS_ERR_TSIG_BADSIG"],
    [TsigRcode.BADTIME, "EDGENS_ERR_TSIG_BADTIME"],
  ])("a peer's TSIG error %d becomes %s", (error, code) => {
    const { query, verifier } = signedQuery();
    // Error answers carry the key name and an empty MAC (RFC 8945 §5.3.2); sign() gives a MAC, so strip it.
    const ans = signMessage(answerTo(query, [], { rcode: 9 }), key, { error }).message;
    try {
      verifier.verify(ans, parseMessage(ans));
      throw new Error("accepted");
    } catch (e) {
      expect((e as TsigError).code).toBe(code);
      expect((e as TsigError).tsigError).toBe(error);
    }
  });

  describe("multi-message responses (RFC 8945 §5.3.1)", () => {
    function stream(signedPattern: boolean[]) {
      const { query, verifier } = signedQuery();
      const signer = signerFor(query, [key]);
      const msgs = signedPattern.map((s, i) =>
        signer.sign(answerTo(query, [a(`h${i}.xfr.test.`, "192.0.2.1")], { question: i === 0 }), s),
      );
      return { verifier, msgs };
    }

    it("accepts every message signed, and runs of up to 99 unsigned messages", () => {
      const all = stream([true, true, true]);
      for (const m of all.msgs) all.verifier.verify(m, parseMessage(m));
      all.verifier.finish();

      const pattern = [true, ...Array<boolean>(99).fill(false), true, false, true];
      const sparse = stream(pattern);
      for (const m of sparse.msgs) sparse.verifier.verify(m, parseMessage(m));
      sparse.verifier.finish();
    });

    it("refuses 100 unsigned messages in a row, and an unsigned last message", () => {
      const long = stream([true, ...Array<boolean>(100).fill(false), true]);
      expectTsigError(() => {
        for (const m of long.msgs) long.verifier.verify(m, parseMessage(m));
      }, "EDGENS_ERR_TSIG_UNSIGNED");

      const tail = stream([true, true, false]);
      for (const m of tail.msgs) tail.verifier.verify(m, parseMessage(m));
      expectTsigError(() => tail.verifier.finish(), "EDGENS_ERR_TSIG_UNSIGNED");
    });

    it("a changed unsigned message breaks the next signed message's MAC", () => {
      const s = stream([true, false, true]);
      const changed = Buffer.from(s.msgs[1]!);
      changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 1, changed.length - 1);
      s.verifier.verify(s.msgs[0]!, parseMessage(s.msgs[0]!));
      s.verifier.verify(changed, parseMessage(changed));
      expectTsigError(
        () => s.verifier.verify(s.msgs[2]!, parseMessage(s.msgs[2]!)),
        "EDGENS_ERR_TSIG_BADSIG",
      );
    });

    it("a dropped or reordered message breaks the MAC chain", () => {
      const s = stream([true, true, true]);
      s.verifier.verify(s.msgs[0]!, parseMessage(s.msgs[0]!));
      expectTsigError(
        () => s.verifier.verify(s.msgs[2]!, parseMessage(s.msgs[2]!)),
        "EDGENS_ERR_TSIG_BADSIG",
      );
    });
  });
});

// Known-answer tests against two independent TSIG implementations: Knot's kdig and BIND's dig verify the
// answers we sign (and we verify the queries they sign: signerFor refuses a bad request).
const interop = requirePrereq("TSIG interop with kdig/dig", hasCommand("kdig"), hasCommand("dig"));
describe.skipIf(!interop)("TSIG interop: kdig -y and dig -y", () => {
  const run = promisify(execFile);
  const failed = (out: string) => /WARNING|failed to verify|Couldn't verify|tsig verify failure/i.test(out);

  it.each([
    "hmac-sha1",
    "hmac-sha256",
    "hmac-sha384",
    "hmac-sha512",
  ] as TsigAlgorithm[])("%s over UDP: both accept our signature, and both notice a wrong one", async (alg) => {
    const k = { ...key, algorithm: alg };
    const bad = { ...otherSecret, algorithm: alg };
    for (const signWith of [k, bad]) {
      const srv = await startFakeUdp((q) => {
        const request = verifyRequest(q, parseMessage(q), [k]); // throws (no answer) if kdig/dig signed badly
        return new StreamSigner(signWith, request.mac).sign(answerTo(q, [soa(7)]));
      });
      try {
        for (const tool of ["kdig", "dig"]) {
          const r = await run(tool, [
            "@127.0.0.1",
            "-p",
            String(srv.port),
            "-y",
            tsigKeyToDigArg(k),
            "SOA",
            "xfr.test.",
          ]);
          const out = r.stdout + r.stderr;
          expect(out, `${tool} ${alg}`).toContain("hostmaster.xfr.test. 7 ");
          expect(
            failed(out),
            `${tool} ${alg} with ${signWith === k ? "right" : "wrong"} secret:\n${out}`,
          ).toBe(signWith !== k);
        }
      } finally {
        await srv.close();
      }
    }
  });

  it.each([
    false,
    true,
  ])("dig (and kdig) verify a multi-message AXFR we sign with unsigned intermediate messages (tampered: %s)", async (tamper) => {
    const srv = await startFakeTcp((q, sock) => {
      const signer = signerFor(q, [key]);
      const pattern = [true, false, false, true, false, true];
      pattern.forEach((signed, i) => {
        const records =
          i === 0 ? [soa(5), a("h0.xfr.test.", "192.0.2.0")] : [a(`h${i}.xfr.test.`, "192.0.2.1")];
        if (i === pattern.length - 1) records.push(soa(5));
        const msg = Buffer.from(signer.sign(answerTo(q, records, { question: i === 0 }), signed));
        // Changing an unsigned message after the signer saw it must break the next signed message's MAC.
        if (tamper && i === 1) msg.writeUInt8(msg.readUInt8(msg.length - 1) ^ 1, msg.length - 1);
        sock.write(frame(msg));
      });
    });
    try {
      // kdig 3.2 does not notice a tampered unsigned message; dig does. Both must accept the honest stream.
      for (const tool of tamper ? ["dig"] : ["dig", "kdig"]) {
        const r = await run(tool, [
          "@127.0.0.1",
          "-p",
          String(srv.port),
          "-y",
          tsigKeyToDigArg(key),
          "AXFR",
          "xfr.test.",
        ]);
        const out = r.stdout + r.stderr;
        expect(failed(out), `${tool}:\n${out}`).toBe(tamper);
        if (!tamper) {
          expect(out).toContain("h5.xfr.test.");
          expect(out).toMatch(/6 messages|messages 6/);
        }
      }
    } finally {
      await srv.close();
    }
  });
});
