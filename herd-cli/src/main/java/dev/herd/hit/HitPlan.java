package dev.herd.hit;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What to send, how hard and for how long.
 *
 * @param target      an {@code http://} URL (HTTP/1.1, no TLS)
 * @param connections connections open at once (requests in flight at most), 1 or more
 * @param count       requests to send at most, or 0 for no count (then {@code duration} bounds the run)
 * @param duration    how long to send at most, or null for no limit in time (then {@code count} bounds it)
 * @param rate        requests per second in total for an open loop, or 0 for a closed loop ({@link Schedule})
 * @param keepAlive   whether to reuse a connection for the next request; without it each request
 *                    is sent on a new connection with {@code Connection: close}
 * @param timeout     how long a request may take, connection included, before it counts as a timeout
 * @param method      the request method, e.g. {@code GET}
 * @param headers     extra request headers, in order
 * @param body        the request body (UTF-8), or null for none
 * @param retry       whether an idempotent request whose kept-alive connection closed before any byte of
 *                    an answer is sent once more on a new connection, as HTTP clients do (RFC 9110, 9.2.2)
 */
public record HitPlan(URI target, int connections, long count, Duration duration, double rate, boolean keepAlive,
                      Duration timeout, String method, List<Header> headers, String body, boolean retry) {

    /** A plan that sends each request once. */
    public HitPlan(URI target, int connections, long count, Duration duration, double rate, boolean keepAlive,
                   Duration timeout, String method, List<Header> headers, String body) {
        this(target, connections, count, duration, rate, keepAlive, timeout, method, headers, body, false);
    }

    /** One request header. */
    public record Header(String name, String value) {
    }

    public HitPlan {
        if (!"http".equals(target.getScheme() == null ? null : target.getScheme().toLowerCase(Locale.ROOT))
                || target.getHost() == null) {
            throw new IllegalArgumentException("expected an http:// URL, got '" + target + "'");
        }
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be 1 or more, got " + connections);
        }
        if (count < 0 || (count == 0 && duration == null)) {
            throw new IllegalArgumentException("a run needs a count, a duration, or both");
        }
        if (duration != null && (duration.isZero() || duration.isNegative())) {
            throw new IllegalArgumentException("the duration must be more than 0, got " + duration);
        }
        if (rate < 0 || Double.isNaN(rate) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("the rate must be more than 0, got " + rate);
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("the timeout must be more than 0, got " + timeout);
        }
        headers = List.copyOf(headers);
    }

    /** {@code count} GET requests to {@code target}, one after the other, kept alive, with a 10 s timeout. */
    public static HitPlan sequential(URI target, long count) {
        return new HitPlan(target, 1, count, null, 0, true, Duration.ofSeconds(10), "GET", List.of(), null);
    }

    /** The port to connect to: the URL's, or 80. */
    int port() {
        return target.getPort() > 0 ? target.getPort() : 80;
    }

    /** The request target: the URL's path and query, or {@code /}. */
    String pathAndQuery() {
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        return target.getRawQuery() == null ? path : path + "?" + target.getRawQuery();
    }
}
