package dev.herd.balancer.bench;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.herd.balancer.Algorithm;
import dev.herd.balancer.Backend;
import dev.herd.balancer.LoadBalancer;
import dev.herd.balancer.LoadBalancers;
import dev.herd.balancer.RequestInfo;

/**
 * Nanoseconds per pick of each algorithm over 2, 16 and 256 available backends, on the real
 * ticker. Every backend has one latency sample (so p2c compares real costs) and no load; ip-hash
 * hashes a different client address on each pick. Run with {@code bench/jmh.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PickBenchmark {

    @Param({"ROUND_ROBIN", "LEAST_CONN", "IP_HASH", "WEIGHTED", "RANDOM", "P2C"})
    public Algorithm algorithm;

    @Param({"2", "16", "256"})
    public int backends;

    private LoadBalancer balancer;
    private RequestInfo[] requests;
    private int next;

    @Setup
    public void setUp() {
        long now = System.nanoTime();
        List<Backend> list = new ArrayList<>();
        for (int i = 0; i < backends; i++) {
            Backend b = new Backend("127.0.0.1:" + (9000 + i), InetSocketAddress.createUnresolved("127.0.0.1", 9000 + i),
                    1 + i % 3, now - 60_000_000_000L, 10_000_000_000L);
            b.onStart();
            b.onEnd(1_000_000 + 1_000L * i, now, null);
            list.add(b);
        }
        balancer = LoadBalancers.of(algorithm, list, System::nanoTime, 42);
        requests = new RequestInfo[1024];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = new RequestInfo("10.0." + (i >> 8) + "." + (i & 255));
        }
    }

    @Benchmark
    public Backend pick() {
        RequestInfo r = requests[next++ & (requests.length - 1)];
        return balancer.pick(r);
    }
}
