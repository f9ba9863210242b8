#!/usr/bin/env bash
# XDP benchmark: edgens with its XDP fast path vs edgens socket-only, NSD and Knot DNS in XDP mode, through a veth
# pair between two network namespaces, kxdpgun (knot-dnsutils, AF_XDP) as the generator in the client namespace.
#
#   sudo bench/xdp/xdp-bench.sh [-d SECONDS] [-r REPEATS] [-Q QPS] [-s "SERVERS"] [-q "QUERY_SETS"] [-H HOSTS]
#
# SERVERS (default "bounce edgens-xdp edgens-sock nsd knot-xdp"):
#   bounce       native/build/bounce.bpf.o on the server veth (swap MACs, XDP_TX): the generator's own ceiling —
#                kxdpgun does not count the bounced frames as replies, so its *sent* rate is the figure
#   edgens-xdp   edgens serve --workers 1 --xdp IF (CPU 1); hits are answered in the kernel
#   edgens-sock  edgens serve --workers 1 (CPU 1), socket path only
#   nsd          NSD server-count 1 (CPU 1), rrl off
#   knot-xdp     Knot DNS with `xdp: listen: IF` (one queue, one XDP worker, re-pinned to CPU 1)
# QUERY_SETS (default "hits mix"): hits = the A/AAAA-for-existing-names lines of bench/gen-zone.mjs's query file
#   (every one can be answered by XDP), half of them with EDNS; mix = the whole file (20 % NXDOMAIN, referrals,
#   wildcards, NODATA: these go to the sockets).
# Per run: kxdpgun -t SECONDS -Q QPS pinned to CPU 0 (-F 0); qps = replies/s, lost = sent - replies. While an XDP
# program is on the server veth its NAPI poll is threaded and pinned to CPU 1 (see pin_napi). Server CPU = ticks of
# the processes in the server namespace; XDP work runs in the NAPI kthread/softirq and is not in that figure, so
# the system-wide softirq time of the run is printed beside it. Prints a Markdown table of medians and ratios.
# Namespaces edgens-fp-bench-s / edgens-fp-bench-c and everything started here are removed on exit (trap).
set -euo pipefail

DUR=5
REPEATS=1
QPS=1000000
HOSTS=4000
SERVERS="bounce edgens-xdp edgens-sock nsd knot-xdp"
QSETS="hits mix"
while getopts "d:r:Q:s:q:H:h" opt; do
  case $opt in
    d) DUR=$OPTARG ;;
    r) REPEATS=$OPTARG ;;
    Q) QPS=$OPTARG ;;
    s) SERVERS=$OPTARG ;;
    q) QSETS=$OPTARG ;;
    H) HOSTS=$OPTARG ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
  esac
done
# Bounded: every generator run has a time limit, and so does every wait below.
((DUR >= 1 && DUR <= 60 && REPEATS >= 1 && REPEATS <= 10)) || { echo "duration 1-60 s, repeats 1-10" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRV_NS=edgens-fp-bench-s
CLI_NS=edgens-fp-bench-c
SRV_IF=fpbs
CLI_IF=fpbc
SRV_IP=10.254.0.1
CLI_IP=10.254.0.2
PORT=53 # inside the private namespace

[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces, XDP)" >&2; exit 1; }
for c in ip ethtool taskset kxdpgun dig node /usr/sbin/nsd /usr/sbin/knotd; do
  command -v "$c" >/dev/null || { echo "missing: $c" >&2; exit 1; }
done
[[ -f $ROOT/native/build/bounce.bpf.o && -f $ROOT/native/build/edgens.bpf.o ]] ||
  { echo "BPF objects not built: npm run build:native" >&2; exit 1; }

WORK=$(mktemp -d /tmp/edgens-fp-bench.XXXXXX)
chmod 755 "$WORK"
SERVER_PGID=""

stop_server() {
  if [[ -n $SERVER_PGID ]]; then
    kill -TERM -- "-$SERVER_PGID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$SERVER_PGID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVER_PGID" 2>/dev/null || true
    SERVER_PGID=""
  fi
  # bounce is attached by ip(8); Knot leaves its XDP program attached after it exits (LAB-NOTES).
  ip -n "$SRV_NS" link set dev "$SRV_IF" xdp off 2>/dev/null || true
  ip -n "$SRV_NS" link set dev "$SRV_IF" xdpgeneric off 2>/dev/null || true
}

cleanup() {
  stop_server
  ip netns del "$SRV_NS" 2>/dev/null || true
  ip netns del "$CLI_NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

mac_of() { ip -n "$1" link show "$2" | awk '/link\/ether/ {print $2}'; }

# --- topology -------------------------------------------------------------------------------------------------
setup_net() {
  ip netns del "$SRV_NS" 2>/dev/null || true
  ip netns del "$CLI_NS" 2>/dev/null || true
  ip netns add "$SRV_NS"
  ip netns add "$CLI_NS"
  ip link add "$SRV_IF" netns "$SRV_NS" type veth peer name "$CLI_IF" netns "$CLI_NS"
  ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF"
  ip -n "$CLI_NS" addr add "$CLI_IP/24" dev "$CLI_IF"
  for ns in "$SRV_NS" "$CLI_NS"; do ip -n "$ns" link set lo up; done
  ip -n "$SRV_NS" link set "$SRV_IF" up
  ip -n "$CLI_NS" link set "$CLI_IF" up
  # LAB-NOTES: veth TX checksum offload breaks XDP round trips.
  ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" tx off >/dev/null
  ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tx off >/dev/null
  # kxdpgun's own XDP program sits on the client end (it is also what makes veth deliver XDP_TX frames there).
  # Static neighbours: kxdpgun takes frames before the stack could answer ARP.
  SRV_MAC=$(mac_of "$SRV_NS" "$SRV_IF")
  CLI_MAC=$(mac_of "$CLI_NS" "$CLI_IF")
  ip -n "$SRV_NS" neigh replace "$CLI_IP" lladdr "$CLI_MAC" dev "$SRV_IF" nud permanent
  ip -n "$CLI_NS" neigh replace "$SRV_IP" lladdr "$SRV_MAC" dev "$CLI_IF" nud permanent
}

# --- inputs ---------------------------------------------------------------------------------------------------
prepare() {
  node "$ROOT/bench/gen-zone.mjs" "$WORK" "$HOSTS" >&2
  # hits: the positive A/AAAA lines, every other one with EDNS (kxdpgun flag E).
  grep -E '^h[0-9]+\.bench\.test\. (A|AAAA)$' "$WORK/queries.txt" | awk 'NR % 2 {print; next} {print $0 " E"}' \
    >"$WORK/q-hits.txt"
  cp "$WORK/queries.txt" "$WORK/q-mix.txt"
  chmod 644 "$WORK"/*
  if [[ -n ${EDGENS_CLI:-} ]]; then
    EDGENS=$EDGENS_CLI
  else
    log "building edgens into $WORK/edgens"
    mkdir -p "$WORK/edgens"
    (cd "$ROOT" && node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "$WORK/edgens/dist" >&2) ||
      true # type errors elsewhere in the tree still emit JavaScript
    # The addon and the BPF object are found relative to the package root.
    ln -s "$ROOT/package.json" "$ROOT/node_modules" "$ROOT/build" "$ROOT/native" "$WORK/edgens/"
    EDGENS=$WORK/edgens/dist/cli/main.js
  fi
  [[ -f $EDGENS ]] || { echo "edgens did not build" >&2; exit 1; }
}

nsd_conf() {
  cat <<EOF
server:
  ip-address: $SRV_IP@$PORT
  port: $PORT
  server-count: 1
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
  rundir: "$WORK/knot"
  pidfile: "$WORK/knot/knot.pid"
  listen: $SRV_IP@$PORT
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
xdp:
  listen: $SRV_IF
  udp: on
control:
  listen: "$WORK/knot/knot.sock"
database:
  storage: "$WORK/knot"
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
  local pin=(taskset -c 1) cmd=()
  case $1 in
    bounce)
      ip -n "$SRV_NS" link set dev "$SRV_IF" xdp obj "$ROOT/native/build/bounce.bpf.o" sec xdp
      pin_napi
      return 0
      ;;
    edgens-xdp)
      cmd=(node "$EDGENS" serve --zone "bench.test.=$WORK/bench.test.zone" --listen "$SRV_IP:$PORT" --workers 1
        --xdp "$SRV_IF" --metrics 127.0.0.1:9153 --log-level info)
      ;;
    edgens-sock)
      cmd=(node "$EDGENS" serve --zone "bench.test.=$WORK/bench.test.zone" --listen "$SRV_IP:$PORT" --workers 1
        --log-level warn)
      ;;
    nsd)
      nsd_conf >"$WORK/nsd.conf"
      cmd=(/usr/sbin/nsd -d -c "$WORK/nsd.conf")
      ;;
    knot-xdp)
      mkdir -p "$WORK/knot"
      chmod 777 "$WORK/knot" # knotd drops privileges and writes its pid, socket and journal here
      knot_conf >"$WORK/knot.conf"
      cmd=(/usr/sbin/knotd -c "$WORK/knot.conf")
      ;;
  esac
  # setsid: its own process group, so NSD's children and edgens' workers are stopped together.
  setsid ip netns exec "$SRV_NS" "${pin[@]}" "${cmd[@]}" >"$WORK/$1.log" 2>&1 &
  local pid=$!
  sleep 0.3
  SERVER_PGID=$(ps -o pgid= -p "$pid" | tr -d ' ')
  for _ in $(seq 100); do
    if ip netns exec "$CLI_NS" dig +time=1 +tries=1 -p "$PORT" "@$SRV_IP" h1.bench.test. A 2>/dev/null |
      grep -q "status: NOERROR"; then
      # Knot pins its XDP worker to CPU i itself: move every thread to CPU 1, away from the generator.
      if [[ $1 == knot-xdp ]]; then
        for p in $(ip netns pids "$SRV_NS"); do taskset -a -p -c 1 "$p" >/dev/null; done
      fi
      pin_napi
      # Say which path serves (edgens logs one line about the fast path; warn level shows only "off").
      grep -ho '"msg":"XDP[^"]*"' "$WORK/$1.log" >&2 || true
      return 0
    fi
    sleep 0.2
  done
  log "$1 did not answer within 20 s:"
  cat "$WORK/$1.log" >&2
  return 1
}

# With an XDP program attached, veth runs it (and the rest of its receive path) in a NAPI poll, by default in
# softirq on the *sender's* CPU — the generator's. Threaded NAPI makes that poll a kthread, pinned here to the
# server CPU, as a NIC's receive queue would be. Only possible while a program is attached (else no NAPI).
pin_napi() {
  local p
  ip netns exec "$SRV_NS" sh -c "echo 1 > /sys/class/net/$SRV_IF/threaded" 2>/dev/null || return 0
  for p in $(pgrep -f "^napi/$SRV_IF-" || true); do taskset -p -c 1 "$p" >/dev/null; done
}

server_ticks() { # CPU ticks (user+system) of every process in the server namespace
  local total=0 pid t
  for pid in $(ip netns pids "$SRV_NS"); do
    t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

softirq_ticks() { awk '/^cpu / {print $8}' /proc/stat; }

# --- measurement ----------------------------------------------------------------------------------------------
kxdpgun_run() { # $1 = query file, $2 = seconds → kxdpgun output
  ip netns exec "$CLI_NS" timeout $(($2 + 20)) kxdpgun -t "$2" -Q "$QPS" -F 0 -i "$1" -I "$CLI_IF" \
    -R "$SRV_MAC" "$SRV_IP" 2>&1
}

run_one() { # $1 = server, $2 = query set, $3 = repeat → one TSV line
  local out="$WORK/$1.$2.$3.txt" t0 t1 s0 s1 hz
  hz=$(getconf CLK_TCK)
  t0=$(server_ticks)
  s0=$(softirq_ticks)
  kxdpgun_run "$WORK/q-$2.txt" "$DUR" >"$out" || true
  t1=$(server_ticks)
  s1=$(softirq_ticks)
  awk -v name="$1" -v qs="$2" -v rep="$3" -v dur="$DUR" -v cpu="$(((t1 - t0) * 100 / hz))" \
    -v sirq="$(((s1 - s0) * 100 / hz))" '
    /total queries:/ {sent=$3; gsub(/[(]/, "", $4); spps=$4}
    /total replies:/ {got=$3; gsub(/[(]/, "", $4); rpps=$4}
    END { printf "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\n", name, qs, rep, spps, rpps, sent, got, sent-got,
          cpu/100, sirq/100 }' "$out"
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) {print 0; exit} print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# --- main -----------------------------------------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "load before start: ${LOAD_START}; $(nproc) CPUs; $(kxdpgun -V 2>&1 | head -1)"
setup_net
prepare
RESULTS=$WORK/results.tsv
: >"$RESULTS"
for r in $(seq "$REPEATS"); do
  for s in $SERVERS; do
    log "== $s, round $r (load $(cut -d' ' -f1 /proc/loadavg))"
    if ip -n "$SRV_NS" link show "$SRV_IF" | grep -q "prog/xdp"; then
      log "an XDP program is still attached to $SRV_IF: $(ip -n "$SRV_NS" -d link show "$SRV_IF" | grep prog/xdp)"
    fi
    start_server "$s" || { stop_server; continue; }
    kxdpgun_run "$WORK/q-hits.txt" 1 >/dev/null || true # warm-up (JIT, caches), not counted
    for q in $QSETS; do
      line=$(run_one "$s" "$q" "$r")
      echo "$line" >>"$RESULTS"
      log "$(echo "$line" | awk -F'\t' '{printf "%s/%s #%s: sent %s/s, replies %s/s, lost %s of %s, server CPU %s s, softirq %s s", $1,$2,$3,$4,$5,$8,$6,$9,$10}')"
    done
    if [[ $s == edgens-xdp ]]; then # which path answered (the mix sends misses to the socket)
      ip netns exec "$SRV_NS" node "$EDGENS" stats --metrics 127.0.0.1:9153 2>&1 | sed 's/^/    /' >&2 || true
    fi
    stop_server
    sleep 0.5
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "kxdpgun -t ${DUR} -Q ${QPS} -F 0 (CPU 0), servers on CPU 1, ${REPEATS} round(s), medians; $(date -u +%Y-%m-%dT%H:%MZ); load average at start ${LOAD_START}, at end ${LOAD_END}"
echo
echo "| server | queries | sent/s | replies/s (qps) | lost | server process CPU s | system softirq s |"
echo "|---|---|---|---|---|---|---|"
for s in $SERVERS; do
  for q in $QSETS; do
    grep -q "^$s	$q	" "$RESULTS" || continue
    col() { awk -F'\t' -v s="$s" -v q="$q" -v c="$1" '$1==s && $2==q {print $c}' "$RESULTS" | median; }
    sp=$(col 4); rp=$(col 5); lo=$(col 8); cp=$(col 9); si=$(col 10)
    [[ $s == bounce ]] && rp="(not DNS)"
    echo "| $s | $q | $sp | $rp | $lo | $cp | $si |"
    eval "R_${s//-/_}_$q=$rp"
    eval "S_${s//-/_}_$q=$sp"
  done
done
echo
for q in $QSETS; do
  base_v="R_edgens_sock_$q"
  for s in edgens_xdp nsd knot_xdp; do
    v="R_${s}_$q"
    if [[ -n ${!v:-} && -n ${!base_v:-} && ${!base_v} != 0 ]]; then
      awk -v a="${!v}" -v b="${!base_v}" -v n="$s" -v q="$q" 'BEGIN {printf "%s / edgens-sock (%s): %.2f\n", n, q, a/b}'
    fi
  done
  xv="R_edgens_xdp_$q"
  kv="R_knot_xdp_$q"
  if [[ -n ${!xv:-} && -n ${!kv:-} && ${!kv} != 0 ]]; then
    awk -v a="${!xv}" -v b="${!kv}" -v q="$q" 'BEGIN {printf "edgens-xdp / knot-xdp (%s): %.2f\n", q, a/b}'
  fi
done
if [[ -n ${S_bounce_hits:-} ]]; then echo "generator ceiling (kxdpgun sending against the bounce program): ${S_bounce_hits} queries/s"; fi
