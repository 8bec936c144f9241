package dev.herd.supervisor.logs;

/**
 * Receives lines after a {@link LogWriter} wrote them, for {@code herd logs} streaming.
 *
 * <p>Called on the writer's thread, so it must not block: a slow listener slows the log file
 * down and, once the buffer is full, makes the writer drop lines.
 */
@FunctionalInterface
public interface LogListener {

    /** Called once per written line, in write order. Exceptions are logged and otherwise ignored. */
    void onLine(LogLine line);
}
