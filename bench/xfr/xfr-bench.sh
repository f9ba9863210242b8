#!/bin/sh
# Zone transfer benchmark (issue 6): see xfr-bench.mjs for what it measures. Needs root, knotd, knotc, nsd.
#   sudo bench/xfr/xfr-bench.sh [--records 1000000] [--change 100] [--rounds 3] [--only edgens,knot,nsd]
#                               [--mode reload|update] [--workers N] [--trace]
exec node "$(dirname "$0")/xfr-bench.mjs" "$@"
