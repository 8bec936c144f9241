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
        return onExit(exitCode, uptime, true);
    }

    /**
     * As {@link #onExit(int, Duration)}, for a run that may have ended without ever getting ready
     * (herd stopped it at its {@code listen_timeout}): such a run was not up in any useful sense,
     * so however long it lasted it counts towards {@code max_restarts}, and its backoff goes on.
     *
     * @param gotReady whether the run got ready before it ended
     */
    public RestartDecision onExit(int exitCode, Duration uptime, boolean gotReady) {
        Duration useful = gotReady ? uptime : Duration.ZERO;
        if (!policy.autorestart()) {
            return new RestartDecision(ProcessState.STOPPED, Duration.ZERO, "exited, autorestart is off");
        }
        if (policy.stopExitCodes().contains(exitCode)) {
            return new RestartDecision(ProcessState.STOPPED, Duration.ZERO,
                    "exited with " + exitCode + ", one of stop_exit_codes");
        }
        boolean stable = useful.compareTo(policy.minUptime()) >= 0;
        if (stable) {
            unstableRestarts = 0;
        } else if (unstableRestarts >= policy.maxRestarts()) {
            return new RestartDecision(ProcessState.ERRORED, Duration.ZERO, "exited "
                    + (unstableRestarts + 1) + " times in a row before min_uptime ("
                    + policy.minUptime().toMillis() + " ms)" + (gotReady ? "" : " or without getting ready")
                    + "; max_restarts is " + policy.maxRestarts());
        } else {
            unstableRestarts++;
        }
        Duration delay = policy.backsOff() ? backoff.next(useful) : policy.restartDelay();
        return new RestartDecision(ProcessState.WAITING_RESTART, delay,
                stable ? "exited, restarting" : "exited before min_uptime, restarting");
    }
}
