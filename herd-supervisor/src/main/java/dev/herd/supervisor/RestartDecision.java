package dev.herd.supervisor;

import java.time.Duration;

/**
 * What to do after an instance exited on its own.
 *
 * @param next   {@link ProcessState#WAITING_RESTART}, {@link ProcessState#STOPPED} or {@link ProcessState#ERRORED}
 * @param delay  how long to wait before starting again (zero unless {@code next} is WAITING_RESTART)
 * @param reason why, for the log and {@code describe}
 */
public record RestartDecision(ProcessState next, Duration delay, String reason) {
}
