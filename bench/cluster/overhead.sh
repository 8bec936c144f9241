#!/usr/bin/env bash
# herd cluster mode recovery and cold start, beside PM2 and Node's cluster module, measured like
# bench-pm2-overhead.sh (curl poll every 10 ms, wait_quiet before each trial):
#   - kill -9 of one instance -> first answer on the public port from a NEW pid, for a herd
#     cluster app of node hello.js, of Hello.java (source launcher) and of a compiled Hello
#     (script: java, args -cp DIR Hello), for PM2 -i 2 and for servers/cluster.js
#   - `herd start hello.js -i 2 --port 3000` with no daemon (fresh HERD_HOME) -> first 200, and
#     `pm2 start hello.js -i 2` with no daemon -> first 200
# Usage: ./bench-herd-overhead.sh [TRIALS]   env: PARTS (kill cold)  KILL_WHAT (herd-node herd-javasrc herd-javac pm2 nodecluster)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH"
TRIALS=${1:-5}
export QUIET_MAX=${QUIET_MAX:-20}
quiet() { wait_quiet >/dev/null; }
STAMP=$(date +%Y%m%d-%H%M%S)
OUTDIR="$OUT/results/herd-overhead-$STAMP"; mkdir -p "$OUTDIR"
exec > >(tee -a "$OUTDIR/summary.txt") 2>&1
trap 'stop_started; [[ -f $PM2_HOME/pm2.pid ]] && $PM2 kill >/dev/null 2>&1' EXIT
NODE_HELLO="$BENCH/servers/hello.js"
HELLO_JAVA=${HELLO_JAVA:-$root/examples/hello/Hello.java}
CLASSES="$RUN/hello-classes"; mkdir -p "$CLASSES"; javac -d "$CLASSES" "$HELLO_JAVA"
[[ -f $PM2_HOME/pm2.pid ]] && $PM2 kill >/dev/null 2>&1

median() { sort -n | awk '{a[NR]=$1} END{ if (NR==0) {print "NA"; exit} printf "%.1f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'; }
minmax() { sort -n | awk 'NR==1{m=$1} {M=$1} END{printf "%s-%s", m, M}'; }
ms_since() { echo "($(date +%s%N) - $1) / 1000000" | bc -l; }
first_new_pid() {  # as in bench-pm2-overhead.sh
  local url=$1 known=$2 t0=$3 end body pid fails=0 polls=0
  end=$(( t0 + 15000000000 ))
  while (( $(date +%s%N) < end )); do
    polls=$((polls+1))
    body=$(curl -s --max-time 1 "$url") || { fails=$((fails+1)); sleep 0.01; continue; }
    pid=${body##* }
    if [[ -n $pid && ! $pid =~ ^($known)$ ]]; then
      printf "%.1f %d %d\n" "$(ms_since "$t0")" "$fails" "$polls"; return 0
    fi
    sleep 0.01
  done
  echo "NA $fails $polls"
}
wait_200_fast() {  # poll every 10 ms, bounded
  local end=$(( $(date +%s%N) + ${2:-30}000000000 ))
  while (( $(date +%s%N) < end )); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1") == 200 ]] && return 0
    sleep 0.01
  done
  return 1
}
herd_pids() { $HERD list --json 2>/dev/null | jq -r '.[] | select(.status=="online") | .pid' | paste -sd'|'; }
new_home() { HERD_HOME=$(mktemp -d /tmp/herd-home.XXXXXX); export HERD_HOME; }

eco() {  # eco KIND -> ecosystem file for a 2-instance cluster app on :3000
  local f="$RUN/eco-$1.yml"
  case $1 in
    herd-javasrc) cat >"$f" <<Y
apps:
  - name: hello
    script: $HELLO_JAVA
    jvm_args: -Xmx64m
    exec_mode: cluster
    instances: 2
    port: 3000
    listen_timeout: 15000
Y
    ;;
    herd-javac) cat >"$f" <<Y
apps:
  - name: hello
    script: java
    args: [-Xmx64m, -cp, $CLASSES, Hello]
    interpreter: none
    exec_mode: cluster
    instances: 2
    port: 3000
    listen_timeout: 15000
Y
    ;;
  esac
  echo "$f"
}

echo "== versions: node $(node --version), pm2 $(node -p "require('./node_modules/pm2/package.json').version" 2>/dev/null || (cd "$OUT" && node -p "require('./node_modules/pm2/package.json').version")), $(java -version 2>&1 | head -1), herd $HERD"

if [[ " ${PARTS:-kill cold} " == *" kill "* ]]; then
echo "== kill -9 one instance -> first answer from a new pid on :3000 (ms; curl poll every 10 ms; n=$TRIALS)"
for what in ${KILL_WHAT:-herd-node herd-javasrc herd-javac pm2 nodecluster}; do
  case $what in
    herd-node) new_home; $HERD start "$NODE_HELLO" -i 2 --port 3000 --name hello >"$RUN/herd-start.log" 2>&1;;
    herd-javasrc|herd-javac) new_home; $HERD start "$(eco $what)" >"$RUN/herd-start.log" 2>&1;;
    pm2) PORT=3000 $PM2 start "$NODE_HELLO" -i 2 --name hello >"$RUN/pm2-start.log" 2>&1;;
    nodecluster) PORT=3000 WORKERS=2 start_bg cl node "$BENCH/servers/cluster.js"; CL=$LAST_PID;;
  esac
  wait_200_fast http://127.0.0.1:3000/ 30 || { echo "$what: never answered"; cat "$RUN/herd-start.log"; }
  vals=(); fl=()
  for ((i=0; i<TRIALS; i++)); do
    # both instances answering before each kill
    end=$(( $(date +%s) + 30 ))
    while :; do
      case $what in
        herd-*) pids=$(herd_pids);;
        pm2) pids=$($PM2 jlist 2>/dev/null | jq -r '.[] | select(.pm2_env.status=="online") | .pid' | paste -sd'|');;
        nodecluster) pids=$(ps -o pid= --ppid "$CL" | tr -d ' ' | paste -sd'|');;
      esac
      [[ $pids == *"|"* ]] && break
      (( $(date +%s) > end )) && break
      sleep 0.1
    done
    sleep 1; quiet
    victim=${pids%%|*}
    t0=$(date +%s%N); kill -9 "$victim"
    read -r ms fails polls < <(first_new_pid http://127.0.0.1:3000/ "$pids" "$t0")
    vals+=("$ms"); fl+=("$fails/$polls")
  done
  echo "kill $what: median $(printf '%s\n' "${vals[@]}" | median) ms  [$(printf '%s\n' "${vals[@]}" | minmax)]  runs: ${vals[*]}  failed/polls: ${fl[*]}"
  case $what in
    herd-*) $HERD list >"$OUTDIR/list-$what.txt" 2>&1; $HERD kill >"$RUN/herd-kill.log" 2>&1;;
    pm2) $PM2 kill >"$RUN/pm2-kill.log" 2>&1;;
    nodecluster) stop_started;;
  esac
  sleep 1
done
fi

if [[ " ${PARTS:-kill cold} " == *" cold "* ]]; then
echo "== no daemon -> start -i 2 -> first 200 on :3000 (ms; poll every 10 ms; n=$TRIALS; interleaved herd/pm2)"
hv=(); pv=(); hs=(); ps_=()
for ((i=0; i<TRIALS; i++)); do
  quiet
  new_home
  t0=$(date +%s%N)
  $HERD start "$NODE_HELLO" -i 2 --port 3000 --name hello >"$RUN/herd-start.log" 2>&1
  hs+=("$(printf '%.1f' "$(ms_since "$t0")")")
  wait_200_fast http://127.0.0.1:3000/ 30
  hv+=("$(printf '%.1f' "$(ms_since "$t0")")")
  $HERD kill >"$RUN/herd-kill.log" 2>&1
  sleep 0.5; quiet
  t0=$(date +%s%N)
  PORT=3000 $PM2 start "$NODE_HELLO" -i 2 --name hello >"$RUN/pm2-start.log" 2>&1
  ps_+=("$(printf '%.1f' "$(ms_since "$t0")")")
  wait_200_fast http://127.0.0.1:3000/ 30
  pv+=("$(printf '%.1f' "$(ms_since "$t0")")")
  $PM2 kill >"$RUN/pm2-kill.log" 2>&1
  sleep 0.5
done
echo "cold herd start -i 2 --port 3000 -> first 200: median $(printf '%s\n' "${hv[@]}" | median) ms [$(printf '%s\n' "${hv[@]}" | minmax)] runs: ${hv[*]} (command returned after: ${hs[*]})"
echo "cold pm2 start -i 2 -> first 200: median $(printf '%s\n' "${pv[@]}" | median) ms [$(printf '%s\n' "${pv[@]}" | minmax)] runs: ${pv[*]} (command returned after: ${ps_[*]})"
fi
echo "== done"
