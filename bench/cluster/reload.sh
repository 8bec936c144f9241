#!/usr/bin/env bash
# Failed requests while an app is reloaded RELOADS times in a row under wrk -t2 -c64 load:
# herd cluster mode (`herd reload hello`) against PM2 cluster mode (`pm2 reload hello`),
# both with 2 instances of the harness's servers/hello.js (GRACEFUL=0 naive, 1 server.close()).
# wrk runs with -d ${MAX_LOAD}s and is stopped with SIGINT (it then prints its summary) 2 s after
# the last reload, so every reload falls inside the load. Fresh HERD_HOME per herd run.
# Usage: ./bench-reload-herd.sh  env: RELOADS (10), APPS (naive graceful), TOOLS (herd pm2), GAP (0.8)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH"
RELOADS=${RELOADS:-10}; GAP=${GAP:-0.8}; MAX_LOAD=${MAX_LOAD:-150}
STAMP=$(date +%Y%m%d-%H%M%S)
OUTDIR="$OUT/results/reload-herd-$STAMP"; mkdir -p "$OUTDIR/raw"
CSV="$OUTDIR/results.csv"
exec 2> >(tee -a "$OUTDIR/log.txt" >&2)
echo "tool,app,rep,requests,non2xx,connect,read,write,timeout,reload_s_median,reload_s_all,reload_rc,load_s" >"$CSV"
trap 'stop_started; [[ -f $PM2_HOME/pm2.pid ]] && $PM2 kill >/dev/null 2>&1' EXIT
NODE_HELLO="$BENCH/servers/hello.js"
app_mode() { case $1 in naive) echo 0;; graceful) echo 1;; drain) echo 2;; esac; }

scenario() {  # scenario TOOL APP REP
  local tool=$1 app=$2 rep=$3 g name="$1-$2-$3" durs=() rcs=() t0 i wpid tl
  g=$(app_mode "$app")
  if [[ $tool == herd ]]; then
    HERD_HOME=$(mktemp -d /tmp/herd-home.XXXXXX); export HERD_HOME
    GRACEFUL=$g $HERD start "$NODE_HELLO" -i 2 --port 3000 --name hello >"$RUN/herd-start.log" 2>&1
  else
    PORT=3000 GRACEFUL=$g $PM2 start "$NODE_HELLO" -i 2 --name hello >"$RUN/pm2-start.log" 2>&1
  fi
  wait_http http://127.0.0.1:3000/ || return 1
  sleep 1
  tl=$(now)
  wrk -t2 -c64 -d${MAX_LOAD}s --latency http://127.0.0.1:3000/ >"$OUTDIR/raw/$name.wrk.txt" 2>&1 & wpid=$!
  sleep 2
  for ((i=0; i<RELOADS; i++)); do
    t0=$(now)
    if [[ $tool == herd ]]; then
      GRACEFUL=$g timeout 60 $HERD reload hello >>"$OUTDIR/raw/$name.reload.log" 2>&1
    else
      PORT=3000 GRACEFUL=$g timeout 60 $PM2 reload hello >>"$OUTDIR/raw/$name.reload.log" 2>&1
    fi
    rcs+=($?); durs+=("$(echo "$(now) - $t0" | bc)")
    sleep "$GAP"
  done
  sleep 2
  kill -INT "$wpid"; wait "$wpid"
  local load_s; load_s=$(echo "$(now) - $tl" | bc)
  read -r rps p50 p99 req non se < <(parse_wrk "$OUTDIR/raw/$name.wrk.txt")
  local c=0 r=0 w=0 to=0 line
  line=$(grep 'Socket errors' "$OUTDIR/raw/$name.wrk.txt" | tr -d ',')
  [[ -n $line ]] && read -r _ _ _ c _ r _ w _ to <<<"$line"
  local med; med=$(printf '%s\n' "${durs[@]}" | sort -n | awk '{a[NR]=$1} END{printf "%.2f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  echo "$tool,$app,$rep,$req,$non,$c,$r,$w,$to,$med,${durs[*]},${rcs[*]},$load_s" >>"$CSV"
  log "$name: req=$req non2xx=$non connect=$c read=$r write=$w timeout=$to reload_s median=$med all=[${durs[*]}] rc=[${rcs[*]}]"
  if [[ $tool == herd ]]; then
    $HERD list >"$OUTDIR/raw/$name.list.txt" 2>&1
    $HERD kill >"$RUN/herd-kill.log" 2>&1
  else
    $PM2 list >"$OUTDIR/raw/$name.list.txt" 2>&1
    $PM2 kill >"$RUN/pm2-kill.log" 2>&1
  fi
  sleep 1
}

[[ -f $PM2_HOME/pm2.pid ]] && $PM2 kill >/dev/null 2>&1
for rep in $(seq "${REP0:-1}" "${REPS:-1}"); do
  for app in ${APPS:-naive graceful}; do
    for tool in ${TOOLS:-herd pm2}; do scenario "$tool" "$app" "$rep"; done
  done
done
column -s, -t "$CSV" | tee "$OUTDIR/summary.txt"
