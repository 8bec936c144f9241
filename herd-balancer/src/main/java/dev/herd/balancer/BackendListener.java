package dev.herd.balancer;

/**
 * Told when a backend's health changes, so that a cluster manager can show it or act on it, and
 * when a request finds no backend to go to.
 *
 * <p>Called once per change: each change an active check decides (see {@code HealthChecker}'s
 * rise and fall counts), and each passive cool-down when it starts (a refused or timed-out
 * connect), reported as a change to {@link Health#UNHEALTHY} from the health the checks last set;
 * the cool-down's end is time passing, not an event, and is not reported. Calls come from the
 * balancer's event loops: an implementation must return quickly and never block (hand the event
 * to its own executor). What it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface BackendListener {

    /** Listens to nothing: the default. */
    BackendListener NONE = (backend, from, to) -> {
    };

    /**
     * @param backend the backend, live
     * @param from    its health before
     * @param to      its health now (for a cool-down, {@link Health#UNHEALTHY})
     */
    void onHealthChange(Backend backend, Health from, Health to);

    /**
     * A request (a connection, in tcp mode) found no backend available and was refused: a 503,
     * or a closed connection. Counted apart from backends' errors, since no backend was tried.
     */
    default void onNoBackend() {
    }
}
