#!/usr/bin/env bash
# The client and the daemon beside PM2's, with the same apps (node hello servers, fork mode, on
# 127.0.0.1), each tool with its own HOME and HERD_HOME / PM2_HOME:
#   1. 10 apps: `hyperfine -N --warmup 3 --runs RUNS 'herd list' 'pm2 list'`, ROUNDS times, the
#      two tools alternating from round to round (the machine is shared: quote the ratios);
#      and then RUNS pairs run by run, interleaved (median wall time and CPU of each);
#   2. both daemons' memory: VmRSS (anon + file) from /proc/PID/status, and PSS from
#      smaps_rollup (CDS and JDK pages are shared with other JVMs, PSS charges a share of them);
#   3. both daemons' CPU (utime + stime of the daemon process alone, from /proc/PID/stat, read
#      every second) over CPU_SECONDS: 10 apps idle; 20 apps idle; 20 apps with a `list --json`
#      (pm2 jlist) every second, as a dashboard polling it would.
# Usage: bench/list-and-rss.sh   env: RUNS (20) ROUNDS (3) CPU_SECONDS (60) PORT_BASE (47100)
# Needs node, hyperfine, jq and herd's jar (./mvnw -B -q -DskipTests package); PM2 comes from the
# shared harness's pinned package.json, installed under $BENCH_OUT. Every step is bounded in
# time; the daemons and apps it started are stopped by their PIDs, and nothing else.
set -uo pipefail
source "$(dirname "$0")/cluster/lib.sh"   # root, HERD, PM2, OUT, HZ, descendants, wait_quiet
RUNS=${RUNS:-20}
ROUNDS=${ROUNDS:-3}
SECS=${CPU_SECONDS:-60}
PORT_BASE=${PORT_BASE:-47100}
HELLO="$BENCH/servers/hello.js"
herd_root="$(cd "$(dirname "$HERD")/.." && pwd)"   # HERD=/other/checkout/bin/herd measures that one
[[ -f $herd_root/herd-cli/target/herd.jar ]] || { echo "build herd first: ./mvnw -B -q -DskipTests package" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "needs hyperfine: apt-get install -y hyperfine" >&2; exit 1; }
[[ -x $PM2 ]] || { echo "PM2 did not install under $OUT" >&2; exit 1; }
for i in $(seq 1 20); do
  for port in $((PORT_BASE + i)) $((PORT_BASE + 100 + i)); do
    ss -Hltn "sport = :$port" | grep -q . && { echo "port $port is taken: set PORT_BASE" >&2; exit 1; }
  done
done

WORK=$(mktemp -d "$OUT/list-and-rss.XXXXXX")
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS="$OUT/results/list-and-rss-$STAMP"; mkdir -p "$RESULTS"
exec > >(tee -a "$RESULTS/summary.txt") 2>&1
HERD_ENV=(env HOME="$WORK/herd-user" HERD_HOME="$WORK/herd")
PM2_ENV=(env HOME="$WORK/pm2-user" PM2_HOME="$WORK/pm2")
mkdir -p "$WORK/herd-user" "$WORK/pm2-user"
herd() { timeout 60 "${HERD_ENV[@]}" "$HERD" "$@"; }
pm2() { timeout 60 "${PM2_ENV[@]}" "$PM2" "$@"; }

herd_pid=""; pm2_pid=""
cleanup() {
  local started
  started=$(descendants ${herd_pid:+"$herd_pid"} ${pm2_pid:+"$pm2_pid"})
  # Each tool's own stop first (it stops its apps gracefully), then whatever of ours is left.
  [[ -n $herd_pid ]] && herd kill >/dev/null 2>&1
  [[ -n $pm2_pid ]] && pm2 kill >/dev/null 2>&1
  for p in $started; do [[ -d /proc/$p ]] && kill -KILL "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

start_apps() {  # start_apps FROM TO: hello servers h<i> under herd and p<i> under PM2
  local i
  for i in $(seq "$1" "$2"); do
    "${HERD_ENV[@]}" PORT=$((PORT_BASE + i)) timeout 60 "$HERD" start "$HELLO" --name "h$i" >/dev/null || return 1
    "${PM2_ENV[@]}" PORT=$((PORT_BASE + 100 + i)) timeout 60 "$PM2" start "$HELLO" --name "p$i" >/dev/null 2>&1 || return 1
  done
}
wait_online() {  # wait_online N: both tools report N online apps (bounded: 30 s)
  local end=$((SECONDS + 30)) h p
  while ((SECONDS < end)); do
    h=$(herd list --json 2>/dev/null | jq '[.[] | select(.status == "online")] | length')
    p=$(pm2 jlist 2>/dev/null | jq '[.[] | select(.pm2_env.status == "online")] | length')
    [[ $h == "$1" && $p == "$1" ]] && return 0
    sleep 0.5
  done
  echo "ERROR: not $1 online apps after 30 s (herd ${h:-?}, pm2 ${p:-?})" >&2; return 1
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
memory() {  # memory LABEL PID
  local rss anon file pss
  read -r rss anon file < <(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print r, a, f}' "/proc/$2/status")
  pss=$(awk '/^Pss:/ {print $2}' "/proc/$2/smaps_rollup")
  echo "  $1 daemon (pid $2): RSS $(mib "$rss") MiB (anon $(mib "$anon"), file $(mib "$file")), PSS $(mib "$pss") MiB"
  echo "$rss" >"$WORK/rss-$1"
}
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
cpu() {  # cpu LABEL [POLL]: both daemons' CPU read every second for SECS s; POLL: a list each second
  local t0 h0 p0 h1 p1 t1 hs=() ps=() i poller=""
  if [[ -n ${2:-} ]]; then
    (end=$((SECONDS + SECS)); while ((SECONDS < end)); do
      herd list --json >/dev/null 2>&1 & pm2 jlist >/dev/null 2>&1 & wait; sleep 1
    done) &
    poller=$!
  fi
  t0=$(date +%s%N); h0=$(ticks "$herd_pid"); p0=$(ticks "$pm2_pid")
  local hstart=$h0 pstart=$p0 tstart=$t0
  for ((i = 0; i < SECS; i++)); do
    sleep 1
    t1=$(date +%s%N); h1=$(ticks "$herd_pid"); p1=$(ticks "$pm2_pid")
    hs+=("$(( (h1 - h0) * 100 * 1000000000 / HZ / (t1 - t0) ))"); ps+=("$(( (p1 - p0) * 100 * 1000000000 / HZ / (t1 - t0) ))")
    t0=$t1; h0=$h1; p0=$p1
  done
  [[ -n $poller ]] && wait "$poller"
  local secs_ns=$((t1 - tstart))
  awk -v l="$1" -v hz="$HZ" -v ns="$secs_ns" -v ht=$((h1 - hstart)) -v pt=$((p1 - pstart)) \
      -v hmax="$(printf '%s\n' "${hs[@]}" | sort -n | tail -1)" -v pmax="$(printf '%s\n' "${ps[@]}" | sort -n | tail -1)" \
      'BEGIN { s = ns / 1e9; printf "  %s, %.0f s: herd %.2f%% of a core (%d ticks, busiest second %d%%), pm2 %.2f%% (%d ticks, busiest second %d%%)\n",
               l, s, ht / hz / s * 100, ht, hmax, pt / hz / s * 100, pt, pmax }'
}

log "herd $herd_root ($(git -C "$herd_root" rev-parse --short HEAD 2>/dev/null || echo "no git")), $("$JAVA17" -version 2>&1 | head -1), PM2 $("${PM2_ENV[@]}" "$PM2" --version 2>/dev/null | tail -1), node $(node --version)"
# The first daemon of a build dumps its AppCDS archive as it exits; the measured one maps it.
herd ping >/dev/null && herd kill >/dev/null || exit 1
herd ping >/dev/null || exit 1
herd_pid=$(cat "$WORK/herd/daemon.pid")
pm2 ping >/dev/null 2>&1 || exit 1
pm2_pid=$(cat "$WORK/pm2/pm2.pid")
start_apps 1 10 || { echo "ERROR: could not start the apps" >&2; exit 1; }
wait_online 10 || exit 1

echo "== 10 apps: herd list vs pm2 list (hyperfine -N --warmup 3 --runs $RUNS, $ROUNDS rounds)"
for ((r = 1; r <= ROUNDS; r++)); do
  wait_quiet 20 >/dev/null
  # Alternate which tool goes first, so neither always runs on the quieter half.
  cmds=("${HERD_ENV[*]} $HERD list" "${PM2_ENV[*]} $PM2 list")
  ((r % 2 == 0)) && cmds=("${cmds[1]}" "${cmds[0]}")
  timeout 600 hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$WORK/round$r.json" \
    -n "${cmds[0]##*/}" "${cmds[0]}" -n "${cmds[1]##*/}" "${cmds[1]}" 2>&1 | grep -E '^(Benchmark|  Time|  Range)'
  jq -r --arg r "$r" '(.results | map({key: .command, value: .}) | from_entries) as $m
    | "  round \($r): herd list mean \($m["herd list"].mean * 1000 | floor) ms (median \($m["herd list"].median * 1000 | floor)),"
      + " pm2 list mean \($m["pm2 list"].mean * 1000 | floor) ms (median \($m["pm2 list"].median * 1000 | floor)),"
      + " herd/pm2 \(($m["herd list"].mean / $m["pm2 list"].mean * 100 | round) / 100)"' "$WORK/round$r.json"
done
jq -s '[.[] | (.results | map({key: .command, value: .mean}) | from_entries) | .["herd list"] / .["pm2 list"]] | sort | .[length / 2 | floor]' \
  "$WORK"/round*.json | awk '{printf "  herd list / pm2 list, median of the rounds: %.2f\n", $1}'

echo "== 10 apps: the same, interleaved run by run ($RUNS pairs, the first of each pair alternating)"
interleaved() {
  local i c t0 out=() cmd
  : >"$WORK/pairs"
  for ((i = 0; i < RUNS; i++)); do
    out=(herd pm2); ((i % 2)) && out=(pm2 herd)
    for c in "${out[@]}"; do
      if [[ $c == herd ]]; then cmd=("${HERD_ENV[@]}" "$HERD" list); else cmd=("${PM2_ENV[@]}" "$PM2" list); fi
      t0=$(date +%s%N)
      /usr/bin/time -f "%U %S" -o "$WORK/cpu" timeout 60 "${cmd[@]}" >/dev/null 2>&1
      echo "$c $(( ($(date +%s%N) - t0) / 1000000 )) $(awk '{printf "%d", ($1 + $2) * 1000}' "$WORK/cpu")" >>"$WORK/pairs"
    done
  done
  awk 'function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                       return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
       { n[$1]++; w[$1, n[$1]] = $2; c[$1, n[$1]] = $3 }
       END { for (t in n) { for (i = 1; i <= n[t]; i++) { ww[i] = w[t, i]; cc[i] = c[t, i] }; mw[t] = median(ww, n[t]); mc[t] = median(cc, n[t]) }
             printf "  herd list median %d ms (CPU %d ms), pm2 list median %d ms (CPU %d ms): herd/pm2 wall %.2f, CPU %.2f\n",
                    mw["herd"], mc["herd"], mw["pm2"], mc["pm2"], mw["herd"] / mw["pm2"], mc["herd"] / mc["pm2"] }' "$WORK/pairs"
}
wait_quiet 20 >/dev/null
interleaved

echo "== memory, 10 apps, after the lists"
memory herd "$herd_pid"; memory pm2 "$pm2_pid"
awk -v h="$(cat "$WORK/rss-herd")" -v p="$(cat "$WORK/rss-pm2")" 'BEGIN { printf "  herd RSS / pm2 RSS: %.2f\n", h / p }'

echo "== daemon CPU (CLK_TCK $HZ: one tick is $((1000 / HZ)) ms)"
cpu "10 apps idle"
start_apps 11 20 || { echo "ERROR: could not start the apps" >&2; exit 1; }
wait_online 20 || exit 1
cpu "20 apps idle"
cpu "20 apps, a list each second" poll
echo "== memory, 20 apps"
memory herd "$herd_pid"; memory pm2 "$pm2_pid"
echo "results: $RESULTS/summary.txt"
