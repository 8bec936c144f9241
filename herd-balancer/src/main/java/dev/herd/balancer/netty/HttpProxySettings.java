package dev.herd.balancer.netty;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Limits and timeouts of the http-mode reverse proxy ({@link HttpProxyInitializer}).
 *
 * @param connectTimeout       how long a backend connect may take; a timeout counts as
 *                             {@link dev.herd.balancer.ErrorKind#CONNECT_TIMEOUT}. Default 5 s.
 * @param headerReadTimeout    how long a client may take to send a request head once its first
 *                             byte arrived (and a fresh connection to send that byte); then
 *                             {@code 408} and close. Default 30 s.
 * @param responseTimeout      backend inactivity (no byte read or written) while a request is
 *                             in flight; {@code 504} if no response began, else the client
 *                             connection is aborted. Default 60 s.
 * @param idleTimeout          how long a kept-alive client connection may wait for its next
 *                             request, and a pooled backend connection for reuse. Default 60 s.
 * @param maxRetries           how many other backends a request may be retried on. Default 2.
 * @param maxHeaderBytes       request line plus header section (and trailers) limit; above it
 *                             {@code 431}. Default 64 KiB.
 * @param maxTargetBytes       request-target limit; above it {@code 414}. Default 8 KiB.
 * @param replayBufferBytes    how much of an idempotent request's body is kept to replay it on
 *                             a retry; a longer body is not retried. Default 64 KiB.
 * @param passiveCoolDown      how long a backend that refused a connection gets no traffic.
 *                             Default 10 s.
 * @param trustedForwardHeader a header set by a trusted proxy in front (e.g.
 *                             {@code X-Forwarded-For}) whose last element is the client key, and
 *                             whose forwarding headers are then kept and appended to; null (the
 *                             default) to use the peer address and replace every client-supplied
 *                             {@code X-Forwarded-*} and {@code Forwarded} header
 * @param forwardedHeaders     whether the proxy sets X-Forwarded-For, -Proto and -Host (as
 *                             described for {@code trustedForwardHeader}); false leaves every
 *                             forwarding header as the client sent it, as HAProxy does without
 *                             {@code option forwardfor}: backends must then not trust them.
 *                             Default true.
 * @param instanceHeader       a header name (e.g. {@code X-Herd-Instance}) added to every
 *                             response relayed from a backend that has a
 *                             {@link Balancer.BackendAddress#name() name}, with the name as its
 *                             value; a field of that name the backend sent is replaced. Null, the
 *                             default, adds nothing.
 */
public record HttpProxySettings(
        Duration connectTimeout,
        Duration headerReadTimeout,
        Duration responseTimeout,
        Duration idleTimeout,
        int maxRetries,
        int maxHeaderBytes,
        int maxTargetBytes,
        int replayBufferBytes,
        Duration passiveCoolDown,
        String trustedForwardHeader,
        boolean forwardedHeaders,
        String instanceHeader) {

    /** Every default listed above. */
    public static final HttpProxySettings DEFAULT = new HttpProxySettings(
            Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(60),
            2, 64 * 1024, 8 * 1024, 64 * 1024, Duration.ofSeconds(10), null, true, null);

    /** Settings without an instance header. */
    public HttpProxySettings(Duration connectTimeout, Duration headerReadTimeout, Duration responseTimeout,
            Duration idleTimeout, int maxRetries, int maxHeaderBytes, int maxTargetBytes, int replayBufferBytes,
            Duration passiveCoolDown, String trustedForwardHeader, boolean forwardedHeaders) {
        this(connectTimeout, headerReadTimeout, responseTimeout, idleTimeout, maxRetries, maxHeaderBytes, maxTargetBytes,
                replayBufferBytes, passiveCoolDown, trustedForwardHeader, forwardedHeaders, null);
    }

    /** Checks every value; durations must be positive, sizes at least 1 (retries at least 0). */
    public HttpProxySettings {
        positive(connectTimeout, "connectTimeout");
        positive(headerReadTimeout, "headerReadTimeout");
        positive(responseTimeout, "responseTimeout");
        positive(idleTimeout, "idleTimeout");
        Objects.requireNonNull(passiveCoolDown, "passiveCoolDown");
        if (passiveCoolDown.isNegative()) {
            throw new IllegalArgumentException("passiveCoolDown must not be negative");
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative, was " + maxRetries);
        }
        if (maxHeaderBytes < 64 || maxTargetBytes < 1 || replayBufferBytes < 0) {
            throw new IllegalArgumentException("limits too small: header " + maxHeaderBytes
                    + ", target " + maxTargetBytes + ", replay " + replayBufferBytes);
        }
        if (trustedForwardHeader != null && !isHeaderName(trustedForwardHeader)) {
            throw new IllegalArgumentException("'" + trustedForwardHeader + "' is not a header name");
        }
        if (instanceHeader != null && !isHeaderName(instanceHeader)) {
            throw new IllegalArgumentException("instance header '" + instanceHeader + "' is not a header name");
        }
        if (instanceHeader != null && FRAMING_FIELDS.contains(instanceHeader.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("instance header '" + instanceHeader
                    + "' would change how responses are framed or relayed: choose another name");
        }
        if (!forwardedHeaders && trustedForwardHeader != null) {
            throw new IllegalArgumentException("a trusted forwarding header needs forwarded headers on");
        }
        if (connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connectTimeout too long: " + connectTimeout);
        }
    }

    /** Fields the proxy reads or writes itself, which an instance header must not replace. */
    private static final Set<String> FRAMING_FIELDS = Set.of("connection", "content-length", "transfer-encoding",
            "keep-alive", "proxy-connection", "te", "trailer", "upgrade");

    private static boolean isHeaderName(String name) {
        return !name.isEmpty() && name.chars().allMatch(c -> c < 0x80 && HttpHead.isTchar((byte) c));
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
    }

    /** A copy with other timeouts, for tests and tuning. */
    public HttpProxySettings withTimeouts(Duration connect, Duration headerRead, Duration response, Duration idle) {
        return new HttpProxySettings(connect, headerRead, response, idle, maxRetries, maxHeaderBytes,
                maxTargetBytes, replayBufferBytes, passiveCoolDown, trustedForwardHeader, forwardedHeaders, instanceHeader);
    }

    /** A copy with another trusted forwarding header (null for none). */
    public HttpProxySettings withTrustedForwardHeader(String header) {
        return new HttpProxySettings(connectTimeout, headerReadTimeout, responseTimeout, idleTimeout, maxRetries,
                maxHeaderBytes, maxTargetBytes, replayBufferBytes, passiveCoolDown, header, forwardedHeaders, instanceHeader);
    }

    /** A copy that sets forwarding headers or leaves them alone (see {@code forwardedHeaders}). */
    public HttpProxySettings withForwardedHeaders(boolean on) {
        return new HttpProxySettings(connectTimeout, headerReadTimeout, responseTimeout, idleTimeout, maxRetries,
                maxHeaderBytes, maxTargetBytes, replayBufferBytes, passiveCoolDown, trustedForwardHeader, on, instanceHeader);
    }

    /**
     * A copy that adds a header naming the instance to each response (see
     * {@code instanceHeader}); null for none.
     */
    public HttpProxySettings withInstanceHeader(String name) {
        return new HttpProxySettings(connectTimeout, headerReadTimeout, responseTimeout, idleTimeout, maxRetries,
                maxHeaderBytes, maxTargetBytes, replayBufferBytes, passiveCoolDown, trustedForwardHeader, forwardedHeaders,
                name);
    }
}
