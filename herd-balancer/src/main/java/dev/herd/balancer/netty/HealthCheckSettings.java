package dev.herd.balancer.netty;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link HealthChecker} probes each backend, and how many results in a row change its health
 * (HAProxy's {@code rise} and {@code fall}).
 *
 * @param httpPath path of an HTTP check ({@code GET <path>}, any 2xx or 3xx status passes);
 *                 {@code null}, the default, checks only that a TCP connection can be made
 * @param interval time between the starts of two checks of one backend; default 2 s
 * @param timeout  how long one check may take, connect included; default 1 s
 * @param rise     consecutive passes that make a backend healthy, at least 1; default 2
 * @param fall     consecutive failures that make a backend unhealthy, at least 1; default 3
 */
public record HealthCheckSettings(String httpPath, Duration interval, Duration timeout, int rise, int fall) {

    /** TCP connect check every 2 s, timeout 1 s, rise 2, fall 3. */
    public static final HealthCheckSettings DEFAULT =
            new HealthCheckSettings(null, Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);

    /** Checks the values as documented on the components. */
    public HealthCheckSettings {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        checkPath(httpPath);
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise and fall must be at least 1, were " + rise + " and " + fall);
        }
    }

    /** Checks an HTTP check's path (null for none), as the component's documentation says. */
    static void checkPath(String httpPath) {
        if (httpPath != null && !httpPath.startsWith("/")) {
            throw new IllegalArgumentException("expected a path starting with '/', got '" + httpPath + "'");
        }
        if (httpPath != null && httpPath.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw new IllegalArgumentException("expected a path of printable ASCII without spaces, got '" + httpPath + "'");
        }
    }
}
