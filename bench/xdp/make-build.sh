#!/usr/bin/env bash
# A private build of one commit for xdp-bench.sh -b: the commit's files (git archive, read-only for the repo),
# its JavaScript (tsc), its BPF objects (clang -target bpf of its native/bpf/), and the addon copied from this
# tree's build/Release (rebuilding it with node-gyp takes minutes). node_modules is this tree's, linked.
#   bench/xdp/make-build.sh REV OUTDIR        e.g. bench/xdp/make-build.sh HEAD /tmp/edgens-build
set -euo pipefail
REV=${1:?usage: make-build.sh REV OUTDIR}
OUT=${2:?usage: make-build.sh REV OUTDIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[[ ! -e $OUT ]] || { echo "$OUT exists; choose a new directory" >&2; exit 1; }
[[ -f $ROOT/build/Release/edgens_fastpath.node ]] || { echo "no addon in $ROOT/build/Release: npm run build:native" >&2; exit 1; }
mkdir -p "$OUT"
git -C "$ROOT" archive "$REV" | tar -x -C "$OUT"
ln -s "$ROOT/node_modules" "$OUT/node_modules"
(cd "$OUT" && node node_modules/typescript/bin/tsc -p tsconfig.build.json)
mkdir -p "$OUT/native/build" "$OUT/build/Release"
for n in edgens bounce; do
  clang -O2 -g -target bpf -Wall -I "/usr/include/$(uname -m)-linux-gnu" -c "$OUT/native/bpf/$n.bpf.c" \
    -o "$OUT/native/build/$n.bpf.o"
done
cp "$ROOT"/build/Release/*.node "$OUT/build/Release/"
echo "$(git -C "$ROOT" rev-parse --short "$REV") built in $OUT" >&2
