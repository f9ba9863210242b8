#!/usr/bin/env bash
# XDP benchmark: edgens with its XDP fast path vs edgens socket-only, NSD and Knot DNS in XDP mode, through a veth
# pair between two network namespaces, driven by edgens-xdpgen (bench/xdp/gen: BPF_PROG_RUN live frames, replies
# counted by XDP on the client veth) or kxdpgun. How it works and why: bench/xdp/README.md.
#
#   sudo bench/xdp/xdp-bench.sh [-d SECONDS] [-r REPEATS] [-Q QPS] [-C QPS] [-s "SERVERS"] [-q "QUERY_SETS"]
#                               [-H HOSTS] [-g xdpgen|kxdpgun] [-b BUILD_DIR] [-P NAPI_RT_PRIO]
#
# SERVERS (default "bounce edgens-xdp edgens-sock nsd knot-xdp"):
#   bounce       bounce.bpf.o on the server veth (swap MACs, XDP_TX): the generator's own ceiling — xdpgen counts
#                the echoed queries as answers; kxdpgun does not, so with it the *sent* rate is the ceiling
#   edgens-xdp   edgens serve --workers 1 --xdp IF (CPU 1); hits are answered in the kernel
#   edgens-sock  edgens serve --workers 1 (CPU 1), socket path only
#   nsd          NSD server-count 1 (CPU 1), rrl off
#   knot-xdp     Knot DNS with `xdp: listen: IF` (one queue, one XDP worker, re-pinned to CPU 1)
# QUERY_SETS (default "hits mix"): hits = the A/AAAA-for-existing-names lines of bench/gen-zone.mjs's query file
#   (every one can be answered by XDP), half of them with EDNS; mix = the whole file (20 % NXDOMAIN, referrals,
#   wildcards, NODATA: XDP passes what it cannot answer to the sockets).
# -Q: target rate (xdpgen default 0 = as fast as it can; kxdpgun default 1000000). -d 1-60 s, -r 1-10.
# -C: after each run at -Q, one more of the same length paced at this rate (default 10000, 0 = none), rows
#     "SET-paced": server CPU per answer at a rate every server sustains — at saturation a socket server's
#     kernel also spends CPU on queries its full socket buffer then drops.
# -b: a build of edgens to measure (BUILD_DIR/dist/cli/main.js, BUILD_DIR/build/Release/*.node,
#     BUILD_DIR/native/build/{edgens,bounce}.bpf.o); default: a private copy of this tree made in the work dir,
#     so nobody rebuilding native/ during the run changes what is measured. EDGENS_CLI=… still works.
# -P: SCHED_FIFO priority of the two veth NAPI threads (default 50; 0 = normal scheduling). They stand for the
#     NIC's receive softirq, which preempts processes on real hardware.
# Per run: the generator pinned to CPU 0 for SECONDS, servers and the server veth's NAPI thread on CPU 1, the
# client veth's NAPI thread (reply counting) on CPU 0. Server CPU = the server NAPI thread's time on CPU (XDP
# programs, the kernel's UDP receive path) + the server processes' (schedstat), divided by the answers. Prints a
# Markdown table of medians and ratios. Namespaces edgens-fp-bench-s / -c and everything started here are
# removed on exit (trap).
set -euo pipefail

DUR=5
REPEATS=1
QPS=""
HOSTS=4000
GEN=xdpgen
BUILD=""
NAPI_PRIO=50
SERVERS="bounce edgens-xdp edgens-sock nsd knot-xdp"
QSETS="hits mix"
CPU_QPS=10000
while getopts "d:r:Q:C:s:q:H:g:b:P:h" opt; do
  case $opt in
    d) DUR=$OPTARG ;;
    r) REPEATS=$OPTARG ;;
    Q) QPS=$OPTARG ;;
    C) CPU_QPS=$OPTARG ;;
    s) SERVERS=$OPTARG ;;
    q) QSETS=$OPTARG ;;
    H) HOSTS=$OPTARG ;;
    g) GEN=$OPTARG ;;
    b) BUILD=$(cd "$OPTARG" && pwd) ;;
    P) NAPI_PRIO=$OPTARG ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
  esac
done
# Bounded: every generator run has a time limit, and so does every wait below.
((DUR >= 1 && DUR <= 60 && REPEATS >= 1 && REPEATS <= 10)) || { echo "duration 1-60 s, repeats 1-10" >&2; exit 2; }
[[ $GEN == xdpgen || $GEN == kxdpgun ]] || { echo "-g xdpgen or kxdpgun" >&2; exit 2; }
((NAPI_PRIO >= 0 && NAPI_PRIO <= 99)) || { echo "-P 0-99" >&2; exit 2; }
((CPU_QPS >= 0)) || { echo "-C QPS >= 0" >&2; exit 2; }
[[ -n $QPS ]] || { [[ $GEN == xdpgen ]] && QPS=0 || QPS=1000000; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRV_NS=edgens-fp-bench-s
CLI_NS=edgens-fp-bench-c
SRV_IF=fpbs
CLI_IF=fpbc
SRV_IP=10.254.0.1
CLI_IP=10.254.0.2
PORT=53 # inside the private namespace
GEN_CPU=0
SRV_CPU=1

[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces, XDP)" >&2; exit 1; }
for c in ip ethtool taskset chrt jq dig node clang cc /usr/sbin/nsd /usr/sbin/knotd; do
  command -v "$c" >/dev/null || { echo "missing: $c" >&2; exit 1; }
done
[[ $GEN == xdpgen ]] || command -v kxdpgun >/dev/null || { echo "missing: kxdpgun (knot-dnsutils)" >&2; exit 1; }

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
  # LAB-NOTES: veth TX checksum offload breaks XDP round trips. GRO on gives each end a NAPI instance (and its
  # ring) even without an XDP program: XDP-redirected frames to a socket-only server would otherwise be dropped,
  # and the NAPI threads below exist for the whole run.
  ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" tx off gro on >/dev/null
  ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tx off gro on >/dev/null
  pin_napi "$SRV_NS" "$SRV_IF" "$SRV_CPU"
  pin_napi "$CLI_NS" "$CLI_IF" "$GEN_CPU"
  # Static neighbours: the generators send frames, the stack never resolves anything.
  SRV_MAC=$(mac_of "$SRV_NS" "$SRV_IF")
  CLI_MAC=$(mac_of "$CLI_NS" "$CLI_IF")
  ip -n "$SRV_NS" neigh replace "$CLI_IP" lladdr "$CLI_MAC" dev "$SRV_IF" nud permanent
  ip -n "$CLI_NS" neigh replace "$SRV_IP" lladdr "$SRV_MAC" dev "$CLI_IF" nud permanent
}

# veth runs its receive path (XDP program, GRO, the IP/UDP stack) in a NAPI poll, by default in softirq on the
# CPU that queued the frame — the *sender's*. Threaded NAPI makes that poll a kthread (napi/IF-ID), pinned here
# like a NIC queue's interrupt: the server end's on the server CPU, the client end's (reply counting) on the
# generator's, at real-time priority as softirq work would preempt processes.
pin_napi() { # $1 = netns, $2 = interface, $3 = CPU
  local p found=0
  ip netns exec "$1" sh -c "echo 1 > /sys/class/net/$2/threaded"
  for p in $(pgrep "^napi/$2-" || true); do
    taskset -p -c "$3" "$p" >/dev/null
    if ((NAPI_PRIO > 0)); then chrt -f -p "$NAPI_PRIO" "$p"; fi
    found=1
  done
  ((found)) || { echo "no NAPI thread for $2 (threaded NAPI on veth needs kernel >= 5.13 and GRO on)" >&2; exit 1; }
}

# CPU time from /proc/PID/task/TID/schedstat (ns on CPU, exact), not utime+stime (sampled in 10 ms ticks: too
# coarse for ~0.1 s of NAPI work in a paced run).
task_ns() { # PIDs → ns on CPU of all their threads
  local p total=0 t
  for p in "$@"; do
    for t in /proc/"$p"/task/*/schedstat; do
      total=$((total + $(cut -d' ' -f1 "$t" 2>/dev/null || echo 0)))
    done
  done
  echo "$total"
}

napi_ns() { # $1 = interface → ns on CPU of its NAPI threads
  # shellcheck disable=SC2046 # one PID per word
  task_ns $(pgrep "^napi/$1-" || true)
}

server_ns() { # ns on CPU of every process in the server namespace
  # shellcheck disable=SC2046
  task_ns $(ip netns pids "$SRV_NS")
}

cpu_softirq_ticks() { # $1 = CPU → irq+softirq ticks of that CPU (work not charged to any thread)
  awk -v c="cpu$1" '$1 == c {print $7 + $8}' /proc/stat
}

# --- inputs ---------------------------------------------------------------------------------------------------
prepare() {
  node "$ROOT/bench/gen-zone.mjs" "$WORK" "$HOSTS" >&2
  # hits: the positive A/AAAA lines, every other one with EDNS (flag E, as kxdpgun reads it).
  grep -E '^h[0-9]+\.bench\.test\. (A|AAAA)$' "$WORK/queries.txt" | awk 'NR % 2 {print; next} {print $0 " E"}' \
    >"$WORK/q-hits.txt"
  cp "$WORK/queries.txt" "$WORK/q-mix.txt"
  chmod 644 "$WORK"/*
  if [[ $GEN == xdpgen ]]; then
    "$ROOT/bench/xdp/gen/build.sh" "$WORK/gen" >&2 || { echo "edgens-xdpgen did not build" >&2; exit 1; }
  fi
  if [[ -n $BUILD ]]; then
    EDGENS=$BUILD/dist/cli/main.js
  elif [[ -n ${EDGENS_CLI:-} ]]; then
    EDGENS=$EDGENS_CLI
    BUILD=$ROOT
  else
    # A private copy: the JavaScript, the addon and the BPF objects as they are now.
    BUILD=$WORK/edgens
    log "building edgens into $BUILD"
    mkdir -p "$BUILD/build/Release" "$BUILD/native/build"
    (cd "$ROOT" && node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "$BUILD/dist" >&2) ||
      true # type errors elsewhere in the tree still emit JavaScript
    cp "$ROOT"/build/Release/*.node "$BUILD/build/Release/"
    cp "$ROOT"/native/build/*.bpf.o "$BUILD/native/build/"
    ln -s "$ROOT/package.json" "$ROOT/node_modules" "$BUILD/"
    EDGENS=$BUILD/dist/cli/main.js
  fi
  BOUNCE_OBJ=$BUILD/native/build/bounce.bpf.o
  [[ -f $EDGENS ]] || { echo "edgens is not built: $EDGENS" >&2; exit 1; }
  [[ -f $BOUNCE_OBJ ]] || { echo "BPF objects not built: $BOUNCE_OBJ (npm run build:native)" >&2; exit 1; }
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
  local cmd=()
  case $1 in
    bounce)
      ip -n "$SRV_NS" link set dev "$SRV_IF" xdp obj "$BOUNCE_OBJ" sec xdp
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
  setsid ip netns exec "$SRV_NS" taskset -c "$SRV_CPU" "${cmd[@]}" >"$WORK/$1.log" 2>&1 &
  local pid=$!
  sleep 0.3
  SERVER_PGID=$(ps -o pgid= -p "$pid" | tr -d ' ')
  for _ in $(seq 100); do
    # Over TCP: between runs the client veth has no XDP program, and veth then leaves XDP_TX replies on its
    # ring until the next frame comes (docs/FASTPATH.md) — a UDP probe of edgens-xdp could wait forever.
    if ip netns exec "$CLI_NS" dig +tcp +time=1 +tries=1 -p "$PORT" "@$SRV_IP" h1.bench.test. A 2>/dev/null |
      grep -q "status: NOERROR"; then
      # Knot pins its XDP worker to CPU i itself: move every thread to the server CPU, away from the generator.
      if [[ $1 == knot-xdp ]]; then
        for p in $(ip netns pids "$SRV_NS"); do taskset -a -p -c "$SRV_CPU" "$p" >/dev/null; done
      fi
      # Say which path serves (edgens logs one line about the fast path; warn level shows only "off").
      grep -ho '"msg":"XDP[^"]*"' "$WORK/$1.log" >&2 || true
      if [[ $1 == edgens-xdp ]] && ! grep -q '"msg":"XDP fast path on' "$WORK/$1.log"; then
        log "edgens-xdp: the fast path is not on (see the line above); not measuring it"
        return 1
      fi
      return 0
    fi
    sleep 0.2
  done
  log "$1 did not answer within 20 s:"
  cat "$WORK/$1.log" >&2
  return 1
}

# --- generators -----------------------------------------------------------------------------------------------
# Both print "sent sent/s answered answered/s generator-CPU-s dropped-at-server-input" on stdout (- where the
# generator cannot tell); the raw output goes to $3.
gen_run() { # $1 = query file, $2 = seconds, $3 = raw output file, $4 = rate
  if [[ $GEN == xdpgen ]]; then
    ip netns exec "$CLI_NS" timeout $(($2 + 20)) "$WORK/gen/edgens-xdpgen" -i "$CLI_IF" -s "$CLI_IP" -d "$SRV_IP" \
      -p "$PORT" -m "$SRV_MAC" -f "$1" -t "$2" -Q "$4" -c "$GEN_CPU" >"$3" 2>&1 || true
    # answered = DNS replies + echoed queries (the bounce program's).
    jq -r 'select(.tool == "edgens-xdpgen") |
      "\(.sent) \(.sent_pps) \(.replies + .echoes) \(.answered_pps) \(.sender_cpu_s) \(.tx_dropped)"' \
      "$3" 2>/dev/null | grep . || { log "edgens-xdpgen failed: $(tail -3 "$3")"; echo "0 0 0 0 0 0"; }
    # Every query of both sets has a NOERROR or NXDOMAIN answer: anything else means malformed queries.
    if jq -e '.rcodes | del(.NOERROR, .NXDOMAIN) | length > 0' "$3" >/dev/null 2>&1; then
      log "WARNING: unexpected RCODEs $(jq -c .rcodes "$3")"
    fi
  else
    local t0 t1
    t0=$(date +%s.%N)
    ip netns exec "$CLI_NS" timeout $(($2 + 20)) kxdpgun -t "$2" -Q "$4" -F "$GEN_CPU" -i "$1" -I "$CLI_IF" \
      -R "$SRV_MAC" "$SRV_IP" >"$3" 2>&1 || true
    t1=$(date +%s.%N)
    awk '/total queries:/ {sent=$3; gsub(/[(]/, "", $4); spps=$4}
      /total replies:/ {got=$3; gsub(/[(]/, "", $4); rpps=$4}
      END {printf "%d %d %d %d - -\n", sent, spps, got, rpps}' "$3"
  fi
}

xdp_stats() { # edgens' counters: "xdp-answered socket-queries"
  ip netns exec "$SRV_NS" node "$EDGENS" stats --json --metrics 127.0.0.1:9153 2>/dev/null |
    jq -r '"\(.xdp.answered // 0) \(.queries.socket // 0)"' 2>/dev/null || echo "0 0"
}

# --- measurement ----------------------------------------------------------------------------------------------
run_one() { # $1 = server, $2 = query set, $3 = repeat, $4 = rate, $5 = label → one TSV line
  local out="$WORK/$1.$5.$3.out" hz n0 n1 p0 p1 c0 c1 i0 i1 x0=(0 0) x1=(0 0) g hit=- rate=$4
  hz=$(getconf CLK_TCK)
  [[ $1 == edgens-xdp ]] && read -ra x0 <<<"$(xdp_stats)"
  n0=$(napi_ns "$SRV_IF")
  p0=$(server_ns)
  c0=$(napi_ns "$CLI_IF")
  i0=$(cpu_softirq_ticks "$SRV_CPU")
  g=$(gen_run "$WORK/q-$2.txt" "$DUR" "$out" "$rate")
  i1=$(cpu_softirq_ticks "$SRV_CPU")
  n1=$(napi_ns "$SRV_IF")
  p1=$(server_ns)
  c1=$(napi_ns "$CLI_IF")
  if [[ $1 == edgens-xdp ]]; then # the share of the answers that came from XDP
    read -ra x1 <<<"$(xdp_stats)"
    hit=$(awk -v x=$((x1[0] - x0[0])) -v s=$((x1[1] - x0[1])) 'BEGIN {printf "%.3f", (x + s) ? x / (x + s) : 0}')
  fi
  # server name, set, round, sent, sent/s, answered, answered/s, lost, server NAPI s, server processes s,
  # µs server CPU per answer, generator CPU s (sender + client NAPI), XDP hit rate, dropped at the server's input
  # (its veth ring full: the server is slower than the generator)
  read -r sent spps got gpps gcpu txdrop <<<"$g"
  awk -v n="$1" -v q="$5" -v r="$3" -v sent="$sent" -v spps="$spps" -v got="$got" -v gpps="$gpps" \
    -v napi="$(((n1 - n0) / 1000000))" -v proc="$(((p1 - p0) / 1000000))" -v cnapi="$(((c1 - c0) / 1000000))" \
    -v gcpu="$gcpu" -v hit="$hit" -v txdrop="$txdrop" -v sirq="$(((i1 - i0) * 1000 / hz))" 'BEGIN {
      cpu = (napi + proc) / 1000
      us = got ? sprintf("%.2f", cpu * 1e6 / got) : "-"
      gen = (gcpu == "-") ? "-" : sprintf("%.3f", gcpu + cnapi / 1000)
      printf "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%s\t%s\t%s\t%s\t%.2f\n", n, q, r, sent, spps, got, gpps,
        sent - got, napi / 1000, proc / 1000, us, gen, hit, txdrop, sirq / 1000 }'
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "-"; exit} printf "%.10g\n", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# --- main -----------------------------------------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "load before start: ${LOAD_START}; $(nproc) CPUs; generator $GEN"
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
    # Attaching or detaching XDP may recreate a veth's NAPI instance (and its thread): pin again.
    pin_napi "$SRV_NS" "$SRV_IF" "$SRV_CPU"
    pin_napi "$CLI_NS" "$CLI_IF" "$GEN_CPU"
    log "NAPI threads (pid cpu rtprio name): $(ps -o pid=,psr=,rtprio=,comm= -p "$(pgrep -d, "^napi/($SRV_IF|$CLI_IF)-")" | tr -s ' \n' ' ')"
    gen_run "$WORK/q-hits.txt" 1 "$WORK/warmup.out" "$QPS" >/dev/null # warm-up (JIT, caches), not counted
    for q in $QSETS; do
      for mode in max paced; do
        # (bounce is not a DNS server: its cost per frame at full speed is the figure to compare)
        [[ $mode == paced ]] && { ((CPU_QPS == 0)) || [[ $s == bounce ]]; } && continue
        if [[ $mode == max ]]; then
          line=$(run_one "$s" "$q" "$r" "$QPS" "$q")
        else
          line=$(run_one "$s" "$q" "$r" "$CPU_QPS" "$q-paced")
        fi
        echo "$line" >>"$RESULTS"
        log "$(echo "$line" | awk -F'\t' '{printf "%s/%s #%s: sent %s/s, answered %s/s, lost %s of %s (%s at the server input); server CPU: NAPI %s s + processes %s s = %s µs/answer; generator CPU %s s; XDP hit rate %s", $1,$2,$3,$5,$7,$8,$4,$14,$9,$10,$11,$12,$13}')"
      done
    done
    stop_server
    sleep 0.5
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

col() { awk -F'\t' -v s="$1" -v q="$2" -v c="$3" '$1==s && $2==q && $c != "-" {print $c}' "$RESULTS" | median; }
coli() { local v; v=$(col "$@"); [[ $v == - ]] && echo - || printf "%.0f" "$v"; } # counts and rates: no exponent, no fraction
has() { grep -q "^$1	$2	" "$RESULTS"; }
gen_desc="edgens-xdpgen -t ${DUR} -Q ${QPS} (BPF_PROG_RUN live frames, CPU ${GEN_CPU})"
[[ $GEN == kxdpgun ]] && gen_desc="kxdpgun -t ${DUR} -Q ${QPS} -F ${GEN_CPU}"
echo
paced="SET-paced rows: -Q ${CPU_QPS}"
((CPU_QPS > 0)) || paced="no paced rows"
echo "${gen_desc}; ${paced}; servers and server NAPI on CPU ${SRV_CPU}; NAPI threads SCHED_FIFO ${NAPI_PRIO}; ${REPEATS} round(s), medians; $(date -u +%Y-%m-%dT%H:%MZ); load average at start ${LOAD_START}, at end ${LOAD_END}"
echo
echo "| server | queries | sent/s | answered/s (qps) | generator ceiling/s | lost | server NAPI CPU s | server process CPU s | server µs/answer | generator CPU s | XDP hit rate |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for s in $SERVERS; do
  for q in $QSETS $(for x in $QSETS; do echo "$x-paced"; done); do
    has "$s" "$q" || continue
    ceil="-"
    if [[ $q != *-paced ]] && has bounce "$q"; then ceil=$(coli bounce "$q" 7); [[ $GEN == kxdpgun ]] && ceil=$(coli bounce "$q" 5); fi
    ans=$(coli "$s" "$q" 7)
    [[ $s == bounce && $GEN == kxdpgun ]] && ans="(not counted)"
    echo "| $s | $q | $(coli "$s" "$q" 5) | $ans | $ceil | $(coli "$s" "$q" 8) | $(col "$s" "$q" 9) | $(col "$s" "$q" 10) | $(col "$s" "$q" 11) | $(col "$s" "$q" 12) | $(awk -F'\t' -v s="$s" -v q="$q" '$1==s && $2==q {print $13}' "$RESULTS" | grep -v '^-$' | median) |"
  done
done
echo
ratio() { # $1 $2 = servers, $3 = query set, $4 = column, $5 = label
  has "$1" "$3" && has "$2" "$3" || return 0
  awk -v a="$(col "$1" "$3" "$4")" -v b="$(col "$2" "$3" "$4")" -v l="$5" 'BEGIN {if (b > 0) printf "%s: %.2f\n", l, a / b}'
}
for q in $QSETS; do
  ratio edgens-xdp knot-xdp "$q" 7 "edgens-xdp / knot-xdp, answered/s ($q)"
  ratio edgens-xdp nsd "$q" 7 "edgens-xdp / nsd, answered/s ($q)"
  [[ $GEN == xdpgen ]] && ratio edgens-xdp bounce "$q" 7 "edgens-xdp / bounce (generator ceiling), answered/s ($q)"
  ratio edgens-xdp edgens-sock "$q" 7 "edgens-xdp / edgens-sock, answered/s ($q)"
  ratio nsd edgens-sock "$q" 7 "nsd / edgens-sock, answered/s ($q)"
  ratio knot-xdp edgens-sock "$q" 7 "knot-xdp / edgens-sock, answered/s ($q)"
  for c in "$q" "$q-paced"; do
    ratio knot-xdp edgens-xdp "$c" 11 "knot-xdp / edgens-xdp, server µs per answer ($c)"
    ratio nsd edgens-xdp "$c" 11 "nsd / edgens-xdp, server µs per answer ($c)"
    ratio edgens-sock edgens-xdp "$c" 11 "edgens-sock / edgens-xdp, server µs per answer ($c)"
  done
done
echo
echo "raw (TSV: server set round sent sent/s answered answered/s lost napi_s proc_s us_per_answer gen_cpu_s hit_rate"
echo "dropped_at_server_input server_cpu_irq+softirq_s):"
cat "$RESULTS"
