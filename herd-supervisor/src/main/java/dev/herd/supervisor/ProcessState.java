package dev.herd.supervisor;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The life of one instance. Every allowed move is in {@link #ALLOWED}; nothing else changes an
 * instance's state (see {@code Supervisor.transition}).
 *
 * <pre>
 *   STOPPED ──start──▶ STARTING ──ready──▶ ONLINE ──stop──▶ STOPPING ──exited──▶ STOPPED
 *                         │ spawn failed     │ exited on its own
 *                         ▼                  ├──▶ WAITING_RESTART ──delay over──▶ STARTING
 *                      ERRORED ◀─────────────┤   (too many unstable exits)
 *                                            └──▶ STOPPED (autorestart off, stop exit code)
 *
 *   STARTING moves as ONLINE does when it is stopped or exits before it is ready. Ready means
 *   spawned in fork mode (or, with wait_ready, said so by its process), and said so by its owner
 *   in cluster mode (its port answers).
 * </pre>
 */
public enum ProcessState {
    /** Spawned, not ready yet: in cluster mode it gets no traffic until it is. */
    STARTING,
    /** Running. */
    ONLINE,
    /** Asked to stop; waiting for the process tree to exit. */
    STOPPING,
    /** Not running, and not going to run until asked. */
    STOPPED,
    /** Exited on its own; will start again after a delay. */
    WAITING_RESTART,
    /** Could not be spawned, or crashed too often in a row; not restarted until asked. */
    ERRORED;

    private static final Map<ProcessState, Set<ProcessState>> ALLOWED = Map.of(
            STOPPED, EnumSet.of(STARTING),
            STARTING, EnumSet.of(ONLINE, ERRORED, STOPPING, WAITING_RESTART, STOPPED),
            ONLINE, EnumSet.of(STOPPING, WAITING_RESTART, STOPPED, ERRORED),
            STOPPING, EnumSet.of(STOPPED),
            WAITING_RESTART, EnumSet.of(STARTING, STOPPED),
            ERRORED, EnumSet.of(STARTING, STOPPED));

    /** Whether an instance in this state may move to {@code next}. */
    public boolean canMoveTo(ProcessState next) {
        return ALLOWED.get(this).contains(next);
    }

    /** Whether a process exists (or is being created) in this state. */
    public boolean isRunning() {
        return this == STARTING || this == ONLINE || this == STOPPING;
    }

    /** The status word shown by {@code list}, in PM2's spelling ({@code waiting restart}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
