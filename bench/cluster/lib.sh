# The shared peer harness's helpers (wrk, PM2 under $BENCH_OUT, start_bg, stop_started...), with
# BENCH pointing at the harness, so these cluster-mode scripts run from herd's own repository.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERD="${HERD:-$root/bin/herd}"
source "${SHARED_BENCH:-$root/../shared/bench}/lib.sh"
