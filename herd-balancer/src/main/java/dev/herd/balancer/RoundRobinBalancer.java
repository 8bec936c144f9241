package dev.herd.balancer;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Each available backend in turn. The cursor moves past the backend picked, not just by one, so
 * an unavailable backend's turn is skipped rather than handed to its successor: with b down,
 * a, b, c cycles a, c, a, c, never a, c, c.
 */
final class RoundRobinBalancer implements LoadBalancer {

    private final Backend[] backends;
    private final LongSupplier nanoTime;
    /** Index of the backend whose turn is next, in [0, n). */
    private final AtomicInteger next = new AtomicInteger();

    RoundRobinBalancer(List<Backend> backends, LongSupplier nanoTime) {
        this.backends = backends.toArray(new Backend[0]);
        this.nanoTime = nanoTime;
    }

    @Override
    public Backend pick(RequestInfo request) {
        int n = backends.length;
        long now = nanoTime.getAsLong();
        while (true) {
            int start = next.get();
            Backend found = null;
            int at = start;
            for (int k = 0; k < n; k++) {
                Backend b = backends[at];
                if (b.isAvailable(now)) {
                    found = b;
                    break;
                }
                at = at + 1 == n ? 0 : at + 1;
            }
            if (found == null) {
                return null;
            }
            // Lock-free: another thread that took this turn first makes us look again from its cursor.
            if (next.compareAndSet(start, at + 1 == n ? 0 : at + 1)) {
                return found;
            }
        }
    }
}
