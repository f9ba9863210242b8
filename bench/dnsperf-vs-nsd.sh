#!/usr/bin/env bash
# Throughput benchmark: edgens vs NSD (and a trivial responder for dnsperf's own ceiling), through a veth pair
# between two network namespaces, dnsperf pinned to CPU 0 in the client namespace.
#
#   sudo bench/dnsperf-vs-nsd.sh [-d SECONDS] [-r REPEATS] [-q LATENCY_QPS] [-H HOSTS] [-s "SERVERS"]
#
# SERVERS (default "trivial edgens1 nsd1 edgens2 nsd2"):
#   trivial  bench/trivial-responder.c (header+question, REFUSED) pinned to CPU 1 — the generator's ceiling
#   edgens1  edgens --workers 1, pinned to CPU 1        nsd1  NSD server-count 1, pinned to CPU 1
#   edgens2  edgens --workers 2, unpinned               nsd2  NSD server-count 2, unpinned
#   knot1    Knot DNS udp-workers 1, pinned to CPU 1 (optional, not in the default list)
# Per run: a saturating run (-l SECONDS, 200 outstanding, 1 s timeout) for qps/lost/avg latency and server CPU per
# query; in round 1 also a fixed-rate run (-Q LATENCY_QPS, 5 s, verbose) for latency percentiles. Rounds interleave
# the servers. Prints a Markdown table of medians.
# The edgens CLI is compiled into node_modules/.cache/edgens-bench (EDGENS_CLI=path overrides).
# Namespaces edgens-bench-srv / edgens-bench-cli and everything started here are removed on exit (trap).
set -euo pipefail

DUR=10
REPEATS=3
LAT_QPS=5000
HOSTS=4000
SERVERS="trivial edgens1 nsd1 edgens2 nsd2"
while getopts "d:r:q:H:s:h" opt; do
  case $opt in
    d) DUR=$OPTARG ;;
    r) REPEATS=$OPTARG ;;
    q) LAT_QPS=$OPTARG ;;
    H) HOSTS=$OPTARG ;;
    s) SERVERS=$OPTARG ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
  esac
done
# Bounded: every dnsperf run has a time limit, and the whole script has a ceiling.
((DUR >= 1 && DUR <= 60 && REPEATS >= 1 && REPEATS <= 10)) || { echo "duration 1-60 s, repeats 1-10" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRV_NS=edgens-bench-srv
CLI_NS=edgens-bench-cli
SRV_IF=edgens-bsrv
CLI_IF=edgens-bcli
SRV_IP=10.253.0.1
CLI_IP=10.253.0.2
PORT=53 # inside the private namespace, not the host's loopback

[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces)" >&2; exit 1; }
for c in ip ethtool taskset dnsperf dig cc node /usr/sbin/nsd; do
  command -v "$c" >/dev/null || { echo "missing: $c" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/edgens-bench.XXXXXX)
chmod 755 "$WORK"
SERVER_PGID=""

stop_server() {
  if [[ -n $SERVER_PGID ]]; then
    kill -TERM -- "-$SERVER_PGID" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 -- "-$SERVER_PGID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVER_PGID" 2>/dev/null || true
    SERVER_PGID=""
  fi
}

# Every process inside our two namespaces was started by this script (server, dnsperf): stop them by PID.
kill_ns_pids() {
  local pids
  pids=$(ip netns pids "$1" 2>/dev/null || true)
  [[ -n $pids ]] && kill -TERM $pids 2>/dev/null || true
}

cleanup() {
  stop_server
  kill_ns_pids "$CLI_NS"
  kill_ns_pids "$SRV_NS"
  sleep 0.2
  ip netns del "$SRV_NS" 2>/dev/null || true
  ip netns del "$CLI_NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# --- topology -------------------------------------------------------------------------------------------------
setup_net() {
  ip netns del "$SRV_NS" 2>/dev/null || true
  ip netns del "$CLI_NS" 2>/dev/null || true
  ip netns add "$SRV_NS"
  ip netns add "$CLI_NS"
  ip link add "$SRV_IF" type veth peer name "$CLI_IF"
  ip link set "$SRV_IF" netns "$SRV_NS"
  ip link set "$CLI_IF" netns "$CLI_NS"
  ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF"
  ip -n "$CLI_NS" addr add "$CLI_IP/24" dev "$CLI_IF"
  for ns in "$SRV_NS" "$CLI_NS"; do ip -n "$ns" link set lo up; done
  ip -n "$SRV_NS" link set "$SRV_IF" up
  ip -n "$CLI_NS" link set "$CLI_IF" up
  # LAB-NOTES: veth TX checksum offload breaks later XDP round trips; keep the same setting for every server.
  ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" tx off >/dev/null
  ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tx off >/dev/null
}

# --- inputs ---------------------------------------------------------------------------------------------------
prepare() {
  node "$ROOT/bench/gen-zone.mjs" "$WORK" "$HOSTS" >&2
  chmod 644 "$WORK"/*
  cc -O2 -o "$WORK/trivial-responder" "$ROOT/bench/trivial-responder.c"
  EDGENS=""
  if [[ " $SERVERS " == *" edgens"* ]]; then
    if [[ -n ${EDGENS_CLI:-} ]]; then
      EDGENS=$EDGENS_CLI
    elif [[ -f $ROOT/src/cli/main.ts ]]; then
      log "building edgens into node_modules/.cache/edgens-bench"
      (cd "$ROOT" && node node_modules/typescript/bin/tsc -p tsconfig.build.json \
        --outDir node_modules/.cache/edgens-bench/dist >&2) || true # type errors elsewhere still emit
      EDGENS=$ROOT/node_modules/.cache/edgens-bench/dist/cli/main.js
      [[ -f $EDGENS ]] || EDGENS=""
    fi
    [[ -n $EDGENS ]] || log "SKIP edgens: src/cli/main.ts does not exist yet (or did not build)"
  fi
}

nsd_conf() { # $1 = server-count
  cat <<EOF
server:
  ip-address: $SRV_IP@$PORT
  port: $PORT
  server-count: $1
  username: ""
  chroot: ""
  zonesdir: "$WORK"
  database: ""
  pidfile: "$WORK/nsd.pid"
  xfrdfile: "$WORK/xfrd.state"
  xfrdir: "$WORK"
  zonelistfile: "$WORK/zone.list"
  logfile: "$WORK/nsd.log"
  verbosity: 0
  do-ip6: no
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  minimal-responses: yes
  identity: "bench"
remote-control:
  control-enable: no
zone:
  name: "bench.test."
  zonefile: "$WORK/bench.test.zone"
EOF
}

knot_conf() {
  cat <<EOF
server:
  rundir: "$WORK"
  pidfile: "$WORK/knot.pid"
  listen: $SRV_IP@$PORT
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
  identity: "bench"
control:
  listen: "$WORK/knot.sock"
database:
  storage: "$WORK"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$WORK"
    semantic-checks: off
    journal-content: none
    zonefile-sync: -1
zone:
  - domain: "bench.test."
    file: "$WORK/bench.test.zone"
EOF
}

# --- servers --------------------------------------------------------------------------------------------------
start_server() { # $1 = server name
  local pin=() cmd=()
  case $1 in
    trivial) pin=(taskset -c 1); cmd=("$WORK/trivial-responder" "$SRV_IP" "$PORT") ;;
    nsd1 | nsd2)
      nsd_conf "${1#nsd}" >"$WORK/nsd.conf"
      [[ $1 == nsd1 ]] && pin=(taskset -c 1)
      cmd=(/usr/sbin/nsd -d -c "$WORK/nsd.conf")
      ;;
    knot1)
      knot_conf >"$WORK/knot.conf"
      chmod 777 "$WORK" # knotd drops privileges and writes its pid, socket and journal here
      pin=(taskset -c 1)
      cmd=(/usr/sbin/knotd -c "$WORK/knot.conf")
      ;;
    edgens1 | edgens2)
      [[ $1 == edgens1 ]] && pin=(taskset -c 1)
      cmd=(node "$EDGENS" serve --zone "bench.test.=$WORK/bench.test.zone" --listen "$SRV_IP:$PORT"
        --workers "${1#edgens}" --nsid bench)
      ;;
  esac
  # setsid: its own process group, so NSD's children and edgens' workers are stopped together.
  setsid ip netns exec "$SRV_NS" "${pin[@]}" "${cmd[@]}" >"$WORK/$1.log" 2>&1 &
  local pid=$!
  sleep 0.2
  SERVER_PGID=$(ps -o pgid= -p "$pid" | tr -d ' ')
  for _ in $(seq 75); do
    if ip netns exec "$CLI_NS" dig +time=1 +tries=1 -p "$PORT" "@$SRV_IP" bench.test. SOA 2>/dev/null |
      grep -q "status:"; then
      return 0
    fi
    sleep 0.2
  done
  log "$1 did not answer within 15 s:"; cat "$WORK/$1.log" >&2
  return 1
}

# CPU ticks (user+system) of every process in the server namespace.
server_ticks() {
  local total=0 pid
  for pid in $(ip netns pids "$SRV_NS"); do
    # fields 14/15 after the ")" that ends the command name
    local t
    t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

# --- measurement ----------------------------------------------------------------------------------------------
DNSPERF=(taskset -c 0 dnsperf -s "$SRV_IP" -p "$PORT" -d "$WORK/queries.txt" -c 16 -q 200 -t 1 -T 1)

run_throughput() { # $1 = name, $2 = repeat → one TSV line
  local out="$WORK/$1.$2.txt" t0 t1 cpu_s
  t0=$(server_ticks)
  ip netns exec "$CLI_NS" timeout $((DUR + 20)) "${DNSPERF[@]}" -l "$DUR" >"$out" 2>&1
  t1=$(server_ticks)
  cpu_s=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}')
  awk -v name="$1" -v rep="$2" -v cpu="$cpu_s" -v dur="$DUR" '
    /Queries sent:/ {sent=$3} /Queries completed:/ {done=$3} /Queries lost:/ {lost=$3}
    /Queries per second:/ {qps=$4} /Average Latency/ {avg=$4}
    END { printf "%s\t%s\t%.0f\t%d\t%d\t%d\t%.3f\t%s\t%.2f\t%.0f\n", name, rep, qps, sent, done, lost, avg*1000, cpu,
          (done > 0 ? cpu*1e6/done : 0), cpu*100/dur }' "$out"
}

run_latency() { # $1 = name → p50 p90 p99 p99.9 max (ms), lost
  local out="$WORK/$1.lat.txt"
  ip netns exec "$CLI_NS" timeout 30 "${DNSPERF[@]}" -l 5 -Q "$LAT_QPS" -v >"$out" 2>&1
  awk '/^> / {print $NF*1000}' "$out" | sort -n | awk -v lost="$(awk '/Queries lost:/ {print $3}' "$out")" '
    {v[NR]=$1} END { if (NR==0) {print "-\t-\t-\t-\t-\t" lost; exit}
      printf "%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%s\n", v[int(NR*.5)+1], v[int(NR*.9)+1], v[int(NR*.99)+1],
        v[int(NR*.999)+1], v[NR], lost }'
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# --- main -----------------------------------------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "load before start: ${LOAD_START}; $(nproc) CPUs; dnsperf $(dnsperf -h 2>&1 | awk '/Version/ {print $2}')"
setup_net
prepare
RESULTS=$WORK/results.tsv
LAT=$WORK/latency.tsv
: >"$RESULTS"
: >"$LAT"
# Rounds interleave the servers (each round: every server once), so that load from other users of the machine
# spreads over all of them instead of hitting one server's repeats.
for r in $(seq "$REPEATS"); do
  for s in $SERVERS; do
    [[ $s == edgens* && -z $EDGENS ]] && continue
    log "== $s, round $r (load $(cut -d' ' -f1 /proc/loadavg))"
    start_server "$s" || { stop_server; continue; }
    # Warm-up (JIT, caches), not counted.
    ip netns exec "$CLI_NS" timeout 10 "${DNSPERF[@]}" -l 1 >/dev/null 2>&1 || true
    line=$(run_throughput "$s" "$r")
    echo "$line" >>"$RESULTS"
    log "$(echo "$line" | awk -F'\t' '{printf "%s #%s: %s qps, lost %s, avg %s ms, server CPU %s s = %s%% of one core (%s us/query)", $1,$2,$3,$6,$7,$8,$10,$9}')"
    if ((r == 1)); then
      echo -e "$s\t$(run_latency "$s")" >>"$LAT"
      log "$s latency @${LAT_QPS} qps (p50 p90 p99 p99.9 max ms, lost): $(cut -f2- <(tail -1 "$LAT"))"
    fi
    stop_server
    sleep 0.5
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "dnsperf -c 16 -q 200 -t 1 -T 1 (CPU 0), ${DUR} s x ${REPEATS} interleaved rounds, medians; latency at ${LAT_QPS} qps for 5 s (round 1); $(date -u +%Y-%m-%dT%H:%MZ); load average at start ${LOAD_START}, at end ${LOAD_END}"
echo
echo "| server | qps (median) | qps runs | lost (median) | avg latency ms | server CPU % | server CPU µs/query | p50 ms | p90 ms | p99 ms | p99.9 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for s in $SERVERS; do
  grep -q "^$s	" "$RESULTS" || continue
  q=$(awk -F'\t' -v s="$s" '$1==s {print $3}' "$RESULTS" | median)
  runs=$(awk -F'\t' -v s="$s" '$1==s {printf "%s%s", (n++ ? " / " : ""), $3}' "$RESULTS")
  l=$(awk -F'\t' -v s="$s" '$1==s {print $6}' "$RESULTS" | median)
  a=$(awk -F'\t' -v s="$s" '$1==s {print $7}' "$RESULTS" | median)
  c=$(awk -F'\t' -v s="$s" '$1==s {print $9}' "$RESULTS" | median)
  u=$(awk -F'\t' -v s="$s" '$1==s {print $10}' "$RESULTS" | median)
  p=$(awk -F'\t' -v s="$s" '$1==s {printf "%s | %s | %s | %s", $2, $3, $4, $5}' "$LAT")
  echo "| $s | $q | $runs | $l | $a | $u | $c | $p |"
  eval "MED_$s=$q"
done
echo
for pair in "edgens1 nsd1" "edgens2 nsd2"; do
  read -r e n <<<"$pair"
  ev="MED_$e"
  nv="MED_$n"
  if [[ -n ${!ev:-} && -n ${!nv:-} ]]; then
    awk -v e="${!ev}" -v n="${!nv}" -v a="$e" -v b="$n" 'BEGIN {printf "%s/%s qps ratio: %.2f\n", a, b, e/n}'
  fi
done
if [[ -n ${MED_trivial:-} ]]; then echo "dnsperf ceiling (trivial responder): ${MED_trivial} qps"; fi
