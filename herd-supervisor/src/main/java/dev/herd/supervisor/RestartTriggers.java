package dev.herd.supervisor;

/**
 * What restarts an app besides its own exits: changes to its files (PM2's {@code watch}) and a
 * cron schedule (PM2's {@code cron_restart}). The supervisor only carries it in the app's
 * {@link AppSpec}, so that it is saved and restored with the app; the daemon acts on it.
 *
 * @param watch what is watched, or {@code null} for nothing
 * @param cron  a cron expression (five fields, or six with seconds first), checked when the
 *              file was read, or {@code null} for none
 */
public record RestartTriggers(WatchSpec watch, String cron) {

    /** Neither watched nor on a schedule. */
    public static final RestartTriggers NONE = new RestartTriggers(null, null);

    /** A copy with another watch. */
    public RestartTriggers withWatch(WatchSpec next) {
        return new RestartTriggers(next, cron);
    }
}
