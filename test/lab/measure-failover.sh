#!/bin/sh
# Failover figures for docs/LAB.md: a 3-site lab, every fail mode REPS times (rotating over the sites so no node
# collects flaps too fast), each followed by a restore. Usage (root, built CLI):
#   test/lab/measure-failover.sh [EDGENS_CLI_JS] [REPS]   e.g. test/lab/measure-failover.sh dist/cli/main.js 3
set -eu
CLI=${1:-dist/cli/main.js}
REPS=${2:-3}
NAME=meas
lab() { node "$CLI" lab "$@" --name "$NAME"; }
trap 'lab down >/dev/null 2>&1 || true' EXIT INT TERM
lab down >/dev/null 2>&1 || true
lab up >/dev/null
rep=1
while [ "$rep" -le "$REPS" ]; do
  for pair in kill:s1 hang:s2 wrong-answers:s3 agent-kill:s1 exabgp-kill:s2 drain:s3; do
    mode=${pair%%:*}
    node=${pair#*:}/n1
    echo "== rep $rep: $mode on $node"
    lab fail "$node" --mode "$mode"
    sleep 1
    lab restore "$node"
    sleep 1
  done
  rep=$((rep + 1))
done
