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
 *
 * <p>Weights: when they differ, each of the two is drawn with probability its weight over the
 * total (the second among the rest), and cost and requests in flight are divided by the weight
 * before they are compared, as least-conn's {@code (active + 1) / weight}. Drawing by weight alone
 * would not do: the load feedback would pull every backend back to the same load, whatever its
 * weight. Dividing alone would not either: a backend is in at most 2 of n draws, which caps its
 * share at 2/n whatever its weight. Together, at equal latency a backend of weight 3 carries
 * about three times the load of one of weight 1. With nothing in flight and no latency measured
 * the heavier of a pair wins it, as with least-conn.
 */
final class PowerOfTwoChoicesBalancer implements LoadBalancer {

    /** Draws of a pair over all backends before drawing among the available ones counted. */
    private static final int DRAWS = 4;

    private final Backend[] backends;
    private final LongSupplier nanoTime;
    private final RandomGenerator random;
    /** Running totals of the weights, or null when they are equal (then draws are uniform). */
    private final long[] cumulative;

    PowerOfTwoChoicesBalancer(List<Backend> backends, LongSupplier nanoTime, RandomGenerator random) {
        this.backends = backends.toArray(new Backend[0]);
        this.nanoTime = nanoTime;
        this.random = random;
        this.cumulative = Choice.equalWeights(this.backends) ? null : Choice.cumulativeWeights(this.backends);
    }

    @Override
    public Backend pick(RequestInfo request) {
        int n = backends.length;
        long now = nanoTime.getAsLong();
        if (n < 2) {
            return n == 1 && backends[0].isAvailable(now) ? backends[0] : null;
        }
        boolean weighted = cumulative != null;
        for (int d = 0; d < DRAWS; d++) {
            int i;
            int j;
            if (weighted) {
                long total = cumulative[n - 1];
                i = Choice.index(cumulative, random.nextLong(total));
                // The second among the others: a draw over the total without i's weight, moved past i's range.
                long iStart = i == 0 ? 0 : cumulative[i - 1];
                long r = random.nextLong(total - backends[i].weight());
                j = Choice.index(cumulative, r >= iStart ? r + backends[i].weight() : r);
            } else {
                i = random.nextInt(n);
                j = random.nextInt(n - 1);
                if (j >= i) {
                    j++;
                }
            }
            // Keeping a pair only when both are available keeps the draw's odds among available pairs.
            if (backends[i].isAvailable(now) && backends[j].isAvailable(now)) {
                return cheaper(backends[i], backends[j], now, weighted);
            }
        }
        int i = Choice.available(backends, now, random, -1, weighted);
        if (i < 0) {
            return null;
        }
        int j = Choice.available(backends, now, random, i, weighted);
        return j < 0 ? backends[i] : cheaper(backends[i], backends[j], now, weighted);
    }

    private static Backend cheaper(Backend a, Backend b, long now, boolean weighted) {
        // Equal weights compare the figures themselves: dividing could round two costs to one.
        double wa = weighted ? a.weight() : 1;
        double wb = weighted ? b.weight() : 1;
        double ca = a.cost(now) / wa;
        double cb = b.cost(now) / wb;
        if (ca != cb) {
            return ca < cb ? a : b;
        }
        return (b.active() + 1) / wb < (a.active() + 1) / wa ? b : a;
    }
}
