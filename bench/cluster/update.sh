#!/usr/bin/env bash
# Requests refused / failed while `herd update` replaces the daemon under a 2-instance cluster
# app (node servers/hello.js on :3000), with three clients, one scenario each (fresh HERD_HOME):
#   wrk    : wrk -t2 -c64 -d20s (keep-alive), update at t=5 s
#   hit    : herd hit --rate 200 -c 8 -d 20s --json (keep-alive), update at t=5 s
#   hit-nka: the same with --no-keep-alive (a new connection per request: shows refusals)
# Also: the outage window seen by a curl poll (every 10 ms) during the update, and the
# instance pids before/after. MODE=update (default) or MODE=killres (herd save; herd kill; herd resurrect).
# SHARING=proxy (default) or SHARING=socket (balancer mode socket: the instances accept themselves).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH"
MODE=${MODE:-update}
SHARING=${SHARING:-proxy}
SOCKET_FLAG=(); [[ $SHARING == socket ]] && SOCKET_FLAG=(--socket)
STAMP=$(date +%Y%m%d-%H%M%S)
OUTDIR="$OUT/results/update-herd-$MODE-$SHARING-$STAMP"; mkdir -p "$OUTDIR/raw"
exec > >(tee -a "$OUTDIR/summary.txt") 2>&1
NODE_HELLO="$BENCH/servers/hello.js"
URL=http://127.0.0.1:3000/

poll_outage() {  # poll_outage SECS OUT: curl every 10 ms; writes first-fail/last-fail/fails/polls (ms since start)
  local secs=$1 out=$2 t0 end code n=0 f=0 ff= lf=
  t0=$(date +%s%N); end=$(( t0 + secs * 1000000000 ))
  while (( $(date +%s%N) < end )); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$URL"); n=$((n+1))
    if [[ $code != 200 ]]; then
      f=$((f+1)); lf=$(( ($(date +%s%N) - t0) / 1000000 )); [[ -z $ff ]] && ff=$lf
    fi
    sleep 0.01
  done
  echo "polls=$n fails=$f first_fail_ms=${ff:-none} last_fail_ms=${lf:-none}" >"$out"
}

do_update() {
  local t0=$(now)
  if [[ $MODE == update ]]; then
    timeout 60 $HERD update >"$OUTDIR/raw/$1.update.txt" 2>&1; echo "rc=$?" >>"$OUTDIR/raw/$1.update.txt"
  else
    { timeout 30 $HERD save; timeout 30 $HERD kill; timeout 60 $HERD resurrect; echo "rc=$?"; } >"$OUTDIR/raw/$1.update.txt" 2>&1
  fi
  echo "$MODE took $(echo "$(now) - $t0" | bc) s" >>"$OUTDIR/raw/$1.update.txt"
}

for client in ${CLIENTS:-wrk hit hit-nka}; do
  HERD_HOME=$(mktemp -d /tmp/herd-home.XXXXXX); export HERD_HOME
  $HERD start "$NODE_HELLO" -i 2 --port 3000 "${SOCKET_FLAG[@]}" --name hello >"$OUTDIR/raw/$client.start.txt" 2>&1
  grep -q "started hello" "$OUTDIR/raw/$client.start.txt" || { echo "$client: herd start failed: $(cat "$OUTDIR/raw/$client.start.txt")"; $HERD kill >/dev/null 2>&1; continue; }
  wait_http "$URL" || continue
  sleep 1
  before=$($HERD list --json | jq -c '[.[] | {id, pid, status}]'); dpid0=$(cat "$HERD_HOME/daemon.pid")
  case $client in
    wrk) wrk -t2 -c64 -d20s --latency "$URL" >"$OUTDIR/raw/$client.txt" 2>&1 & cpid=$!;;
    hit) $HERD hit "$URL" --rate 200 -c 8 -d 20s --json >"$OUTDIR/raw/$client.txt" 2>"$OUTDIR/raw/$client.err" & cpid=$!;;
    hit-nka) $HERD hit "$URL" --rate 200 -c 8 -d 20s --no-keep-alive --json >"$OUTDIR/raw/$client.txt" 2>"$OUTDIR/raw/$client.err" & cpid=$!;;
  esac
  poll_outage 20 "$OUTDIR/raw/$client.poll.txt" & ppid_=$!
  sleep 5
  do_update "$client"
  wait "$cpid"; wait "$ppid_"
  after=$($HERD list --json | jq -c '[.[] | {id, pid, status}]'); dpid1=$(cat "$HERD_HOME/daemon.pid")
  echo "== $client ($MODE, $SHARING): daemon pid $dpid0 -> $dpid1; instances before $before after $after"
  cat "$OUTDIR/raw/$client.update.txt" | grep -E 'rc=|took|daemon is now|error' 
  echo "curl poll (new connection every ~10 ms, same window): $(cat "$OUTDIR/raw/$client.poll.txt")"
  if [[ $client == wrk ]]; then
    grep -E 'requests in|Socket errors|Non-2xx|Requests/sec' "$OUTDIR/raw/$client.txt"
  else
    jq -c '{requests: .requests, errors: .errors}' "$OUTDIR/raw/$client.txt" 2>/dev/null || head -c 2000 "$OUTDIR/raw/$client.txt"
  fi
  $HERD kill >/dev/null 2>&1
  sleep 1
done
