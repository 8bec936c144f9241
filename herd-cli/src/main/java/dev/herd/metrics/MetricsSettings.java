package dev.herd.metrics;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.Set;

/**
 * Where the metrics and the dashboard listen, and the token that guards them.
 *
 * @param host  the address to bind; {@value #DEFAULT_HOST} unless set
 * @param port  the TCP port, 1-65535
 * @param token what every request must carry (bearer header, {@code ?token=} or the cookie the
 *              page gets), or null for none: allowed only on a loopback host ({@link #needsToken})
 */
public record MetricsSettings(String host, int port, String token) {

    /** Where metrics listen unless told otherwise: reachable from this machine only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The shortest token accepted, so that a hand-written one cannot be guessed at once. */
    public static final int MIN_TOKEN_LENGTH = 16;

    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "::1");

    /** Checks the fields. */
    public MetricsSettings {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 1-65535");
        }
    }

    /**
     * Whether this host needs a token: every host but {@code 127.0.0.1}, {@code localhost} and
     * {@code ::1}. Other loopback addresses need one too, since they are what a test or a proxy
     * would use to stand for "elsewhere".
     */
    public boolean needsToken() {
        return !LOOPBACK.contains(host);
    }

    /** The same settings with a token, generated when this host needs one and none is set. */
    public MetricsSettings withTokenIfNeeded(SecureRandom random) {
        if (token != null || !needsToken()) {
            return this;
        }
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return new MetricsSettings(host, port, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    }

    /** The page's address, with the token when there is one (a browser opens it once, then keeps a cookie). */
    public String dashboardUrl() {
        return base() + "/" + (token != null ? "?token=" + token : "");
    }

    /** Where Prometheus scrapes. */
    public String metricsUrl() {
        return base() + "/metrics";
    }

    private String base() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
