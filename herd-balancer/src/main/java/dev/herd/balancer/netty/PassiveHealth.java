package dev.herd.balancer.netty;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.balancer.Backend;
import dev.herd.balancer.ErrorKind;

/**
 * Passive health, shared by both modes: a backend that refused a connection, or did not accept
 * one in time, gets no new traffic for a cool-down. Each cool-down is logged once when it starts
 * (as HAProxy logs a server going down), not once per failed connection.
 */
final class PassiveHealth {

    private static final Logger log = LoggerFactory.getLogger(PassiveHealth.class);

    private PassiveHealth() {
    }

    static void connectFailed(Backend backend, ErrorKind kind, long nowNanos, Duration coolDown) {
        if (backend.coolDown(nowNanos, nowNanos + coolDown.toNanos())) {
            log.warn("backend {} {}: no new traffic for {} ms", backend.id(),
                    kind == ErrorKind.CONNECT_TIMEOUT ? "did not accept a connection in time" : "refused a connection",
                    coolDown.toMillis());
        }
    }
}
