package dev.herd.balancer;

import java.util.List;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * At random among the available backends, each with probability its weight over the available
 * ones' total (uniformly when the weights are equal): a few draws over all of them, kept when
 * the one drawn is available (rejection sampling, exact and cheap when most are), then a draw
 * among the available ones summed.
 */
final class RandomBalancer implements LoadBalancer {

    /** Draws before counting: with half the backends down, 4 misses in a row happen 1 time in 16. */
    private static final int DRAWS = 4;

    private final Backend[] backends;
    private final LongSupplier nanoTime;
    private final RandomGenerator random;
    /** Running totals of the weights, or null when they are equal and a draw needs no search. */
    private final long[] cumulative;

    RandomBalancer(List<Backend> backends, LongSupplier nanoTime, RandomGenerator random) {
        this.backends = backends.toArray(new Backend[0]);
        this.nanoTime = nanoTime;
        this.random = random;
        this.cumulative = Choice.equalWeights(this.backends) ? null : Choice.cumulativeWeights(this.backends);
    }

    @Override
    public Backend pick(RequestInfo request) {
        int n = backends.length;
        if (n == 0) {
            return null;
        }
        long now = nanoTime.getAsLong();
        for (int d = 0; d < DRAWS; d++) {
            Backend b = backends[draw()];
            if (b.isAvailable(now)) {
                return b;
            }
        }
        int i = Choice.available(backends, now, random, -1, cumulative != null);
        return i < 0 ? null : backends[i];
    }

    private int draw() {
        if (cumulative == null) {
            return random.nextInt(backends.length);
        }
        return Choice.index(cumulative, random.nextLong(cumulative[cumulative.length - 1]));
    }
}
