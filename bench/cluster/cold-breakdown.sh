#!/usr/bin/env bash
# Where herd's cold `start -i 2 --port` time goes: t0, then the daemon log's timestamps
# (daemon serving, public port open, both admitted), the command's return, first 200. 3 trials.
set -uo pipefail
source "$(dirname "$0")/lib.sh"; NODE_HELLO="$BENCH/servers/hello.js"
ms() { date +%s%3N; }
lt() { date -d "$(echo "$1" | cut -c1-23)" +%s%3N; }
for i in 1 2 3; do
  HERD_HOME=$(mktemp -d /tmp/herd-home.XXXXXX); export HERD_HOME
  t0=$(ms)
  $HERD start "$NODE_HELLO" -i 2 --port 3000 --name hello >/dev/null 2>&1; tr=$(ms)
  end=$(( $(date +%s) + 20 )); until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:3000/) == 200 ]] || (( $(date +%s) > end )); do sleep 0.01; done; t200=$(ms)
  L=$HERD_HOME/daemon.log
  ts=$(lt "$(grep -m1 'serving' $L)"); to=$(lt "$(grep -m1 'public port.*open' $L)"); ta=$(lt "$(grep 'admitted' $L | sed -n 2p)")
  t1=$(ms); $HERD ping >/dev/null 2>&1; tp=$(( $(ms) - t1 ))
  echo "trial $i (ms from t0): daemon serving $((ts-t0)), public port open $((to-t0)), 2nd instance admitted $((ta-t0)), herd start returned $((tr-t0)), first 200 $((t200-t0)); warm 'herd ping' $tp"
  $HERD kill >/dev/null 2>&1; sleep 1
done
