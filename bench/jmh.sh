#!/usr/bin/env bash
# JMH: nanoseconds per pick of each balancing algorithm at 2, 16 and 256 backends.
# Usage: bench/jmh.sh [JMH options]   e.g. bench/jmh.sh -f 1 -wi 1 -i 2 -w 1s -r 1s
#        bench/jmh.sh -p algorithm=P2C -p backends=256 -t 4
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
exec "$java" -cp "$cp" org.openjdk.jmh.Main PickBenchmark "$@"
