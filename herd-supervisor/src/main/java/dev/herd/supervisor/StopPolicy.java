package dev.herd.supervisor;

import java.time.Duration;
import java.util.Objects;

/**
 * How an instance is stopped: {@code killSignal} to its whole process tree (or, with
 * {@code shutdownMessage}, the message {@code 'shutdown'} to its process), then SIGKILL if it is
 * still there after {@code killTimeout}.
 *
 * <p>Defaults differ from PM2's on purpose: PM2 sends SIGINT and waits 1600 ms, too short for a
 * JVM that drains connections and runs shutdown hooks (PM2 issue #1522); herd sends SIGTERM, the
 * signal a JVM's shutdown hooks answer, and waits 5 s.
 *
 * @param killSignal  the first signal sent
 * @param killTimeout how long to wait for the tree to exit before SIGKILL
 * @param shutdownMessage PM2's {@code shutdown_with_message}: send {@code 'shutdown'} over the
 *                    instance's {@link InstanceChannels channel} instead of {@code killSignal},
 *                    when its process is connected to it ({@code killSignal} otherwise)
 */
public record StopPolicy(Signal killSignal, Duration killTimeout, boolean shutdownMessage) {

    /** SIGTERM, then SIGKILL after 5 s. */
    public static final StopPolicy DEFAULT = new StopPolicy(Signal.SIGTERM, Duration.ofMillis(5000));

    /** A policy that stops with {@code killSignal}, never with a message. */
    public StopPolicy(Signal killSignal, Duration killTimeout) {
        this(killSignal, killTimeout, false);
    }

    public StopPolicy {
        Objects.requireNonNull(killSignal, "killSignal");
        if (killTimeout.isNegative()) {
            throw new IllegalArgumentException("killTimeout must not be negative");
        }
    }
}
