package dev.herd.balancer;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * nginx's smooth weighted round-robin ({@code ngx_http_upstream_get_peer}): on each pick every
 * available backend's current value grows by its weight, the largest wins (the first in list order
 * on a tie) and loses the total weight. Over each run of total-weight picks every backend gets
 * exactly its weight's share, interleaved rather than in bursts: weights 5, 1, 1 give
 * a, a, b, a, c, a, a. An unavailable backend neither gains nor loses, and the rest share among
 * themselves.
 *
 * <p>Thread-safe by a lock held for one pass over the backends: the state is shared and every
 * pick changes all of it.
 */
final class SmoothWeightedBalancer implements LoadBalancer {

    private final Backend[] backends;
    private final LongSupplier nanoTime;
    /** nginx's {@code current_weight}, guarded by {@code this}. */
    private final long[] current;

    SmoothWeightedBalancer(List<Backend> backends, LongSupplier nanoTime) {
        this.backends = backends.toArray(new Backend[0]);
        this.nanoTime = nanoTime;
        this.current = new long[this.backends.length];
    }

    @Override
    public Backend pick(RequestInfo request) {
        long now = nanoTime.getAsLong();
        synchronized (this) {
            int best = -1;
            long total = 0;
            for (int i = 0; i < backends.length; i++) {
                Backend b = backends[i];
                if (b.isAvailable(now)) {
                    current[i] += b.weight();
                    total += b.weight();
                    if (best < 0 || current[i] > current[best]) {
                        best = i;
                    }
                }
            }
            if (best < 0) {
                return null;
            }
            current[best] -= total;
            return backends[best];
        }
    }
}
