package dev.herd.balancer;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The available backend with the fewest requests in flight ({@link Backend#active()}) for its
 * weight: load is {@code (active + 1) / weight}, as HAProxy's leastconn, so a backend of weight 3
 * carries three times the requests of one of weight 1. With equal weights this is plain
 * least-connections.
 *
 * <p>Ties go to each tied backend in turn: the j-th of the k tied, j from a counter modulo k. Giving
 * a tie to the first in the list would favour a backend by its place; giving it to the first after
 * a rotating start would still favour one that follows a busy backend (it inherits that one's
 * turns).
 *
 * <p>With a slow-start window, a ramping backend's load counts as {@code (active + 1) / ramp}
 * (HAProxy's leastconn on a ramping weight): re-asking would return the same least-loaded backend,
 * so rejection as in {@link SlowStartBalancer} cannot ramp this algorithm.
 */
final class LeastConnBalancer implements LoadBalancer, WeightRamping {

    private final Backend[] backends;
    private final LongSupplier nanoTime;
    private final long slowStartNanos;
    private final AtomicInteger tieBreak = new AtomicInteger();

    LeastConnBalancer(List<Backend> backends, LongSupplier nanoTime, long slowStartNanos) {
        this.backends = backends.toArray(new Backend[0]);
        this.nanoTime = nanoTime;
        this.slowStartNanos = slowStartNanos;
    }

    @Override
    public LoadBalancer withSlowStart(long windowNanos) {
        return new LeastConnBalancer(List.of(backends), nanoTime, windowNanos);
    }

    @Override
    public Backend pick(RequestInfo request) {
        long now = nanoTime.getAsLong();
        double least = Double.POSITIVE_INFINITY;
        int tied = 0;
        Backend first = null;
        for (Backend b : backends) {
            if (b.isAvailable(now)) {
                double load = load(b, now);
                if (load < least) {
                    least = load;
                    tied = 1;
                    first = b;
                } else if (load == least) {
                    tied++;
                }
            }
        }
        if (tied <= 1) {
            return first;
        }
        int wanted = Math.floorMod(tieBreak.getAndIncrement(), tied);
        for (Backend b : backends) {
            if (b.isAvailable(now) && load(b, now) == least && wanted-- == 0) {
                return b;
            }
        }
        // Loads changed between the two passes (requests came and went): the first least will do.
        return first;
    }

    private double load(Backend b, long now) {
        double share = slowStartNanos <= 0 ? b.weight() : b.weight() * SlowStart.ramp(b, now, slowStartNanos);
        return (b.active() + 1) / share;
    }
}
