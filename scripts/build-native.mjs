// Builds the optional native parts: the batch-UDP addon (recvmmsg/sendmmsg; needs only a C++ compiler), the BPF
// objects (clang -target bpf → native/build/*.bpf.o) and the libbpf XDP addon (build/Release/edgens_fastpath.node).
// Never fails the install: without them the node serves through node:dgram and socket-only, and this script (like
// `edgens serve`) says once what to install. EDGENS_SKIP_NATIVE=1 skips the build; EDGENS_NATIVE_STRICT=1 makes
// a failed build exit 1; EDGENS_TEST_NO_LIBBPF=1 builds as if libbpf were missing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { arch } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bpfDir = join(root, "native", "bpf");
const outDir = join(root, "native", "build");
const FIX =
  "apt-get install clang llvm libbpf-dev linux-libc-dev g++ make python3, then run `node scripts/build-native.mjs`";
const BPF_SOURCES = ["edgens", "bounce"];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", ...opts });
  if (r.error)
    return { ok: false, out: `${cmd}: ${r.error.code === "ENOENT" ? "not found" : r.error.message}` };
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** The lines that say what went wrong (compiler errors, gyp's "stack Error"), else the last few lines. */
function tail(text, lines = 8) {
  const all = text.trim().split("\n");
  const errors = all.filter(
    (l) =>
      /error|not found/i.test(l) &&
      !/gyp ERR! (stack {2}|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l),
  );
  return (errors.length > 0 ? errors : all)
    .slice(-lines)
    .map((l) => `    ${l}`)
    .join("\n");
}

/** Debian's multiarch include dir holds <asm/types.h>, which linux/bpf.h needs under -target bpf. */
function multiarchInclude() {
  const m = { x64: "x86_64", arm64: "aarch64", arm: "arm", ppc64: "powerpc64le", s390x: "s390x" }[arch()];
  const dir = m ? `/usr/include/${m}-linux-gnu${m === "arm" ? "eabihf" : ""}` : null;
  return dir && existsSync(dir) ? ["-I", dir] : [];
}

function buildBpf() {
  if (!existsSync("/usr/include/bpf/bpf_helpers.h"))
    return "libbpf headers (/usr/include/bpf/bpf_helpers.h) are missing";
  mkdirSync(outDir, { recursive: true });
  for (const name of BPF_SOURCES) {
    const r = run("clang", [
      "-O2",
      "-g",
      "-target",
      "bpf",
      "-Wall",
      ...multiarchInclude(),
      "-c",
      join(bpfDir, `${name}.bpf.c`),
      "-o",
      join(outDir, `${name}.bpf.o`),
    ]);
    if (!r.ok) return `clang could not build ${name}.bpf.c:\n${tail(r.out)}`;
  }
  return null;
}

/** Both addons in one node-gyp run: batch UDP (needs only a C++ compiler) and, with libbpf, the XDP addon. */
function buildAddons() {
  const withLibbpf = existsSync("/usr/include/bpf/libbpf.h") && process.env.EDGENS_TEST_NO_LIBBPF !== "1";
  let gyp;
  try {
    gyp = join(dirname(fileURLToPath(import.meta.resolve("node-gyp/package.json"))), "bin", "node-gyp.js");
  } catch {
    return { udp: "node-gyp is not installed (npm dependency missing)", xdp: "node-gyp is not installed" };
  }
  // Unknown --key=value options become gyp variables (binding.gyp's with_libbpf).
  const args = [gyp, "rebuild", "--directory", root, `--with_libbpf=${withLibbpf ? 1 : 0}`];
  // Use the headers that ship with this node (Debian, nvm, official tarballs) instead of downloading them.
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, "include", "node", "common.gypi"))) args.push(`--nodedir=${prefix}`);
  const r = run(process.execPath, args);
  if (!r.ok) {
    const why = `node-gyp could not build the addons:\n${tail(r.out)}`;
    return { udp: why, xdp: why };
  }
  return {
    udp: null,
    xdp: withLibbpf ? null : "libbpf development files (/usr/include/bpf/libbpf.h) are missing",
  };
}

function main() {
  if (process.env.EDGENS_SKIP_NATIVE === "1") {
    console.log("edgens: EDGENS_SKIP_NATIVE=1, XDP fast path not built (socket-only mode)");
    return 0;
  }
  const problems = [];
  const bpf =
    process.env.EDGENS_TEST_NO_LIBBPF === "1" ? "libbpf headers are missing (simulated)" : buildBpf();
  if (bpf) problems.push(bpf);
  const addons = buildAddons();
  if (addons.xdp && addons.xdp !== addons.udp) problems.push(addons.xdp);
  console.log(
    addons.udp
      ? `edgens: batch UDP addon not built (node:dgram is used instead):\n  ${addons.udp}`
      : "edgens: batch UDP addon built (build/Release/edgens_udp.node)",
  );
  if (problems.length === 0 && !addons.udp) {
    console.log(
      "edgens: XDP fast path built (native/build/edgens.bpf.o, build/Release/edgens_fastpath.node)",
    );
    return 0;
  }
  if (problems.length > 0)
    console.log(
      `edgens: XDP fast path not built; edgens still works (socket-only mode).\n  ${problems.join("\n  ")}\n  To enable it: ${FIX}`,
    );
  return process.env.EDGENS_NATIVE_STRICT === "1" ? 1 : 0;
}

process.exitCode = main();
