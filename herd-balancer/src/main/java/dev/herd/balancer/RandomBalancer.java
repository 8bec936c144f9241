package dev.herd.balancer;

import java.util.List;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Uniformly at random among the available backends: a few draws over all of them, kept when the
 * one drawn is available (rejection sampling, exact and cheap when most are), then a draw among
 * the available ones counted.
 */
final class RandomBalancer implements LoadBalancer {

    /** Draws before counting: with half the backends down, 4 misses in a row happen 1 time in 16. */
    private static final int DRAWS = 4;

    private final Backend[] backends;
    private final LongSupplier nanoTime;
    private final RandomGenerator random;

    RandomBalancer(List<Backend> backends, LongSupplier nanoTime, RandomGenerator random) {
        this.backends = backends.toArray(new Backend[0]);
        this.nanoTime = nanoTime;
        this.random = random;
    }

    @Override
    public Backend pick(RequestInfo request) {
        int n = backends.length;
        if (n == 0) {
            return null;
        }
        long now = nanoTime.getAsLong();
        for (int d = 0; d < DRAWS; d++) {
            Backend b = backends[random.nextInt(n)];
            if (b.isAvailable(now)) {
                return b;
            }
        }
        int i = Choice.available(backends, now, random, -1);
        return i < 0 ? null : backends[i];
    }
}
