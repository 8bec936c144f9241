package dev.herd.balancer.netty;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.balancer.Backend;
import dev.herd.balancer.BackendListener;
import dev.herd.balancer.ErrorKind;
import dev.herd.balancer.Health;

/**
 * Passive health: a backend that refused a connection, or did not accept one in time, gets no
 * new traffic for a cool-down (both modes); one that let a response time out gets one request at
 * a time until it answers ({@link Backend#responseTimedOut}, http mode). Each is logged once
 * when it starts (as HAProxy logs a server going down), not once per failure, and told to the
 * {@link BackendListener} as a change to unhealthy (unless the checks already say so).
 */
final class PassiveHealth {

    private static final Logger log = LoggerFactory.getLogger(PassiveHealth.class);

    private PassiveHealth() {
    }

    static void connectFailed(Backend backend, ErrorKind kind, long nowNanos, Duration coolDown, BackendListener listener) {
        if (backend.coolDown(nowNanos, nowNanos + coolDown.toNanos())) {
            log.warn("backend {} {}: no new traffic for {} ms", backend.id(),
                    kind == ErrorKind.CONNECT_TIMEOUT ? "did not accept a connection in time" : "refused a connection",
                    coolDown.toMillis());
            reportUnhealthy(backend, listener);
        }
    }

    static void responseTimedOut(Backend backend, Duration timeout, long nowNanos, long startedNanos,
            BackendListener listener) {
        if (backend.responseTimedOut(nowNanos, startedNanos)) {
            log.warn("backend {} did not answer within {} ms: one request at a time until it answers", backend.id(),
                    timeout.toMillis());
            reportUnhealthy(backend, listener);
        }
    }

    static void answered(Backend backend) {
        if (backend.answered()) {
            log.info("backend {} answers again: back to its full share", backend.id());
        }
    }

    private static void reportUnhealthy(Backend backend, BackendListener listener) {
        Health from = backend.health();
        if (from != Health.UNHEALTHY) {
            Listeners.healthChanged(listener, backend, from, Health.UNHEALTHY);
        }
    }
}
