#!/bin/sh
# Builds the edgens CLI into a private directory laid out like the package (DIR/dist, and symlinks to the tree's
# node_modules, bgp/ and package.json), as the lab's processes need it. The native addon is not needed.
# Usage: bench/lab/build-cli.sh [DIR]   (default /tmp/edgens-labbench; prints DIR/dist/cli/main.js)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${1:-/tmp/edgens-labbench}
mkdir -p "$DIR"
for x in node_modules bgp package.json; do ln -sfn "$ROOT/$x" "$DIR/$x"; done
node "$ROOT/node_modules/typescript/bin/tsc" -p "$ROOT/tsconfig.build.json" --outDir "$DIR/dist" || true
test -f "$DIR/dist/cli/main.js" && test -f "$DIR/dist/lab/ns-helper-main.js"
echo "$DIR/dist/cli/main.js"
