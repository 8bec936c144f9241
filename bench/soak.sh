#!/usr/bin/env bash
# Soak: herd hit at a constant rate against a cluster app for DURATION seconds while a loop, every
# STEP seconds, takes the next of: reload, SIGKILL of one instance, scale up, scale down, flush of
# the logs (which also rotate by themselves: max_size 256K, one line per request). Every minute it
# records the daemon's RSS, threads and open descriptors and the number of instances; at the end
# it prints the failed requests (goal 0) and the daemon's figures (goal: flat after the first
# minute). Not part of CI: 30 minutes by default. Bounded: every command has a timeout, and what
# it started (the daemon, its apps, herd hit) is stopped on exit, whatever happens.
# Usage: bench/soak.sh   env: DURATION (1800 s), RATE (200 req/s), STEP (15 s), PORT (free port),
#                             INSTANCES (2), OUT (a new folder under /tmp)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
HERD="$root/bin/herd"
DURATION=${DURATION:-1800}; RATE=${RATE:-200}; STEP=${STEP:-15}; INSTANCES=${INSTANCES:-2}
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
OUT=${OUT:-$(mktemp -d /tmp/herd-soak.XXXXXX)}
mkdir -p "$OUT/app"
export HERD_HOME="$OUT/home"
log() { echo "$(date +%T) $*" | tee -a "$OUT/soak.log" >&2; }

command -v node >/dev/null || { echo "soak: needs node (apt-get install nodejs)" >&2; exit 2; }
cat >"$OUT/app/server.js" <<'EOF'
'use strict';
// One log line per request, so that the logs grow and rotate all along.
const http = require('http');
const server = http.createServer((req, res) => {
  console.log(`${new Date().toISOString()} ${req.method} ${req.url}`);
  res.end(`Hello from process ${process.pid}\n`);
});
server.listen(process.env.PORT, () => console.log(`listening on ${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
EOF
cat >"$OUT/app/soak.yml" <<EOF
apps:
  - name: soak
    script: server.js
    exec_mode: cluster
    instances: $INSTANCES
    port: $PORT
    host: 127.0.0.1
    max_size: 256K
    retain: 3
    kill_timeout: 5000
    min_uptime: 2000
EOF

hit_pid=""; sampler_pid=""
cleanup() {
  [[ -n $hit_pid ]] && kill "$hit_pid" 2>/dev/null
  [[ -n $sampler_pid ]] && kill "$sampler_pid" 2>/dev/null
  timeout 60 "$HERD" kill >/dev/null 2>&1
}
trap cleanup EXIT

log "soak for ${DURATION}s at ${RATE} req/s on 127.0.0.1:$PORT, a chaos step every ${STEP}s; results in $OUT"
(cd "$OUT/app" && timeout 120 "$HERD" start soak.yml) >"$OUT/start.txt" 2>&1 || { log "start failed"; cat "$OUT/start.txt" >&2; exit 1; }
for _ in $(seq 1 60); do
  curl -fs -m 2 "http://127.0.0.1:$PORT/" >/dev/null && break
  sleep 1
done
daemon=$(cat "$HERD_HOME/daemon.pid")

# sample MINUTE: one line of the daemon's figures.
sample() {
  local rss threads fds inst
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon/status" 2>/dev/null)
  threads=$(awk '/^Threads/ {print $2}' "/proc/$daemon/status" 2>/dev/null)
  fds=$(ls "/proc/$daemon/fd" 2>/dev/null | wc -l)
  inst=$(timeout 30 "$HERD" jlist 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null)
  echo "$1,$((rss / 1024)),$threads,$fds,${inst:-?}"
}
echo "minute,daemon_rss_mb,daemon_threads,daemon_fds,instances" >"$OUT/daemon.csv"
(
  m=0
  while sample $m >>"$OUT/daemon.csv"; (( m * 60 < DURATION )); do
    sleep 60; m=$((m + 1))
  done
) & sampler_pid=$!

timeout $((DURATION + 60)) "$HERD" hit "http://127.0.0.1:$PORT/" --rate "$RATE" -c 16 -d "${DURATION}s" --timeout 5s \
  --json >"$OUT/hit.json" 2>"$OUT/hit.err" & hit_pid=$!

start=$SECONDS; step=0; size=$INSTANCES
echo "second,action,rc,seconds" >"$OUT/actions.csv"
while (( SECONDS - start + STEP + 10 < DURATION )); do
  sleep "$STEP"
  t0=$SECONDS
  case $((step % 5)) in
    0) action=reload; timeout 120 "$HERD" reload soak >>"$OUT/actions.txt" 2>&1 ;;
    1) action=kill
       victim=$(timeout 30 "$HERD" jlist 2>/dev/null | python3 -c 'import json,sys
l=[i for i in json.load(sys.stdin) if i["pm2_env"].get("status")=="online" and i.get("pid")]
print(l[0]["pid"] if l else "")')
       if [[ -n $victim ]]; then kill -KILL "$victim"; else action=kill-none; fi ;;
    2) action=scale-up; size=$((INSTANCES + 2)); timeout 120 "$HERD" scale soak "$size" >>"$OUT/actions.txt" 2>&1 ;;
    3) action=scale-down; size=$INSTANCES; timeout 120 "$HERD" scale soak "$size" >>"$OUT/actions.txt" 2>&1 ;;
    4) action=flush; timeout 30 "$HERD" flush soak >>"$OUT/actions.txt" 2>&1 ;;
  esac
  rc=$?
  echo "$((t0 - start)),$action,$rc,$((SECONDS - t0))" >>"$OUT/actions.csv"
  (( rc == 0 )) || log "$action failed (rc $rc): see $OUT/actions.txt"
  step=$((step + 1))
done
wait "$hit_pid"; hit_rc=$?; hit_pid=""
kill "$sampler_pid" 2>/dev/null; wait "$sampler_pid" 2>/dev/null; sampler_pid=""
sample end >>"$OUT/daemon.csv"

python3 - "$OUT" "$hit_rc" <<'EOF'
import csv, json, sys
out, rc = sys.argv[1], sys.argv[2]
try:
    hit = json.load(open(f"{out}/hit.json"))
except (OSError, ValueError) as e:
    sys.exit(f"soak: no summary from herd hit (exit {rc}): {e}")
rows = list(csv.DictReader(open(f"{out}/daemon.csv")))
actions = list(csv.DictReader(open(f"{out}/actions.csv")))
failed = [a for a in actions if a["rc"] != "0"]
print(f"requests {hit['requests']}, ok {hit['ok']}, failed {hit['errors']['total']} {hit['errors']}")
print(f"p50 {hit['latency']['p50']} ms, p99 {hit['latency']['p99']} ms, max {hit['latency']['max']} ms")
print(f"chaos steps {len(actions)} ({', '.join(sorted(set(a['action'] for a in actions)))}), failed steps {len(failed)}")
print("minute  rss_mb  threads  fds  instances")
for r in rows:
    print(f"{r['minute']:>6}  {r['daemon_rss_mb']:>6}  {r['daemon_threads']:>7}  {r['daemon_fds']:>3}  {r['instances']:>9}")
steady = [r for r in rows if r["minute"] not in ("0",)]
if len(steady) >= 2:
    first, last = steady[0], steady[-1]
    print(f"after the first minute: rss {first['daemon_rss_mb']} -> {last['daemon_rss_mb']} MB, "
          f"threads {first['daemon_threads']} -> {last['daemon_threads']}, fds {first['daemon_fds']} -> {last['daemon_fds']}")
sys.exit(1 if hit["errors"]["total"] or failed else 0)
EOF
