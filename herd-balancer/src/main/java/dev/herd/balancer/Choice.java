package dev.herd.balancer;

import java.util.random.RandomGenerator;

/** Draws among the available backends of an array, by weight or uniformly, without allocating. */
final class Choice {

    private Choice() {
    }

    /**
     * The index of one available backend drawn uniformly, other than the one at {@code except}
     * (-1 for none), or -1 when there is none.
     */
    static int available(Backend[] backends, long now, RandomGenerator random, int except) {
        return available(backends, now, random, except, false);
    }

    /**
     * The index of one available backend other than the one at {@code except} (-1 for none),
     * drawn with probability its weight over the available ones' total when {@code byWeight},
     * else uniformly; -1 when there is none. Two passes: sum, then walk to the drawn one. When
     * availability changes between the passes, the last available one seen is returned.
     */
    static int available(Backend[] backends, long now, RandomGenerator random, int except, boolean byWeight) {
        long total = 0;
        for (int i = 0; i < backends.length; i++) {
            if (i != except && backends[i].isAvailable(now)) {
                total += byWeight ? backends[i].weight() : 1;
            }
        }
        if (total == 0) {
            return -1;
        }
        long wanted = random.nextLong(total);
        int last = -1;
        for (int i = 0; i < backends.length; i++) {
            if (i != except && backends[i].isAvailable(now)) {
                last = i;
                wanted -= byWeight ? backends[i].weight() : 1;
                if (wanted < 0) {
                    return i;
                }
            }
        }
        return last;
    }

    /** Whether every backend has the same weight (none too). */
    static boolean equalWeights(Backend[] backends) {
        for (Backend b : backends) {
            if (b.weight() != backends[0].weight()) {
                return false;
            }
        }
        return true;
    }

    /** Running totals of the backends' weights: entry i is the sum of weights 0..i. */
    static long[] cumulativeWeights(Backend[] backends) {
        long[] sums = new long[backends.length];
        long sum = 0;
        for (int i = 0; i < backends.length; i++) {
            sum += backends[i].weight();
            sums[i] = sum;
        }
        return sums;
    }

    /**
     * The index whose share of {@code cumulative} holds {@code r}, in [0, total): the first
     * {@code i} with {@code r < cumulative[i]}, by binary search.
     */
    static int index(long[] cumulative, long r) {
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (r < cumulative[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
