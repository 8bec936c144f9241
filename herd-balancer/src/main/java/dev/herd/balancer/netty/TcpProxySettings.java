package dev.herd.balancer.netty;

import java.time.Duration;
import java.util.Objects;

/**
 * How the TCP proxy ({@link TcpProxyInitializer}) reaches backends and when it gives up.
 *
 * @param connectTimeout  how long one connection attempt to a backend may take; default 5 s
 * @param maxRetries      how many other backends to try after the first attempt fails, at
 *                        least 0; default 2 (so at most three attempts per client connection)
 * @param idleTimeout     a connection with no traffic in either direction for this long is
 *                        closed; {@code null} (the default) never closes an idle connection
 * @param passiveCoolDown a backend whose connect failed takes no new connection for this long
 *                        (passive health); default 10 s, zero disables it
 */
public record TcpProxySettings(Duration connectTimeout, int maxRetries, Duration idleTimeout, Duration passiveCoolDown) {

    /** Connect timeout 5 s, 2 retries, no idle timeout, cool-down 10 s. */
    public static final TcpProxySettings DEFAULT =
            new TcpProxySettings(Duration.ofSeconds(5), 2, null, Duration.ofSeconds(10));

    /** Checks the values as documented on the components. */
    public TcpProxySettings {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(passiveCoolDown, "passiveCoolDown");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, was " + connectTimeout);
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be at least 0, was " + maxRetries);
        }
        if (idleTimeout != null && (idleTimeout.isNegative() || idleTimeout.isZero())) {
            throw new IllegalArgumentException("idleTimeout must be positive or null, was " + idleTimeout);
        }
        if (passiveCoolDown.isNegative()) {
            throw new IllegalArgumentException("passiveCoolDown must not be negative, was " + passiveCoolDown);
        }
    }
}
