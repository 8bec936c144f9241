package dev.herd.balancer.netty;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.balancer.Backend;
import dev.herd.balancer.BackendListener;
import dev.herd.balancer.Health;

/** Calls a {@link BackendListener} so that what it throws cannot end an event loop's task. */
final class Listeners {

    private static final Logger log = LoggerFactory.getLogger(Listeners.class);

    private Listeners() {
    }

    static void healthChanged(BackendListener listener, Backend backend, Health from, Health to) {
        try {
            listener.onHealthChange(backend, from, to);
        } catch (RuntimeException e) {
            log.warn("The backend listener failed on {} going {} -> {}", backend.id(), from, to, e);
        }
    }
}
