package dev.herd.balancer;

import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Slow start by rejection: a backend the inner balancer picks within its window is kept with
 * probability {@link SlowStart#ramp ramp} (age over window, at least 10%), else the inner balancer
 * is asked again. Each answer of the inner balancer is an independent turn or draw, so a ramping
 * backend gets {@code ramp} times the share of a settled one of the same weight, as HAProxy's
 * {@code slowstart} and Armeria's weight ramping give. The asking is bounded; after the last
 * attempt the inner balancer's answer is taken as it is.
 */
final class SlowStartBalancer implements LoadBalancer {

    /**
     * Asks of the inner balancer per pick. Running out needs the ramping backend drawn every time:
     * never for round-robin, its share to the 8th power for random draws.
     */
    static final int ATTEMPTS = 8;

    private final LoadBalancer inner;
    private final long windowNanos;
    private final LongSupplier nanoTime;
    private final RandomGenerator random;

    SlowStartBalancer(LoadBalancer inner, long windowNanos, LongSupplier nanoTime, RandomGenerator random) {
        this.inner = inner;
        this.windowNanos = windowNanos;
        this.nanoTime = nanoTime;
        this.random = random;
    }

    @Override
    public Backend pick(RequestInfo request) {
        long now = nanoTime.getAsLong();
        Backend last = null;
        for (int a = 0; a < ATTEMPTS; a++) {
            Backend b = inner.pick(request);
            if (b == null) {
                return last;
            }
            double ramp = SlowStart.ramp(b, now, windowNanos);
            if (ramp >= 1.0 || random.nextDouble() < ramp) {
                return b;
            }
            last = b;
        }
        return last;
    }
}
