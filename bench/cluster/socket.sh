#!/usr/bin/env bash
# Socket mode beside proxy mode, Node's cluster module and PM2's cluster mode, the same two
# instances of the shared harness's servers/hello.js each time:
#   1. throughput: wrk -t2 -c64 and -t1 -c4 (DUR each, after a WARM warm-up), the configs in an
#      order that rotates from rep to rep; requests/s and p99 of each, medians over REPS;
#   2. spread: SPREAD new connections (herd hit --no-keep-alive -c 4) to herd's socket mode and
#      to its reuseport mode (a socket per instance), counted per instance by the pid each answer
#      names; the busiest over the idlest;
#   3. reloads: RELOADS herd reloads under wrk -t2 -c64 in socket mode and with shared listens,
#      wrk's errors.
# Usage: bench/cluster/socket.sh   env: REPS (3) DUR (10s) WARM (5s) SPREAD (10000) RELOADS (10)
#        CONFIGS ("node-cluster-2w pm2-cluster-2i herd-proxy-2i herd-socket-2i herd-reuseport-2i herd-shared-2i")
#        GRACEFUL (1)
# herd-shared-2i is started as pm2-cluster-2i is (PORT=3000 herd start hello.js -i 2): no port for
# herd, so the instances' listens are shared through herd (the port bound once, in the daemon).
# Needs wrk (apt-get install -y wrk), node, and herd's jar (./mvnw -B -q -DskipTests package).
# Everything it starts is stopped by PID (herd kill, pm2 kill with their own homes).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH"
REPS=${REPS:-3}; DUR=${DUR:-10s}; WARM=${WARM:-5s}; SPREAD=${SPREAD:-10000}; RELOADS=${RELOADS:-10}
read -r -a CONFIGS <<<"${CONFIGS:-node-cluster-2w pm2-cluster-2i herd-proxy-2i herd-socket-2i herd-reuseport-2i herd-shared-2i}"
export GRACEFUL=${GRACEFUL:-1}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
STAMP=$(date +%Y%m%d-%H%M%S)
OUTDIR="$OUT/results/socket-$STAMP"; mkdir -p "$OUTDIR/raw"
CSV="$OUTDIR/results.csv"
exec 2> >(tee -a "$OUTDIR/log.txt" >&2)
NODE_HELLO="$BENCH/servers/hello.js"
HOMES=()
cleanup() {
  local h
  for h in "${HOMES[@]}"; do HERD_HOME=$h timeout 60 "$HERD" kill >/dev/null 2>&1; rm -rf "$h"; done
  [[ -f $PM2_HOME/pm2.pid ]] && "$PM2" kill >/dev/null 2>&1
  stop_started
}
trap cleanup EXIT

herd_ecosystem() {  # herd_ecosystem MODE: a file of the hello app, 2 instances, port 3000
  local f="$RUN/herd-$1.yml"
  cat >"$f" <<EOF
apps:
  - name: hello
    script: $NODE_HELLO
    exec_mode: cluster
    instances: 2
    port: 3000
    env: {GRACEFUL: "$GRACEFUL"}
    balancer: {mode: $1, host: 127.0.0.1}
EOF
  echo "$f"
}

start_config() {
  case $1 in
    node-cluster-2w) PORT=3000 WORKERS=2 start_bg cluster node "$BENCH/servers/cluster.js" ;;
    pm2-cluster-2i) PORT=3000 "$PM2" start "$NODE_HELLO" -i 2 --name hello >"$RUN/pm2-start.log" 2>&1 ;;
    herd-proxy-2i|herd-socket-2i|herd-reuseport-2i)
      local mode=http; [[ $1 == herd-socket-2i ]] && mode=socket; [[ $1 == herd-reuseport-2i ]] && mode=reuseport
      HERD_HOME=$(mktemp -d /tmp/herd-home.XXXXXX); export HERD_HOME; HOMES+=("$HERD_HOME")
      timeout 60 "$HERD" start "$(herd_ecosystem $mode)" >"$RUN/herd-start.log" 2>&1 ;;
    herd-shared-2i)
      HERD_HOME=$(mktemp -d /tmp/herd-home.XXXXXX); export HERD_HOME; HOMES+=("$HERD_HOME")
      PORT=3000 timeout 60 "$HERD" start "$NODE_HELLO" -i 2 --name hello >"$RUN/herd-start.log" 2>&1 ;;
  esac
  wait_http http://127.0.0.1:3000/
}

stop_config() {
  case $1 in
    pm2-cluster-2i) "$PM2" kill >"$RUN/pm2-kill.log" 2>&1 ;;
    herd-*) timeout 60 "$HERD" kill >"$RUN/herd-kill.log" 2>&1 ;;
  esac
  stop_started
  sleep 1
}

[[ -f $PM2_HOME/pm2.pid ]] && "$PM2" kill >/dev/null 2>&1
run_configs
medians pm2-cluster-2i node-cluster-2w

# The spread over new connections, with one socket for all and with a socket per instance.
for cfg in herd-socket-2i herd-reuseport-2i herd-shared-2i; do
  start_config $cfg && {
    timeout 300 "$HERD" hit http://127.0.0.1:3000/ -n "$SPREAD" -c 4 --no-keep-alive --json >"$OUTDIR/spread-$cfg.json" 2>&1
    node -e '
      const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const counts = s.instances.map(i => i.requests);
      console.log(process.argv[2] + ": spread over " + s.ok + " new connections: "
        + s.instances.map(i => i.instance + " " + i.requests).join(", ")
        + "; busiest/idlest " + (Math.max(...counts) / Math.min(...counts)).toFixed(2) + "; failed " + s.errors.total);
    ' "$OUTDIR/spread-$cfg.json" $cfg | tee -a "$OUTDIR/summary.txt"
    stop_config $cfg
  }
done

# Reloads under load, in socket mode and with shared listens.
for cfg in herd-socket-2i herd-shared-2i; do
  start_config $cfg && {
    wrk -t2 -c64 -d150s --latency http://127.0.0.1:3000/ >"$OUTDIR/raw/reload-$cfg.wrk.txt" 2>&1 & wpid=$!
    sleep 2
    for ((i = 0; i < RELOADS; i++)); do
      timeout 60 "$HERD" reload hello >>"$OUTDIR/raw/reload-$cfg.log" 2>&1 || log "$cfg: reload $i failed"; sleep 0.8
    done
    sleep 2
    kill -INT "$wpid"; wait "$wpid"
    read -r rps p50 p99 req non se < <(parse_wrk "$OUTDIR/raw/reload-$cfg.wrk.txt")
    echo "$cfg, $RELOADS reloads under wrk -t2 -c64: $req requests, $non non-2xx, $se socket errors" \
      | tee -a "$OUTDIR/summary.txt"
    grep 'Socket errors' "$OUTDIR/raw/reload-$cfg.wrk.txt" | tee -a "$OUTDIR/summary.txt"
    stop_config $cfg
  }
done
echo "results: $OUTDIR"
