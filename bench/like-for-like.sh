#!/usr/bin/env bash
# herd, HAProxy and nginx doing the same work: each with and without X-Forwarded-For/-Proto/-Host
# (herd sets them by default, the shared harness's HAProxy and nginx configs do not, and parsing
# three more headers costs the node backends ~10% more CPU per request). Same two node backends,
# wrk -t2 -c64 -d10s after a 5 s warm-up, interleaved reps, medians; CPU per request read from
# /proc for the proxy (all its threads: JIT and GC included) and for the backends.
# Usage: bench/like-for-like.sh [REPS] [CONFIG...]
#   configs: herd-xff herd-plain haproxy-xff haproxy-plain nginx-xff nginx-plain (default: all)
# Needs: apt-get install -y wrk haproxy nginx-light (then: service haproxy stop; service nginx stop)
set -uo pipefail  # no -e: lib.sh waits on the PIDs it stops, and their exit codes are not errors
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_BENCH:-$root/../shared/bench}"
reps=${1:-5}
shift || true
configs=("$@")
(( ${#configs[@]} )) || configs=(herd-xff herd-plain haproxy-xff haproxy-plain nginx-xff nginx-plain)
[[ -f "$root/herd-cli/target/herd.jar" ]] || (cd "$root" && ./mvnw -B -q -DskipTests package)
source "$shared/lib.sh"
source "$root/bench/peers.sh"
HERD="$root/bin/herd"
NODE_HELLO="$shared/servers/hello.js"
OUTDIR="$OUT/like-for-like-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUTDIR"
CSV="$OUTDIR/results.csv"
echo "rep,config,rps,p99_ms,proxy_us_per_req,backends_us_per_req,wrk_cpu_pct" >"$CSV"
trap stop_started EXIT

ticks() {  # user+system clock ticks of the given PIDs (all their threads); a PID gone counts 0
  local t=0 p v
  for p in "$@"; do
    v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12+$13}')
    t=$(( t + ${v:-0} ))
  done
  echo $t
}

for ((rep = 1; rep <= reps; rep++)); do
  n=${#configs[@]}
  for ((i = 0; i < n; i++)); do
    cfg=${configs[$(( (i + rep - 1) % n ))]}
    log "rep $rep: $cfg"
    PORT=3001 start_bg be1 node "$NODE_HELLO"; b1=$LAST_PID
    PORT=3002 start_bg be2 node "$NODE_HELLO"; b2=$LAST_PID
    wait_http http://127.0.0.1:3001/ && wait_http http://127.0.0.1:3002/
    case $cfg in
      herd-xff) start_bg herd "$HERD" balance --listen 127.0.0.1:8080 --backend 127.0.0.1:3001 --backend 127.0.0.1:3002 ;;
      herd-plain) start_bg herd "$HERD" balance --listen 127.0.0.1:8080 --backend 127.0.0.1:3001 --backend 127.0.0.1:3002 \
                    --no-forwarded-headers ;;
      haproxy-xff|haproxy-plain) start_bg haproxy haproxy -db -f "$(haproxy_cfg "${cfg#haproxy-}")" ;;
      nginx-xff|nginx-plain) start_bg nginx nginx -p "$RUN/peer-nginx" -e "$RUN/peer-nginx/error.log" \
                    -c "$(nginx_cfg "${cfg#nginx-}")" -g 'daemon off;' ;;
      *) log "unknown config $cfg"; exit 2 ;;
    esac
    proxy=$LAST_PID
    wait_http http://127.0.0.1:8080/
    if [[ ! -d /proc/$proxy ]]; then  # something else answered on 8080
      log "ERROR: $cfg exited; see $RUN/*.log (is port 8080, 3001 or 3002 taken?)"; exit 1
    fi
    wrk -t2 -c64 -d5s http://127.0.0.1:8080/ >/dev/null 2>&1
    pids=($(descendants "$proxy"))
    p0=$(ticks "${pids[@]}"); k0=$(ticks "$b1" "$b2"); t0=$(now)
    /usr/bin/time -f '%U %S' -o "$RUN/lfl-wrk.time" wrk -t2 -c64 -d10s --latency http://127.0.0.1:8080/ >"$OUTDIR/$rep-$cfg.txt" 2>&1
    t1=$(now); p1=$(ticks "${pids[@]}"); k1=$(ticks "$b1" "$b2")
    read -r wu ws <"$RUN/lfl-wrk.time"
    awk -v rep="$rep" -v cfg="$cfg" -v p="$((p1 - p0))" -v k="$((k1 - k0))" -v hz="$HZ" -v t0="$t0" -v t1="$t1" \
        -v wu="$wu" -v ws="$ws" '
      /Requests\/sec/ { rps = $2 }
      / 99%/ { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; p99 = v }
      /requests in/ { n = $1 }
      END { printf "%s,%s,%.0f,%.2f,%.1f,%.1f,%.0f\n", rep, cfg, rps, p99, p / hz * 1e6 / n, k / hz * 1e6 / n,
            (wu + ws) / (t1 - t0) * 100 }' "$OUTDIR/$rep-$cfg.txt" >>"$CSV"
    log "  $(tail -1 "$CSV")"
    stop_started
    sleep 1
  done
done

echo
echo "medians of $reps (wrk -t2 -c64 -d10s; CPU per request in microseconds; $OUTDIR)"
printf "| %-14s | %8s | %7s | %9s | %12s |\n" config "req/s" "p99 ms" "proxy us" "backends us"
printf "|%s|%s|%s|%s|%s|\n" "----------------" "----------" "---------" "-----------" "--------------"
for cfg in "${configs[@]}"; do
  median() { grep ",$cfg," "$CSV" | cut -d, -f"$1" | sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
  printf "| %-14s | %8s | %7s | %9s | %12s |\n" "$cfg" "$(median 3)" "$(median 4)" "$(median 5)" "$(median 6)"
done
