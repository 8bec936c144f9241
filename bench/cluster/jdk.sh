#!/usr/bin/env bash
# Two JDK hello instances under herd against the JDK server direct (issue 11's JVM figures): the
# shared harness's servers/Hello.java (the JDK's HttpServer, THREADS=2 each), unchanged:
#   jdk-direct-1      one server on :3000, no herd (THREADS=4: the machine's threads in one JVM)
#   herd-socket-2i    herd's socket mode: one socket, herd's agent turns each bind into it
#   herd-reuseport-2i herd's reuseport mode: a socket per instance
#   herd-proxy-2i     herd's proxy in front of the two, each on a port of its own
# wrk -t2 -c64 and -t1 -c4 for DUR after a WARM warm-up (the JIT), configs in an order that
# rotates from rep to rep; requests/s and p99 per config, medians over REPS, each over direct's.
# Usage: bench/cluster/jdk.sh   env: REPS (3) DUR (10s) WARM (10s) CONFIGS (all four)
# Needs wrk, java and herd's jar (./mvnw -B -q -DskipTests package). Stops what it starts by PID.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH"
REPS=${REPS:-3}; DUR=${DUR:-10s}; WARM=${WARM:-10s}
read -r -a CONFIGS <<<"${CONFIGS:-jdk-direct-1 herd-socket-2i herd-reuseport-2i herd-proxy-2i}"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
STAMP=$(date +%Y%m%d-%H%M%S)
OUTDIR="$OUT/results/jdk-$STAMP"; mkdir -p "$OUTDIR/raw" "$RUN"
CSV="$OUTDIR/results.csv"
HELLO="$BENCH/servers/Hello.java"
# The JDK's HttpServer leaves Nagle on unless told: each small answer would wait for the client's
# delayed ACK (about 40 ms). Every config gets the same flag (examples/hello sets it itself).
JVM_FLAGS="-Xmx64m -Dsun.net.httpserver.nodelay=true"
HOMES=()
cleanup() {
  local h
  for h in "${HOMES[@]}"; do HERD_HOME=$h timeout 60 "$HERD" kill >/dev/null 2>&1; rm -rf "$h"; done
  stop_started
}
trap cleanup EXIT

start_config() {
  case $1 in
    jdk-direct-1) PORT=3000 THREADS=4 start_bg jdk java $JVM_FLAGS "$HELLO" ;;
    herd-*)
      local mode=${1#herd-}; mode=${mode%-2i}; [[ $mode == proxy ]] && mode=http
      HERD_HOME=$(mktemp -d /tmp/herd-home.XXXXXX); export HERD_HOME; HOMES+=("$HERD_HOME")
      cat >"$RUN/herd-jdk-$mode.yml" <<EOF
apps:
  - name: hello
    script: $HELLO
    jvm_args: $JVM_FLAGS
    exec_mode: cluster
    instances: 2
    port: 3000
    listen_timeout: 20000
    env: {THREADS: "2"}
    balancer: {mode: $mode, host: 127.0.0.1}
EOF
      timeout 90 "$HERD" start "$RUN/herd-jdk-$mode.yml" >"$RUN/herd-start.log" 2>&1 ;;
  esac
  wait_http http://127.0.0.1:3000/ 60
}

stop_config() {
  [[ $1 == herd-* ]] && timeout 60 "$HERD" kill >"$RUN/herd-kill.log" 2>&1
  stop_started
  sleep 1
}

run_configs
medians jdk-direct-1
echo "results: $OUTDIR"
