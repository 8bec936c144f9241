#!/usr/bin/env bash
# JMH: nanoseconds per pick of each balancing algorithm at 2, 16 and 256 backends (PickBenchmark),
# and of http mode's work on one exchange's heads (HttpHeadBenchmark).
# Usage: bench/jmh.sh [BENCHMARK-REGEX] [JMH options]   (default: both)
#   e.g. bench/jmh.sh -f 1 -wi 1 -i 2 -w 1s -r 1s
#        bench/jmh.sh PickBenchmark -p algorithm=P2C -p backends=256 -t 4
#        bench/jmh.sh HttpHeadBenchmark
# Runs on the java in PATH (or JAVA_HOME); the benchmark's generated code comes from the JMH
# annotation processor during test-compile.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
./mvnw -B -q -pl herd-balancer -am test-compile
cp_file="$root/herd-balancer/target/jmh.classpath"
./mvnw -B -q -pl herd-balancer dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
cp="$root/herd-balancer/target/test-classes:$root/herd-balancer/target/classes:$(cat "$cp_file")"
benchmarks='PickBenchmark|HttpHeadBenchmark'
if [[ $# -gt 0 && $1 != -* ]]; then
  benchmarks=$1
  shift
fi
exec "$java" -cp "$cp" org.openjdk.jmh.Main "$benchmarks" "$@"
