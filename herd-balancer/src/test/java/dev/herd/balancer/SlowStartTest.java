package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.backend;
import static dev.herd.balancer.Fixtures.counts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class SlowStartTest {

    private static final Duration WINDOW = Duration.ofSeconds(30);
    /** When the young backend joins: the old ones joined at 0, more than a window before. */
    private static final long JOINED = 100_000_000_000L;
    private static final int PICKS = 100_000;

    private final AtomicLong now = new AtomicLong(JOINED);
    private final List<Backend> backends = List.of(
            backend("old0", 1, 0), backend("old1", 1, 0), backend("old2", 1, 0), backend("young", 1, JOINED));

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"ROUND_ROBIN", "WEIGHTED", "RANDOM", "P2C"})
    void aQuarterIntoTheWindowAYoungBackendGetsAQuarterOfASettledOnesShare(Algorithm algorithm) {
        now.set(JOINED + WINDOW.toNanos() / 4);

        assertThat(youngShareOfOldShare(algorithm)).isCloseTo(0.25, offset(0.02));
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"ROUND_ROBIN", "WEIGHTED", "RANDOM", "P2C", "IP_HASH"})
    void afterTheWindowAYoungBackendGetsItsFullShare(Algorithm algorithm) {
        now.set(JOINED + WINDOW.toNanos());

        assertThat(youngShareOfOldShare(algorithm)).isCloseTo(1.0, offset(0.05));
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"ROUND_ROBIN", "WEIGHTED", "RANDOM", "P2C", "IP_HASH"})
    void justJoinedItGetsTheTenPercentFloor(Algorithm algorithm) {
        assertThat(youngShareOfOldShare(algorithm)).isCloseTo(0.1, offset(0.02));
    }

    @Test
    void ipHashRampsByWeight() {
        now.set(JOINED + WINDOW.toNanos() / 4);

        assertThat(youngShareOfOldShare(Algorithm.IP_HASH)).isCloseTo(0.25, offset(0.02));
    }

    @Test
    void aZeroWindowLeavesTheBalancerAsItIs() {
        LoadBalancer inner = LoadBalancers.roundRobin(backends, now::get);

        assertThat(LoadBalancers.slowStart(inner, Duration.ZERO, now::get, new SplittableRandom(1))).isSameAs(inner);
        assertThatThrownBy(() -> LoadBalancers.slowStart(inner, Duration.ofSeconds(-1), now::get, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aYoungBackendAloneStillGetsEveryRequest() {
        LoadBalancer lb = LoadBalancers.slowStart(LoadBalancers.roundRobin(List.of(backends.get(3)), now::get),
                WINDOW, now::get, new SplittableRandom(1));

        assertThat(counts(lb, 100, i -> "k")).containsOnly(Map.entry("young", 100));
    }

    /** The young backend's picks over the mean of the old ones' picks (1 for a fair share). */
    private double youngShareOfOldShare(Algorithm algorithm) {
        SplittableRandom random = new SplittableRandom(99);
        LoadBalancer lb = LoadBalancers.slowStart(LoadBalancers.of(algorithm, backends, now::get, random),
                WINDOW, now::get, random);
        Map<String, Integer> counts = counts(lb, PICKS, i -> "10.0." + (i >> 8) + "." + (i & 255));
        double old = (counts.get("old0") + counts.get("old1") + counts.get("old2")) / 3.0;
        return counts.getOrDefault("young", 0) / old;
    }
}
