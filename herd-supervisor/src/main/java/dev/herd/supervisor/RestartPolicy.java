package dev.herd.supervisor;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * When an instance that exited on its own is started again, and after how long.
 *
 * <p>PM2's field names and meanings, with one deliberate difference: {@code maxRestarts} counts
 * <em>consecutive</em> unstable exits (runs shorter than {@code minUptime}), and a run that lasts
 * {@code minUptime} resets the count. PM2 only guards a window after the app was created (its
 * issue #841), so a crash loop that begins an hour later restarts forever there; here it ends in
 * {@link ProcessState#ERRORED} whenever it begins.
 *
 * @param autorestart            restart after an exit at all
 * @param maxRestarts            restarts allowed after consecutive unstable exits; one more
 *                               unstable exit makes the instance errored (PM2 default 16)
 * @param minUptime              a run at least this long is stable (PM2 default 1000 ms)
 * @param restartDelay           fixed delay before a restart (PM2 {@code restart_delay}, default 0)
 * @param expBackoffRestartDelay first delay of an exponential backoff ({@code exp_backoff_restart_delay}),
 *                               or zero for none; when set it replaces {@code restartDelay}
 * @param stopExitCodes          exit codes that mean "done, do not restart"
 */
public record RestartPolicy(
        boolean autorestart,
        int maxRestarts,
        Duration minUptime,
        Duration restartDelay,
        Duration expBackoffRestartDelay,
        Set<Integer> stopExitCodes) {

    /** PM2's defaults: autorestart, 16 restarts, 1 s minimum uptime, no delay, no backoff. */
    public static final RestartPolicy DEFAULT = new RestartPolicy(
            true, 16, Duration.ofMillis(1000), Duration.ZERO, Duration.ZERO, Set.of());

    public RestartPolicy {
        if (maxRestarts < 0) {
            throw new IllegalArgumentException("maxRestarts must not be negative");
        }
        requireNotNegative(minUptime, "minUptime");
        requireNotNegative(restartDelay, "restartDelay");
        requireNotNegative(expBackoffRestartDelay, "expBackoffRestartDelay");
        stopExitCodes = Set.copyOf(stopExitCodes);
    }

    /** Whether restarts back off exponentially. */
    public boolean backsOff() {
        return !expBackoffRestartDelay.isZero();
    }

    private static void requireNotNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative");
        }
    }
}
