package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.backend;
import static dev.herd.balancer.Fixtures.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every algorithm gives a backend its weight's share: picks over many requests with fixed seeds
 * and a fake clock, requests held in flight so that the load-aware algorithms see load.
 */
class WeightsTest {

    private static final int PICKS = 120_000;
    /** Enough in flight that least-conn's {@code + 1} barely shifts the shares from the weights. */
    private static final int IN_FLIGHT = 300;
    private static final long LATENCY = 1_000_000;

    private final AtomicLong now = new AtomicLong();

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aBackendOfWeightThreeGetsThreeTimesTheShareOfOneOfWeightOne(Algorithm algorithm) {
        List<Backend> backends = List.of(backend("a", 3, 0), backend("b", 1, 0), backend("c", 1, 0), backend("d", 1, 0));
        LoadBalancer lb = LoadBalancers.of(algorithm, backends, now::get, new SplittableRandom(17));

        Map<String, Integer> counts = underLoad(lb);

        assertThat(counts.get("a") / (double) PICKS).as("a's share, %s", counts).isCloseTo(3 / 6.0, offset(0.02));
        for (String light : List.of("b", "c", "d")) {
            assertThat(counts.get(light) / (double) PICKS).as("%s's share, %s", light, counts).isCloseTo(1 / 6.0, offset(0.02));
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void anUnavailableBackendsShareGoesToTheOthersByWeight(Algorithm algorithm) {
        List<Backend> backends = List.of(backend("a", 3, 0), backend("b", 1, 0), backend("c", 2, 0));
        backends.get(2).setAdmin(AdminState.MAINTENANCE, 0);
        LoadBalancer lb = LoadBalancers.of(algorithm, backends, now::get, new SplittableRandom(23));

        Map<String, Integer> counts = underLoad(lb);

        assertThat(counts).doesNotContainKey("c");
        assertThat(counts.get("a") / (double) PICKS).as("%s", counts).isCloseTo(3 / 4.0, offset(0.02));
    }

    @Test
    void roundRobinInterleavesByWeightRatherThanInBursts() {
        LoadBalancer lb = LoadBalancers.roundRobin(List.of(backend("a", 3, 0), backend("b", 1, 0)), now::get);

        assertThat(ids(lb, 8)).containsExactly("a", "a", "b", "a", "a", "a", "b", "a");
    }

    @Test
    void roundRobinAndWeightedAreOneAlgorithm() {
        List<Backend> backends = List.of(backend("a", 5, 0), backend("b", 1, 0), backend("c", 2, 0));

        List<String> roundRobin = ids(LoadBalancers.of(Algorithm.ROUND_ROBIN, backends, now::get, 1), 40);
        List<String> weighted = ids(LoadBalancers.of(Algorithm.WEIGHTED, List.copyOf(backends), now::get, 1), 40);

        assertThat(weighted).isEqualTo(roundRobin);
    }

    /**
     * Picks {@link #PICKS} times with {@link #IN_FLIGHT} requests held; each ends, first in first
     * out, with the same latency on every backend, so a backend's share of picks is its share of
     * the load.
     */
    private Map<String, Integer> underLoad(LoadBalancer lb) {
        Map<String, Integer> counts = new TreeMap<>();
        Deque<Backend> inFlight = new ArrayDeque<>();
        for (int i = 0; i < PICKS; i++) {
            Backend b = lb.pick(new RequestInfo("10.2." + (i >> 8 & 255) + "." + (i & 255)));
            b.onStart();
            inFlight.add(b);
            counts.merge(b.id(), 1, Integer::sum);
            if (inFlight.size() > IN_FLIGHT) {
                now.addAndGet(10_000);
                inFlight.poll().onEnd(LATENCY, now.get(), null);
            }
        }
        return counts;
    }
}
