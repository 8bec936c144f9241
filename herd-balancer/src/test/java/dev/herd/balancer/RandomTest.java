package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.backends;
import static dev.herd.balancer.Fixtures.counts;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class RandomTest {

    @Test
    void uniformAmongAllWhenAllAreAvailable() {
        LoadBalancer lb = LoadBalancers.random(backends(5), () -> 0, new SplittableRandom(42));

        Map<String, Integer> counts = counts(lb, 100_000, i -> "k");

        assertThat(counts).hasSize(5);
        // Expected 20,000 each; the standard deviation is 126, so ±600 fails about once in a million runs.
        counts.values().forEach(c -> assertThat(c).isBetween(19_400, 20_600));
    }

    @Test
    void uniformAmongTheAvailableWhenMostAreNot() {
        List<Backend> backends = backends(10);
        for (int i = 0; i < 7; i++) {
            backends.get(i).setAdmin(AdminState.DRAINING, 0);
        }
        LoadBalancer lb = LoadBalancers.random(backends, () -> 0, new SplittableRandom(42));

        Map<String, Integer> counts = counts(lb, 90_000, i -> "k");

        assertThat(counts.keySet()).containsExactlyInAnyOrder("b7", "b8", "b9");
        counts.values().forEach(c -> assertThat(c).isBetween(29_300, 30_700));
    }
}
