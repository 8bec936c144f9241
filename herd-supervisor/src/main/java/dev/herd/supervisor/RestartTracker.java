package dev.herd.supervisor;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Applies a {@link RestartPolicy} to the exits of one instance: counts consecutive unstable
 * exits and keeps the backoff sequence. Pure; the caller measures uptime with its ticker.
 */
public final class RestartTracker {

    private final RestartPolicy policy;
    private final Backoff backoff;
    private int unstableRestarts;

    public RestartTracker(RestartPolicy policy, DoubleSupplier random) {
        this.policy = policy;
        this.backoff = new Backoff(policy.expBackoffRestartDelay(), random);
    }

    /** Consecutive restarts after unstable exits so far. */
    public int unstableRestarts() {
        return unstableRestarts;
    }

    /** Forgets the unstable exits, as after a restart the user asked for. */
    public void reset() {
        unstableRestarts = 0;
    }

    /**
     * Decides after an exit the user did not ask for.
     *
     * @param exitCode the exit code (128 + n for a death by signal n)
     * @param uptime   how long the run lasted
     */
    public RestartDecision onExit(int exitCode, Duration uptime) {
        if (!policy.autorestart()) {
            return new RestartDecision(ProcessState.STOPPED, Duration.ZERO, "exited, autorestart is off");
        }
        if (policy.stopExitCodes().contains(exitCode)) {
            return new RestartDecision(ProcessState.STOPPED, Duration.ZERO,
                    "exited with " + exitCode + ", one of stop_exit_codes");
        }
        boolean stable = uptime.compareTo(policy.minUptime()) >= 0;
        if (stable) {
            unstableRestarts = 0;
        } else if (unstableRestarts >= policy.maxRestarts()) {
            return new RestartDecision(ProcessState.ERRORED, Duration.ZERO, "exited "
                    + (unstableRestarts + 1) + " times in a row before min_uptime ("
                    + policy.minUptime().toMillis() + " ms); max_restarts is " + policy.maxRestarts());
        } else {
            unstableRestarts++;
        }
        Duration delay = policy.backsOff() ? backoff.next(uptime) : policy.restartDelay();
        return new RestartDecision(ProcessState.WAITING_RESTART, delay,
                stable ? "exited, restarting" : "exited before min_uptime, restarting");
    }
}
