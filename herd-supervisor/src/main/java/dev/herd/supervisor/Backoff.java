package dev.herd.supervisor;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * PM2's exponential restart backoff ({@code exp_backoff_restart_delay}): the first delay is the
 * configured value, each further one 1.5 times the last, capped at 15 s, and the sequence starts
 * over once an instance has stayed up 30 s. herd adds up to ±10% jitter so instances that
 * crashed together do not restart in lockstep.
 *
 * <p>Pure: the jitter source is injected ({@code 0.5} gives none).
 */
public final class Backoff {

    /** Each delay is this many times the last. */
    public static final double MULTIPLIER = 1.5;
    /** No delay exceeds this. */
    public static final Duration CAP = Duration.ofSeconds(15);
    /** Up this long and the next delay is the initial one again. */
    public static final Duration RESET_AFTER = Duration.ofSeconds(30);
    /** Relative jitter, either way. */
    public static final double JITTER = 0.10;

    private final Duration initial;
    private final DoubleSupplier random;
    private long lastMillis;

    /**
     * @param initial the first delay
     * @param random  uniform values in [0, 1) for the jitter
     */
    public Backoff(Duration initial, DoubleSupplier random) {
        this.initial = initial;
        this.random = random;
    }

    /**
     * The delay before the next restart, given how long the run that just ended lasted.
     */
    public Duration next(Duration uptime) {
        if (uptime.compareTo(RESET_AFTER) >= 0 || lastMillis == 0) {
            lastMillis = initial.toMillis();
        } else {
            lastMillis = Math.min(CAP.toMillis(), Math.round(lastMillis * MULTIPLIER));
        }
        double factor = 1 + JITTER * (2 * random.getAsDouble() - 1);
        return Duration.ofMillis(Math.min(CAP.toMillis(), Math.round(lastMillis * factor)));
    }
}
