#!/bin/sh
# ExaBGP API process wrapper (rendered into exabgp.conf by `edgens bgp render`).
# ExaBGP keeps the routes of an API process that died while it respawns it, and Node needs ~0.1-2 s to start:
# print the withdrawals first (in ~1 ms), so a dead agent fails closed at once, then run the health agent, which
# announces again only after its own checks pass.
# usage: withdraw-then-exec.sh PREFIX NEXT_HOP [PREFIX NEXT_HOP ...] -- COMMAND [ARG ...]
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  printf 'withdraw route %s next-hop %s\n' "$1" "$2"
  shift 2
done
[ "$#" -gt 0 ] && shift
exec "$@"
