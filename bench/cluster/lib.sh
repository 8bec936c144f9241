# The shared peer harness's helpers (wrk, PM2 under $BENCH_OUT, start_bg, stop_started...), with
# BENCH pointing at the harness, so these cluster-mode scripts run from herd's own repository.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERD="${HERD:-$root/bin/herd}"
source "${SHARED_BENCH:-$root/../shared/bench}/lib.sh"

# run_configs: REPS rounds over CONFIGS, in an order that rotates from round to round; each config
# is started with the caller's start_config, warmed up for WARM, measured with wrk -t2 -c64 and
# -t1 -c4 for DUR each (a line per load in $CSV), then stopped with the caller's stop_config.
run_configs() {
  local n=${#CONFIGS[@]} rep k cfg load t c raw rps p50 p99 req non se
  echo "rep,config,load,rps,p50_ms,p99_ms,requests,non2xx,sock_err" >"$CSV"
  for rep in $(seq 1 "$REPS"); do
    for k in $(seq 0 $((n - 1))); do
      cfg=${CONFIGS[$(( (k + rep) % n ))]}
      log "rep $rep: $cfg"
      start_config "$cfg" || { log "$cfg did not start"; stop_config "$cfg"; continue; }
      wrk -t2 -c64 -d"$WARM" http://127.0.0.1:3000/ >/dev/null 2>&1
      for load in c64 c4; do
        if [[ $load == c64 ]]; then t=2; c=64; else t=1; c=4; fi
        raw="$OUTDIR/raw/$rep-$cfg-$load.txt"
        wrk -t$t -c$c -d"$DUR" --latency http://127.0.0.1:3000/ >"$raw" 2>&1
        read -r rps p50 p99 req non se < <(parse_wrk "$raw")
        echo "$rep,$cfg,$load,$rps,$p50,$p99,$req,$non,$se" >>"$CSV"
        log "  $load: $rps req/s p50 $p50 ms p99 $p99 ms errors $((non + se))"
      done
      stop_config "$cfg"
    done
  done
}

# medians BASE...: the median requests/s and p99 of each config and load in $CSV, and its req/s
# over each BASE config's, sorted, into $OUTDIR/summary.txt (and shown).
medians() {
  awk -F, -v bases="$*" 'NR>1 { k=$2","$3; n[k]++; r[k,n[k]]=$4; p[k,n[k]]=$6 }
    function med(a, k, c,   i, j, t, v) { for (i=1;i<=c;i++) v[i]=a[k,i]; for (i=1;i<=c;i++) for (j=i+1;j<=c;j++) if (v[j]<v[i]) { t=v[i]; v[i]=v[j]; v[j]=t }
      return c%2 ? v[(c+1)/2] : (v[c/2]+v[c/2+1])/2 }
    END { nb = split(bases, b, " ")
      for (k in n) { split(k, f, ","); R[f[1],f[2]]=med(r,k,n[k]); P[f[1],f[2]]=med(p,k,n[k]); cfgs[f[1]]=1 }
      printf "%-18s %-4s %10s %9s", "config", "load", "req/s", "p99 ms"; for (i=1;i<=nb;i++) printf " %16s", "x " b[i]; printf "\n"
      for (c in cfgs) for (l=1; l<=2; l++) { ld = l==1 ? "c64" : "c4"
        printf "%-18s %-4s %10.0f %9.2f", c, ld, R[c,ld], P[c,ld]
        for (i=1;i<=nb;i++) printf " %16.2f", R[b[i],ld] ? R[c,ld]/R[b[i],ld] : 0; printf "\n" } }' \
    "$CSV" | sort | tee "$OUTDIR/summary.txt"
}
