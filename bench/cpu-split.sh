#!/usr/bin/env bash
# Where a proxy's CPU goes, per request: user and kernel time of each group of its threads
# (herd: event loops, JIT compilers, GC; HAProxy: its one process), and the node backends' total,
# read from /proc over one wrk -t2 -c64 -d10s run after a warm-up (WARM, default 5s). Complements
# bench/throughput.sh, which gives one CPU figure per process.
# Usage: bench/cpu-split.sh herd [herd balance options...]   e.g. --no-forwarded-headers
#        bench/cpu-split.sh haproxy
# Needs: apt-get install -y wrk haproxy
set -uo pipefail  # no -e: lib.sh waits on the PIDs it stops, and their exit codes are not errors
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_BENCH:-$root/../shared/bench}"
what=${1:?usage: bench/cpu-split.sh herd|haproxy [herd balance options...]}
shift
[[ -f "$root/herd-cli/target/herd.jar" ]] || (cd "$root" && ./mvnw -B -q -DskipTests package)
source "$shared/lib.sh"
source "$root/bench/peers.sh"
trap stop_started EXIT

PORT=3001 start_bg be1 node "$shared/servers/hello.js"; b1=$LAST_PID
PORT=3002 start_bg be2 node "$shared/servers/hello.js"; b2=$LAST_PID
wait_http http://127.0.0.1:3001/ && wait_http http://127.0.0.1:3002/ || exit 1
case $what in
  herd) start_bg herd "$root/bin/herd" balance --listen 127.0.0.1:8080 \
          --backend 127.0.0.1:3001 --backend 127.0.0.1:3002 "$@" ;;
  haproxy) start_bg haproxy haproxy -db -f "$(haproxy_cfg plain)" ;;
  *) echo "usage: bench/cpu-split.sh herd|haproxy [herd balance options...]" >&2; exit 2 ;;
esac
proxy=$LAST_PID
wait_http http://127.0.0.1:8080/ || exit 1
[[ -d /proc/$proxy ]] || { log "ERROR: $what exited (is port 8080 taken?)"; exit 1; }
wrk -t2 -c64 -d"${WARM:-5s}" http://127.0.0.1:8080/ >/dev/null 2>&1

# One line per thread: its name (digits dropped, so a pool sums up) and its user and system ticks.
threads() {
  local t
  for t in /proc/"$proxy"/task/*; do
    echo "$(tr -d '0-9 ' <"$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12, $13}')"
  done
}
backend_ticks() { cat "/proc/$b1/stat" "/proc/$b2/stat" | sed 's/.*) //' | awk '{t += $12 + $13} END {print t}'; }

threads >"$RUN/cpu-split.0"; k0=$(backend_ticks)
n=$(wrk -t2 -c64 -d10s http://127.0.0.1:8080/ | awk '/requests in/ {print $1}')
threads >"$RUN/cpu-split.1"; k1=$(backend_ticks)

echo "$what: $n requests in 10 s; CPU per request in microseconds (1 tick = $((1000000 / HZ)) us)"
awk -v n="$n" -v hz="$HZ" '
  FNR == NR { u0[$1] += $2; s0[$1] += $3; next }
  { u1[$1] += $2; s1[$1] += $3 }
  END {
    for (k in u1) {
      u = u1[k] - u0[k]; s = s1[k] - s0[k]
      if (u + s > 0) printf "  %-20s user %5.1f  sys %5.1f\n", k, u / hz * 1e6 / n, s / hz * 1e6 / n
      tu += u; ts += s
    }
    printf "  %-20s user %5.1f  sys %5.1f  total %5.1f\n", "proxy, all threads", tu / hz * 1e6 / n, ts / hz * 1e6 / n,
        (tu + ts) / hz * 1e6 / n
  }' "$RUN/cpu-split.0" "$RUN/cpu-split.1"
awk -v n="$n" -v hz="$HZ" -v k="$((k1 - k0))" 'BEGIN { printf "  %-20s total %5.1f\n", "node backends", k / hz * 1e6 / n }'
