package dev.herd.balancer.netty;

import dev.herd.balancer.Health;

/**
 * The rise/fall rule for one backend, as HAProxy: {@code rise} passing checks in a row make it
 * {@link Health#HEALTHY}, {@code fall} failing checks in a row make it {@link Health#UNHEALTHY};
 * a result of the other kind starts the count again. From {@link Health#UNKNOWN} (never
 * checked) it takes the same runs to settle either way, and a mixed sequence leaves it unknown,
 * which still takes traffic: one failed check of a backend just started does not remove it.
 *
 * <p>Not thread-safe: {@link HealthChecker} confines each tracker to its event loop.
 */
final class HealthTracker {

    private final int rise;
    private final int fall;
    private Health health;
    private int passes;
    private int failures;

    HealthTracker(int rise, int fall, Health initial) {
        this.rise = rise;
        this.fall = fall;
        this.health = initial;
    }

    Health health() {
        return health;
    }

    /** A check passed; returns the health after it (changed or not). */
    Health onSuccess() {
        failures = 0;
        passes = Math.min(passes + 1, rise);
        if (passes == rise) {
            health = Health.HEALTHY;
        }
        return health;
    }

    /** A check failed; returns the health after it (changed or not). */
    Health onFailure() {
        passes = 0;
        failures = Math.min(failures + 1, fall);
        if (failures == fall) {
            health = Health.UNHEALTHY;
        }
        return health;
    }
}
