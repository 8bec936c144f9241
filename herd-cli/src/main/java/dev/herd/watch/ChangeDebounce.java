package dev.herd.watch;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * When a watched app restarts after its files change: once the changes have stopped for the
 * quiet time ({@code watch_delay}), so that a burst (a {@code git checkout} of 200 files, a build
 * writing its output) restarts it once; and at the latest {@code maxWait} after the first change
 * of a burst, so that a folder written to without end still restarts it now and then. One
 * restart at a time: changes seen while it runs bring one more restart after it, since instances
 * started before them may have read the old files.
 *
 * <p>PM2 instead restarts {@code watch_delay} after the first change and drops the changes seen
 * while it restarts, so a burst longer than the delay restarts the app twice or more, and a
 * change seen during a restart is lost.
 *
 * <p>Pure: times in (a monotonic clock's nanoseconds), decisions out. Not thread-safe: one loop
 * drives it.
 */
final class ChangeDebounce {

    /** At most this many distinct paths are counted for the restart's reason. */
    private static final int COUNTED = 1000;

    /** Where a burst stands. */
    enum Phase {
        /** No change waiting. */
        IDLE,
        /** Changes seen; waiting for them to stop. */
        SETTLING,
        /** A restart runs. */
        RESTARTING
    }

    /** What the driver does next. */
    sealed interface Decision {
        /** Ask again ({@link #due}) at this time. */
        record WaitUntil(long nanos) implements Decision {
        }

        /** Restart the app now, for this reason; then tell {@link #restarted}. */
        record Restart(String why) implements Decision {
        }

        /** Nothing to do until the next change. */
        record Nothing() implements Decision {
        }
    }

    private final long quiet;
    private final long maxWait;
    private Phase phase = Phase.IDLE;
    private long first;
    private long last;
    private boolean again;
    private final Set<String> paths = new LinkedHashSet<>();
    private boolean more;
    /** The reason of a restart that could not run, for its retry when no new change came. */
    private String carried;

    /**
     * @param quiet   how long changes must have stopped
     * @param maxWait how long after a burst's first change it restarts at the latest, at least {@code quiet}
     */
    ChangeDebounce(Duration quiet, Duration maxWait) {
        if (quiet.isNegative() || maxWait.compareTo(quiet) < 0) {
            throw new IllegalArgumentException("need 0 <= quiet <= maxWait, got " + quiet + " and " + maxWait);
        }
        this.quiet = quiet.toNanos();
        this.maxWait = maxWait.toNanos();
    }

    /** The maximum wait for a quiet time: ten times it, and 10 s at least. */
    static Duration maxWaitFor(Duration quiet) {
        Duration tenTimes = quiet.multipliedBy(10);
        return tenTimes.compareTo(Duration.ofSeconds(10)) > 0 ? tenTimes : Duration.ofSeconds(10);
    }

    Phase phase() {
        return phase;
    }

    /**
     * A change of {@code path} (as the reason shows it) seen at {@code now}.
     *
     * @return when to ask {@link #due} (a later change moves it on), or nothing while a restart runs
     */
    Decision changed(long now, String path) {
        if (paths.size() < COUNTED) {
            paths.add(path);
        } else if (!paths.contains(path)) {
            more = true;
        }
        switch (phase) {
            case IDLE -> {
                phase = Phase.SETTLING;
                first = now;
                last = now;
            }
            case SETTLING -> last = now;
            case RESTARTING -> {
                again = true;
                return new Decision.Nothing();
            }
        }
        return new Decision.WaitUntil(dueAt());
    }

    /** The time asked for has come (or not yet: a timer may run early): restart, or wait on. */
    Decision due(long now) {
        if (phase != Phase.SETTLING) {
            return new Decision.Nothing();
        }
        if (now - dueAt() < 0) {
            return new Decision.WaitUntil(dueAt());
        }
        phase = Phase.RESTARTING;
        String why = reason();
        carried = why;
        paths.clear();
        more = false;
        return new Decision.Restart(why);
    }

    /**
     * The restart ended at {@code now}.
     *
     * @param done false when it could not run (a reload of the app was under way): it is tried
     *             again after a quiet time, as if the changes were new
     * @return when to ask {@link #due} if changes came meanwhile (or it is tried again), else nothing
     */
    Decision restarted(long now, boolean done) {
        if (phase != Phase.RESTARTING) {
            return new Decision.Nothing();
        }
        if (!again && done) {
            phase = Phase.IDLE;
            return new Decision.Nothing();
        }
        again = false;
        phase = Phase.SETTLING;
        first = now;
        last = now;
        if (done || !paths.isEmpty()) {
            carried = null;
        }
        return new Decision.WaitUntil(dueAt());
    }

    private long dueAt() {
        long quietEnd = last + quiet;
        long latest = first + maxWait;
        return quietEnd - latest < 0 ? quietEnd : latest;
    }

    private String reason() {
        if (paths.isEmpty() && carried != null) {
            return carried;
        }
        String firstPath = paths.isEmpty() ? "?" : paths.iterator().next();
        int n = paths.size();
        if (n <= 1 && !more) {
            return "a watched file changed: " + firstPath;
        }
        return (more ? "over " + n : Integer.toString(n)) + " watched files changed (" + firstPath + " first)";
    }
}
