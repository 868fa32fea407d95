#!/usr/bin/env bash
# The project's benchmark: the target rows of issue 7 against a private local Parley run (deploy/bench/README.md).
#
#   deploy/local/parley bench [--quick] [--only "w1 w2 w3 w4"] [--ejabberd] [--nodes N] [--out DIR] [--rebuild]
#
#   --quick      a smoke version of every row (small sizes, a few seconds each; under 4 minutes)
#   --only LIST  sections to run, any of w1 w2 w3 w4 (default all)
#   --ejabberd   afterwards run the same rows with the same sizes against ejabberd (run-ejabberd.sh PROFILE=rows;
#                installs the Debian package with apt-get if it is missing) and put its figures next to Parley's
#   --nodes N    Parley nodes (default 1); clients connect to node 1, CPU and heap are summed over all nodes
#   --out DIR    results directory (default /tmp/parley-bench-results/<UTC time>)
#   --rebuild    rebuild Parley even if its jars exist
#
# Builds Parley with `mvn package` (never install) when its jars are missing, and the loadgen jar, starts a private
# run (PARLEY_HOME under /tmp, HTTP 18080, CQL 19042, Cassandra storage 17000, remoting 17520: never the ports of a
# developer's run or of the tests; PARLEY_BENCH_*_PORT move them), restarts it before every row, samples node and
# Cassandra CPU, and prints one markdown table. Loopback only. Every wait is bounded; everything started is stopped on exit, error or Ctrl-C.
# Exit status: non-zero when the run failed or a row produced no result line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
parley="$root/deploy/local/parley"

quick=0 only="w1 w2 w3 w4" ejabberd=0 nodes=1 out="" rebuild=0
usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --only) only="${2:?}"; shift 2 ;;
    --ejabberd) ejabberd=1; shift ;;
    --nodes) nodes="${2:?}"; shift 2 ;;
    --out) out="${2:?}"; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    -h|--help) usage ;;
    *) echo "run-bench: unknown option $1" >&2; usage ;;
  esac
done
[[ "$nodes" =~ ^[1-9][0-9]?$ ]] || { echo "run-bench: --nodes must be 1..99" >&2; exit 2; }
for w in $only; do [[ " w1 w2 w3 w4 " == *" $w "* ]] || { echo "run-bench: unknown section $w" >&2; exit 2; }; done
want() { [[ " $only " == *" $1 "* ]]; }

# Private ports and state: a developer's `parley up` uses 8080 / 9042 / 7000 / 25520 (and 35520 was seen in use
# by a hand-made run); the environment can move them.
HTTP_PORT="${PARLEY_BENCH_HTTP_PORT:-18080}" CQL_PORT="${PARLEY_BENCH_CQL_PORT:-19042}"
STORAGE_PORT="${PARLEY_BENCH_STORAGE_PORT:-17000}" REMOTE_BASE="${PARLEY_BENCH_REMOTE_PORT:-17520}"
APP_ID="${PARLEY_APP_ID:-parley-dev}" APP_KEY="${PARLEY_APP_KEY:-parley-dev-key}"
unset PARLEY_HTTP_INTERFACE PARLEY_REMOTE_HOST   # the node must bind 127.0.0.1 whatever the caller's environment
export PARLEY_REMOTE_PORT_BASE="$REMOTE_BASE" PARLEY_CASSANDRA_STORAGE_PORT="$STORAGE_PORT"
export PARLEY_MANAGEMENT_PORT_BASE="${PARLEY_BENCH_MANAGEMENT_PORT:-17626}" PARLEY_METRICS_PORT_BASE="${PARLEY_BENCH_METRICS_PORT:-17464}"
# The load generator is one address sending far beyond one user's rates: per-client rates and the per-address
# login rate (README "Limits and rates") are off for the measured node.
export PARLEY_DIRECT_PER_MINUTE=0 PARLEY_HISTORY_PER_MINUTE=0 PARLEY_OPS_PER_MINUTE=0 PARLEY_LOGINS_PER_ADDRESS_PER_MINUTE=0
JAR="$here/loadgen/target/loadgen.jar"

# ---------------------------------------------------------------- sizes (shared with run-ejabberd.sh PROFILE=rows)
if [[ $quick == 1 ]]; then
  profile=quick
  W1_CLIENTS=100 W1_START=50
  W1_SEARCH="--search --search-factor 2 --search-max-steps 2 --bisect 0 --confirm 0 --duration 3 --grace 3 --warmup 1 --settle 1 --p99-limit-ms 200"
  W1_OVER="--duration 3 --grace 3 --warmup 0 --settle 2"
  W2_ROOM=50 W2_ROOM_START=2
  W2_SEARCH="--search --search-factor 2 --search-max-steps 2 --bisect 0 --confirm 0 --duration 3 --grace 3 --warmup 1 --settle 1 --p99-limit-ms 200"
  W2_GROUP=49 W2_GROUP_RATES=20,40 W2_FIXED="--duration 3 --grace 3 --warmup 1 --settle 1"
  W2_BIG=200 W2_BIG_RATE=1 W2_BIG_OPTS="--duration 4 --grace 3 --warmup 1 --settle 1 --p99-limit-ms 500"
  W3_CONN=300 W3_OPTS="--hold 6 --settle 2" W4_K=50 W4_OPTS="--grace 10"
  JAVA_OPTS="${JAVA_OPTS:--Xms256m -Xmx1g -XX:+UseParallelGC -Dio.netty.leakDetection.level=disabled}"
else
  profile=full
  # the search only goes up: start low enough that a busy machine still gives a figure (one step costs ~40 s)
  W1_CLIENTS=1000 W1_START=400
  W1_SEARCH="--search --search-factor 2 --search-max-steps 10 --bisect 3 --confirm 1 --duration 20 --grace 10 --warmup 5 --settle 5 --p99-limit-ms 200 --timeline"
  W1_OVER="--duration 30 --grace 10 --warmup 0 --settle 5 --timeline"
  W2_ROOM=1000 W2_ROOM_START=4
  W2_SEARCH="--search --search-factor 2 --search-max-steps 8 --bisect 2 --confirm 1 --duration 20 --grace 10 --warmup 5 --settle 5 --p99-limit-ms 200 --login-total-timeout-s 900 --timeline"
  # a normal group is capped at max-members = 500 including its creator (the sender): 499 receivers
  W2_GROUP=499 W2_GROUP_RATES=20,40 W2_FIXED="--duration 20 --grace 10 --warmup 5 --settle 5 --timeline"
  # a chatroom's creator (the sender) is in the room too, and max-chatroom-online = 5000: 4999 receivers
  W2_BIG=4999 W2_BIG_RATE=1 W2_BIG_OPTS="--duration 20 --grace 10 --warmup 5 --settle 5 --p99-limit-ms 500 --login-total-timeout-s 900 --timeline"
  W3_CONN=10000 W3_OPTS="--hold 30 --settle 5" W4_K=1000 W4_OPTS="--grace 30"
  JAVA_OPTS="${JAVA_OPTS:--Xms1g -Xmx4g -XX:+UseParallelGC -Dio.netty.leakDetection.level=disabled}"
fi
export W1_CLIENTS W1_START W1_SEARCH W1_OVER W2_ROOM W2_ROOM_START W2_SEARCH W2_GROUP W2_GROUP_RATES W2_FIXED
export W2_BIG W2_BIG_RATE W2_BIG_OPTS W3_CONN W3_OPTS W4_K W4_OPTS JAVA_OPTS

stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
out="${out:-/tmp/parley-bench-results/$stamp}"
mkdir -p "$out/parley"
out="$(cd "$out" && pwd)"
: >"$out/rows.txt"
LOG="$out/run.log"
log() { echo "$(date +%H:%M:%S) $*" | tee -a "$LOG" >&2; }
die() { log "run-bench: $*"; exit 1; }

export PARLEY_HOME
PARLEY_HOME="$(mktemp -d /tmp/parley-bench-home.XXXXXX)"
lg_pid="" ej_pid="" sampler_pid="" started=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [[ -n "$lg_pid" ]] && kill -0 "$lg_pid" 2>/dev/null; then
    log "stopping the loadgen (pid $lg_pid)"; kill -TERM "$lg_pid"; wait "$lg_pid" 2>/dev/null
  fi
  if [[ -n "$ej_pid" ]] && kill -0 "$ej_pid" 2>/dev/null; then
    log "stopping run-ejabberd.sh (pid $ej_pid; its own trap stops ejabberd)"; kill -TERM "$ej_pid"
    for _ in $(seq 1 120); do kill -0 "$ej_pid" 2>/dev/null || break; sleep 1; done
  fi
  if [[ $started == 1 ]]; then
    log "stopping Parley ($PARLEY_HOME)"; timeout 180 "$parley" down >>"$LOG" 2>&1
  fi
  [[ -n "$sampler_pid" ]] && kill "$sampler_pid" 2>/dev/null && wait "$sampler_pid" 2>/dev/null
  if [[ -d "$PARLEY_HOME/logs" ]]; then mkdir -p "$out/logs" && cp -r "$PARLEY_HOME/logs/." "$out/logs/"; fi
  [[ "${KEEP_HOME:-0}" == 1 ]] || rm -rf "$PARLEY_HOME"
  log "results: $out (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "parley bench: profile $profile, sections '$only', $nodes node(s), ejabberd $ejabberd; PARLEY_HOME $PARLEY_HOME"
log "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; ulimit -n $(ulimit -n)"

# Every port must be free before anything starts (bash's /dev/tcp: a successful connect means taken).
taken=""
for port in $(seq "$HTTP_PORT" $((HTTP_PORT + nodes - 1))) "$CQL_PORT" "$STORAGE_PORT" \
            $(seq "$REMOTE_BASE" $((REMOTE_BASE + nodes - 1))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then taken+=" $port"; fi
done
[[ -z "$taken" ]] || die "port(s)$taken already in use on 127.0.0.1 (another bench or run?); move them with PARLEY_BENCH_HTTP_PORT / _CQL_PORT / _STORAGE_PORT / _REMOTE_PORT"

# ---------------------------------------------------------------- build (package only: never install into ~/.m2)
node_target="$root/cluster-node/target"
have_parley() {
  compgen -G "$node_target/parley-cluster-node-*.jar" >/dev/null && [[ -f "$node_target/runtime-classpath.txt" ]] \
    && compgen -G "$root/deploy/cassandra-launcher/target/parley-cassandra-launcher-*.jar" >/dev/null \
    && compgen -G "$root/deploy/cassandra-launcher/target/cassandra-lib/cassandra-all-*.jar" >/dev/null
}
if [[ $rebuild == 1 ]] || ! have_parley; then
  log "building Parley (mvn -q -B -DskipTests package)"
  (cd "$root" && timeout 1800 "${MVN:-mvn}" -q -B -DskipTests package) >>"$LOG" 2>&1 || die "Parley build failed (see $LOG)"
  have_parley || die "no Parley jars after the build"
fi
if [[ ! -f "$JAR" || -n "$(find "$here/loadgen/src" "$here/loadgen/pom.xml" -newer "$JAR" 2>/dev/null | head -1)" ]]; then
  log "building the loadgen (mvn -q -f deploy/bench/loadgen/pom.xml package)"
  timeout 900 "${MVN:-mvn}" -q -B -f "$here/loadgen/pom.xml" package >>"$LOG" 2>&1 || die "loadgen build failed (see $LOG)"
fi

# ---------------------------------------------------------------- Parley: start, restart, pids
node_pids() { cat "$PARLEY_HOME"/run/node-*.pid 2>/dev/null | tr '\n' ' '; }

start_parley() {
  log "starting Parley: parley up --nodes $nodes --http-port $HTTP_PORT --cql-port $CQL_PORT --detach"
  started=1
  timeout 420 "$parley" up --nodes "$nodes" --http-port "$HTTP_PORT" --cql-port "$CQL_PORT" --detach >>"$LOG" 2>&1 \
    || die "parley up failed (see $LOG and $PARLEY_HOME/logs)"
  NODE1="$(cat "$PARLEY_HOME/run/node-1.pid")"
  local pid addr
  for pid in $(node_pids) $(cat "$PARLEY_HOME/cassandra/cassandra.pid" 2>/dev/null); do
    for addr in $(ss -ltnpH 2>/dev/null | grep -E "pid=$pid," | awk '{print $4}'); do
      [[ "$addr" =~ ^(127\.|\[::ffff:127\.|\[::1\]:) ]] || die "pid $pid listens on $addr, not loopback; stopping"
    done
  done
  log "Parley up: nodes $(node_pids)(node 1 = $NODE1), Cassandra $(cat "$PARLEY_HOME/cassandra/cassandra.pid" 2>/dev/null)"
}

stop_nodes() {
  local f pid
  for f in "$PARLEY_HOME"/run/node-*.pid; do
    [[ -e "$f" ]] || continue
    pid="$(cat "$f")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

# Before every row: --quick restarts the node(s) only; the full run stops Cassandra too (down + up, same
# PARLEY_HOME), as the 2026-11-30 run did, so every row starts from freshly started JVMs.
fresh_parley() {
  if [[ $started == 1 ]]; then
    if [[ $quick == 1 ]]; then log "restarting the node(s)"; stop_nodes
    else log "restarting Parley (down + up)"; timeout 180 "$parley" down >>"$LOG" 2>&1 || true; fi
    sleep 2
  fi
  start_parley
}

# ---------------------------------------------------------------- loadgen
# lg_start <row> <timeout-s> <workload> [args]: starts one loadgen run in the background (JSON lines appended to
# parley/<row>.jsonl, progress to parley/<row>.log); lg_wait waits for it.
lg_start() {
  local row="$1" t="$2"; shift 2
  local cmd=(java $JAVA_OPTS -jar "$JAR" "$@" --driver lc --url "ws://127.0.0.1:$HTTP_PORT/" --app-id "$APP_ID"
             --app-key "$APP_KEY" --server-pid "$NODE1" --server-label "parley|$row" --threads 2 --max-seconds "$((t - 10))")
  grep -qx "$row" "$out/rows.txt" || echo "$row" >>"$out/rows.txt"
  echo "# $(date -Is) [$row] $(printf '%q ' "${cmd[@]}")" >>"$out/commands.txt"
  log "[$row] $* (uptime: $(uptime))"
  timeout --kill-after=15 "$t" "${cmd[@]}" >>"$out/parley/$row.jsonl" 2>>"$out/parley/$row.log" &
  lg_pid=$!
}
lg_wait() {
  local rc=0
  wait "$lg_pid" || rc=$?
  lg_pid=""
  [[ $rc == 0 ]] || log "loadgen exited with $rc"
  log "uptime: $(uptime)"
}
lg() { lg_start "$@"; lg_wait; }

# max_rate <file> <workload>: the search summary's max_sustainable_rate (empty if none).
max_rate() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
best = None
for line in open(sys.argv[1]):
    if line.startswith("{"):
        j = json.loads(line)
        if j.get("workload") == sys.argv[2] + "-search-summary":
            best = j.get("max_sustainable_rate")
print("" if best is None else int(best))
EOF
}

# heap_used_kb: G1 heap used after a full GC, summed over the nodes (jcmd GC.run + GC.heap_info).
heap_used_kb() {
  local pid total=0 used
  for pid in $(node_pids); do
    timeout 120 jcmd "$pid" GC.run >/dev/null 2>&1 || true
    used="$(timeout 60 jcmd "$pid" GC.heap_info 2>/dev/null | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+' || true)"
    [[ -n "$used" ]] || { echo ""; return; }
    total=$((total + used))
  done
  echo "$total"
}

# ---------------------------------------------------------------- run
echo "before: $(uptime)" >"$out/uptime.txt"
python3 "$here/sampler.py" --home "$PARLEY_HOME" --out "$out/samples.tsv" --interval 0.5 --parent $$ &
sampler_pid=$!
t_start=$SECONDS

if want w1; then
  fresh_parley
  lg w1-search 3000 w1 --clients "$W1_CLIENTS" --rate "$W1_START" $W1_SEARCH --user-base 50000
  max="$(max_rate "$out/parley/w1-search.jsonl" w1 2>/dev/null || true)"
  # overload: 2 x the maximum found (or 2 x the start rate if none passed) on new clients, then a step at half the
  # maximum on the same sessions: did delivery recover once the overload stopped?
  base="${max:-$W1_START}"
  lg w1-overload 900 w1 --clients "$W1_CLIENTS" --rates "$((2 * base)),$(( base / 2 > 0 ? base / 2 : 1 ))" $W1_OVER --user-base 52000
fi

if want w2; then
  fresh_parley
  lg w2-chatroom 3000 w2 --members "$W2_ROOM" --rate "$W2_ROOM_START" $W2_SEARCH --lc-transient --user-base 2000
  fresh_parley
  lg w2-group 900 w2 --members "$W2_GROUP" --rates "$W2_GROUP_RATES" $W2_FIXED --user-base 4000
  fresh_parley
  lg w2-chatroom-big 1200 w2 --members "$W2_BIG" --rate "$W2_BIG_RATE" $W2_BIG_OPTS --lc-transient --user-base 6000
fi

if want w3; then
  fresh_parley
  sleep 3
  heap0="$(heap_used_kb)"
  lg_start w3-idle 1800 w3 --connections "$W3_CONN" $W3_OPTS --src-ips 127.0.0.2-127.0.0.9 --login-concurrency 200 \
    --user-base 10000
  # the live heap after login: wait (bounded) for the loadgen's "login: N ok, ..." line, then GC.run + GC.heap_info
  heap1="" deadline=$((SECONDS + 1200))
  while kill -0 "$lg_pid" 2>/dev/null && ((SECONDS < deadline)); do
    if grep -qE '^.*login: [0-9]+ ok, [0-9]+ failed' "$out/parley/w3-idle.log" 2>/dev/null; then
      sleep 2; heap1="$(heap_used_kb)"; break
    fi
    sleep 0.5
  done
  lg_wait
  python3 - "$out/parley/w3-idle.jsonl" "$heap0" "$heap1" <<'EOF'
import json, sys
path, h0, h1 = sys.argv[1], sys.argv[2], sys.argv[3]
ok = None
for line in open(path):
    if line.startswith("{"):
        j = json.loads(line)
        if j.get("workload") == "w3" and "login_ok" in j:
            ok = j["login_ok"]
rec = {"workload": "w3-heap", "server": "parley|w3-idle", "sessions": ok,
       "heap_used_kb_before": int(h0) if h0 else None, "heap_used_kb_after_login": int(h1) if h1 else None}
rec["heap_kb_per_session"] = ((int(h1) - int(h0)) / ok) if (h0 and h1 and ok) else None
with open(path, "a") as f:
    f.write(json.dumps(rec) + "\n")
EOF
fi

if want w4; then
  # LeanCloud pushes at most 20 queued messages per conversation at a v1 login (the default); the row asks
  # for all of them, so the node is configured to push up to 1000 (read from Cassandra beyond memory).
  PARLEY_NODE_OPTS="-Dparley.conversation.offline-messages-per-conversation=1000" fresh_parley
  lg w4-offline-v1 900 w4 --messages "$W4_K" --pairs 1 $W4_OPTS --lc-subprotocol lc.protobuf2.1 --user-base 30000
fi

log "Parley part done in $((SECONDS - t_start)) s"
echo "after Parley: $(uptime)" >>"$out/uptime.txt"
timeout 180 "$parley" down >>"$LOG" 2>&1 || true
started=0

if [[ $ejabberd == 1 ]]; then
  if ! command -v ejabberdctl >/dev/null; then
    log "ejabberd is not installed: apt-get install -y ejabberd (service start suppressed with policy-rc.d)"
    policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1; fi
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q ejabberd >>"$LOG" 2>&1 || log "apt-get install ejabberd failed"
    [[ $policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
  fi
  if command -v ejabberdctl >/dev/null; then
    mkdir -p "$out/ejabberd"
    PROFILE=rows ONLY="$only" OUT="$out/ejabberd" SCRATCH="${EJ_SCRATCH:-/tmp/parley-bench-ejabberd}" \
      "$here/run-ejabberd.sh" >>"$out/ejabberd/stdout.log" 2>&1 &
    ej_pid=$!
    rc=0; wait "$ej_pid" || rc=$?
    ej_pid=""
    [[ $rc == 0 ]] || log "run-ejabberd.sh exited with $rc"
  else
    log "ejabberd unavailable: its column stays empty"
  fi
  echo "after ejabberd: $(uptime)" >>"$out/uptime.txt"
fi

echo "after: $(uptime)" >>"$out/uptime.txt"
log "total $((SECONDS - t_start)) s"
kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""
rc=0
python3 "$here/report.py" "$out" || rc=$?
[[ $rc == 0 ]] || log "some rows produced no result line (see the table)"
exit "$rc"
