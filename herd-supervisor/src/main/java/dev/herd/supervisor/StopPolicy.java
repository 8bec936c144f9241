package dev.herd.supervisor;

import java.time.Duration;
import java.util.Objects;

/**
 * How an instance is stopped: {@code killSignal} to its whole process tree (or, with
 * {@code shutdownMessage}, the message {@code 'shutdown'} to its process), then SIGKILL if it is
 * still there after {@code killTimeout}; with {@code mainProcessOnly} (PM2's {@code treekill:
 * false}), to its main process alone, leaving the processes it started running.
 *
 * <p>Defaults differ from PM2's on purpose: PM2 sends SIGINT and waits 1600 ms, too short for a
 * JVM that drains connections and runs shutdown hooks (PM2 issue #1522); herd sends SIGTERM, the
 * signal a JVM's shutdown hooks answer, and waits 5 s.
 *
 * @param killSignal  the first signal sent
 * @param killTimeout how long to wait for the tree to exit before SIGKILL
 * @param mainProcessOnly signal the main process only, and let its children outlive it (false, the
 *                    default: the whole tree, which a restart must free of processes holding
 *                    the app's port)
 * @param shutdownMessage PM2's {@code shutdown_with_message}: send {@code 'shutdown'} over the
 *                    instance's {@link InstanceChannels channel} instead of {@code killSignal},
 *                    when its process is connected to it ({@code killSignal} otherwise)
 */
public record StopPolicy(Signal killSignal, Duration killTimeout, boolean mainProcessOnly, boolean shutdownMessage) {

    /** SIGTERM, then SIGKILL after 5 s. */
    public static final StopPolicy DEFAULT = new StopPolicy(Signal.SIGTERM, Duration.ofMillis(5000));

    public StopPolicy {
        Objects.requireNonNull(killSignal, "killSignal");
        if (killTimeout.isNegative()) {
            throw new IllegalArgumentException("killTimeout must not be negative");
        }
    }

    /** A policy that stops the whole tree with {@code killSignal}, never with a message. */
    public StopPolicy(Signal killSignal, Duration killTimeout) {
        this(killSignal, killTimeout, false, false);
    }
}
