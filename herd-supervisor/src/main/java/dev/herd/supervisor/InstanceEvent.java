package dev.herd.supervisor;

/**
 * A change of state of one instance, as logged, streamed to {@code herd logs} and kept for
 * {@code describe}.
 *
 * @param epochMillis wall-clock time of the change
 * @param id          the instance's id (unique in this supervisor)
 * @param app         the app's name
 * @param index       the instance's index within its app ({@code HERD_APP_INSTANCE})
 * @param from        previous state
 * @param to          new state
 * @param pid         the process id, or 0 when there is no process
 * @param reason      why, in words
 * @param port        the port its plan gives it (cluster mode), 0 for none
 */
public record InstanceEvent(long epochMillis, int id, String app, int index, ProcessState from, ProcessState to,
                            long pid, String reason, int port) {

    @Override
    public String toString() {
        return app + "[" + index + "] (id " + id + (pid > 0 ? ", pid " + pid : "") + ") "
                + from.label() + " -> " + to.label() + ": " + reason;
    }
}
