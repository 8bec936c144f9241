#!/usr/bin/env bash
# herd's balancer beside HAProxy and nginx, same two backends, wrk -t2 -c64 and -t1 -c4, through
# the shared peer harness (../shared/bench), interleaved runs, medians.
# Usage: bench/throughput.sh [REPS] [CONFIG...]
#   default: 5 reps of herd-2node herd-tcp-2node haproxy-2node nginx-2node
# Needs: apt-get install -y wrk haproxy nginx-light (then: service haproxy stop; service nginx stop)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_BENCH:-$root/../shared/bench}"
reps=${1:-5}
shift || true
configs=("$@")
(( ${#configs[@]} )) || configs=(herd-2node herd-tcp-2node haproxy-2node nginx-2node)
[[ -f "$root/herd-cli/target/herd.jar" ]] || (cd "$root" && ./mvnw -B -q -DskipTests package)
HERD="$root/bin/herd" exec "$shared/bench-throughput.sh" "$reps" "${configs[@]}"
