#!/usr/bin/env bash
# `herd list` wall time and daemon RSS with 10 apps, beside `pm2 list` and the PM2 daemon with
# the same 10 apps (node hello servers on 127.0.0.1:3101-3110, fork mode), interleaved.
# Usage: bench/list-and-rss.sh [RUNS]   (default 10; prints medians)
# Needs: node, npm (PM2 is installed into $BENCH_OUT from ../shared/bench's pinned package.json),
# hyperfine (apt-get install hyperfine). Everything runs on 127.0.0.1 and is stopped by PID.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_BENCH:-$root/../shared/bench}"
RUNS=${1:-10}
OUT="${BENCH_OUT:-/tmp/herd-bench}"
mkdir -p "$OUT"
export PM2_HOME="$OUT/.pm2-list"
export HERD_HOME="$OUT/.herd-list"
HERD="$root/bin/herd"
PM2="$OUT/node_modules/.bin/pm2"
if [[ ! -x $PM2 ]]; then
  cp "$shared/package.json" "$shared/package-lock.json" "$OUT/" && (cd "$OUT" && npm ci --silent >/dev/null 2>&1)
fi
command -v hyperfine >/dev/null || { echo "needs hyperfine: apt-get install -y hyperfine" >&2; exit 1; }
hello="$shared/servers/hello.js"

cleanup() {
  "$HERD" kill >/dev/null 2>&1 || true
  "$PM2" kill >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

"$HERD" ping >/dev/null
for i in $(seq 1 10); do
  PORT=$((3100 + i)) "$HERD" start "$hello" --name "h$i" >/dev/null
  PORT=$((3100 + i + 100)) "$PM2" start "$hello" --name "p$i" >/dev/null 2>&1
done
sleep 3
herd_pid=$(cat "$HERD_HOME/daemon.pid")
pm2_pid=$(cat "$PM2_HOME/pm2.pid")
echo "apps: herd $("$HERD" list --json | jq length), pm2 $("$PM2" jlist 2>/dev/null | jq length)"

hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$OUT/list.json" \
  "$HERD list" "$PM2 list" >/dev/null 2>&1
jq -r '.results[] | "\(.command | split("/") | last): median \(.median * 1000 | floor) ms (min \(.min * 1000 | floor), max \(.max * 1000 | floor), n \(.times | length))"' "$OUT/list.json"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
echo "daemon RSS after the runs: herd $(rss "$herd_pid") KiB, pm2 $(rss "$pm2_pid") KiB"
