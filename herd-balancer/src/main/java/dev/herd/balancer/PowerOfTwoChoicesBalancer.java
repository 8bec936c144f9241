package dev.herd.balancer;

import java.util.List;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Power of two choices (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
 * IEEE TPDS 2001): two distinct available backends drawn at random, the cheaper one taken. One
 * extra random look makes the largest load fall from {@code log n / log log n} to
 * {@code log log n}, yet unlike least-conn no backend gets every request while it is the least
 * loaded, and no shared state is touched.
 *
 * <p>The cost is {@link Backend#cost(long)}: peak-EWMA latency times (requests in flight + 1), as
 * Finagle's {@code P2CPeakEwma} balancer. A backend stalled in a GC pause answers slowly, its
 * peak EWMA jumps at once, and it loses every draw until it recovers. Equal costs (no latency
 * seen yet) go to the one with fewer requests in flight, then to the first drawn.
 */
final class PowerOfTwoChoicesBalancer implements LoadBalancer {

    /** Draws of a pair over all backends before drawing among the available ones counted. */
    private static final int DRAWS = 4;

    private final Backend[] backends;
    private final LongSupplier nanoTime;
    private final RandomGenerator random;

    PowerOfTwoChoicesBalancer(List<Backend> backends, LongSupplier nanoTime, RandomGenerator random) {
        this.backends = backends.toArray(new Backend[0]);
        this.nanoTime = nanoTime;
        this.random = random;
    }

    @Override
    public Backend pick(RequestInfo request) {
        int n = backends.length;
        long now = nanoTime.getAsLong();
        if (n < 2) {
            return n == 1 && backends[0].isAvailable(now) ? backends[0] : null;
        }
        for (int d = 0; d < DRAWS; d++) {
            int i = random.nextInt(n);
            int j = random.nextInt(n - 1);
            if (j >= i) {
                j++;
            }
            // Keeping a pair only when both are available makes it uniform over available pairs.
            if (backends[i].isAvailable(now) && backends[j].isAvailable(now)) {
                return cheaper(backends[i], backends[j], now);
            }
        }
        int i = Choice.available(backends, now, random, -1);
        if (i < 0) {
            return null;
        }
        int j = Choice.available(backends, now, random, i);
        return j < 0 ? backends[i] : cheaper(backends[i], backends[j], now);
    }

    private static Backend cheaper(Backend a, Backend b, long now) {
        double ca = a.cost(now);
        double cb = b.cost(now);
        if (ca != cb) {
            return ca < cb ? a : b;
        }
        return b.active() < a.active() ? b : a;
    }
}
