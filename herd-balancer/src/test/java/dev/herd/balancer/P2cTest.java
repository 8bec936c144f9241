package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.backends;
import static dev.herd.balancer.Fixtures.counts;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class P2cTest {

    private static final long MS = 1_000_000;

    private final AtomicLong now = new AtomicLong();

    @Test
    void alwaysTakesTheCheaperOfTwo() {
        List<Backend> backends = backends(2);
        observe(backends.get(0), 5 * MS);
        observe(backends.get(1), 2 * MS);
        LoadBalancer lb = LoadBalancers.p2c(backends, now::get, new SplittableRandom(1));

        assertThat(counts(lb, 1_000, i -> "k")).containsOnly(Map.entry("b1", 1_000));
    }

    @Test
    void loadCountsAgainstLatency() {
        List<Backend> backends = backends(2);
        observe(backends.get(0), 5 * MS);
        observe(backends.get(1), 2 * MS);
        // 2 ms × (2 + 1) in flight = 6 ms costs more than 5 ms × (0 + 1).
        Fixtures.load(backends.get(1), 2);
        LoadBalancer lb = LoadBalancers.p2c(backends, now::get, new SplittableRandom(1));

        assertThat(lb.pick(new RequestInfo("k")).id()).isEqualTo("b0");
    }

    @Test
    void equalCostsSpreadEvenly() {
        LoadBalancer lb = LoadBalancers.p2c(backends(4), now::get, new SplittableRandom(3));

        counts(lb, 40_000, i -> "k").values().forEach(c -> assertThat(c).isBetween(9_400, 10_600));
    }

    @Test
    void routesAroundABackendWhoseLatencyIsAHundredTimesTheOthers() {
        List<Backend> backends = backends(10);
        Backend stalled = backends.get(4);
        Map<Backend, Long> latency = new HashMap<>();
        backends.forEach(b -> latency.put(b, b == stalled ? 100 * MS : MS));
        backends.forEach(b -> observe(b, latency.get(b)));
        LoadBalancer lb = LoadBalancers.p2c(backends, now::get, new SplittableRandom(11));

        Map<String, Integer> counts = new HashMap<>();
        Deque<Backend> inFlight = new ArrayDeque<>();
        int picks = 100_000;
        for (int i = 0; i < picks; i++) {
            Backend b = lb.pick(new RequestInfo("k"));
            b.onStart();
            inFlight.add(b);
            counts.merge(b.id(), 1, Integer::sum);
            // 30 requests in flight; each ends 10 µs of fake time later with its backend's latency.
            if (inFlight.size() > 30) {
                now.addAndGet(10_000);
                Backend done = inFlight.poll();
                done.onEnd(latency.get(done), now.get(), null);
            }
        }

        assertThat(counts.getOrDefault(stalled.id(), 0)).isLessThan(picks / 20);
        backends.stream().filter(b -> b != stalled)
                .forEach(b -> assertThat(counts.get(b.id())).isBetween(10_000, 12_300));
    }

    private void observe(Backend b, long latencyNanos) {
        b.onStart();
        b.onEnd(latencyNanos, now.get(), null);
    }
}
