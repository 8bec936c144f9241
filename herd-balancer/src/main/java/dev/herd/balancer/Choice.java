package dev.herd.balancer;

import java.util.random.RandomGenerator;

/** Uniform draws among the available backends of an array, without allocating. */
final class Choice {

    private Choice() {
    }

    /**
     * The index of one available backend drawn uniformly, other than the one at {@code except}
     * (-1 for none), or -1 when there is none. Two passes: count, then walk to the drawn one. When
     * availability changes between the passes, the last available one seen is returned.
     */
    static int available(Backend[] backends, long now, RandomGenerator random, int except) {
        int count = 0;
        for (int i = 0; i < backends.length; i++) {
            if (i != except && backends[i].isAvailable(now)) {
                count++;
            }
        }
        if (count == 0) {
            return -1;
        }
        int wanted = random.nextInt(count);
        int last = -1;
        for (int i = 0; i < backends.length; i++) {
            if (i != except && backends[i].isAvailable(now)) {
                last = i;
                if (wanted-- == 0) {
                    return i;
                }
            }
        }
        return last;
    }
}
