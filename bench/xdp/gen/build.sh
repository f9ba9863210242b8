#!/usr/bin/env bash
# Build edgens-xdpgen (bench/xdp/README.md) into OUTDIR: xdpgen.bpf.o (clang -target bpf) and the
# edgens-xdpgen binary (cc, system libbpf). Needs clang, libbpf-dev, linux-libc-dev.
#   bench/xdp/gen/build.sh OUTDIR
set -euo pipefail
OUT=${1:?usage: build.sh OUTDIR}
SRC=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
MULTIARCH=/usr/include/$(uname -m)-linux-gnu # <asm/types.h> for linux/bpf.h under -target bpf
clang -O2 -g -target bpf -Wall -I "$MULTIARCH" -c "$SRC/xdpgen.bpf.c" -o "$OUT/xdpgen.bpf.o"
${CC:-cc} -O2 -g -Wall -Wextra -o "$OUT/edgens-xdpgen" "$SRC/xdpgen.c" -lbpf
