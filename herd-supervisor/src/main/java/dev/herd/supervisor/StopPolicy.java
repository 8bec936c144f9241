package dev.herd.supervisor;

import java.time.Duration;
import java.util.Objects;

/**
 * How an instance is stopped: {@code killSignal} to its whole process tree, then SIGKILL if it is
 * still there after {@code killTimeout}.
 *
 * <p>Defaults differ from PM2's on purpose: PM2 sends SIGINT and waits 1600 ms, too short for a
 * JVM that drains connections and runs shutdown hooks (PM2 issue #1522); herd sends SIGTERM, the
 * signal a JVM's shutdown hooks answer, and waits 5 s.
 *
 * @param killSignal  the first signal sent
 * @param killTimeout how long to wait for the tree to exit before SIGKILL
 */
public record StopPolicy(Signal killSignal, Duration killTimeout) {

    /** SIGTERM, then SIGKILL after 5 s. */
    public static final StopPolicy DEFAULT = new StopPolicy(Signal.SIGTERM, Duration.ofMillis(5000));

    public StopPolicy {
        Objects.requireNonNull(killSignal, "killSignal");
        if (killTimeout.isNegative()) {
            throw new IllegalArgumentException("killTimeout must not be negative");
        }
    }
}
