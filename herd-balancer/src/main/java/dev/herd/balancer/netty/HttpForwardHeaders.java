package dev.herd.balancer.netty;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Header rewriting at the proxy boundary: hop-by-hop headers (RFC 9110 section 7.6.1) removed
 * both ways, and the {@code X-Forwarded-*} set on requests.
 */
final class HttpForwardHeaders {

    private HttpForwardHeaders() {
    }

    /**
     * Removes Connection and every header it names, Keep-Alive, Proxy-Connection, TE, Trailer,
     * Transfer-Encoding and, unless {@code keepUpgrade}, Upgrade. Content-Length and Host survive
     * even when named by Connection: dropping them would change the framing the codec applies
     * (a smuggling vector); the caller re-frames anyway.
     */
    static void removeHopByHop(HttpHeaders h, boolean keepUpgrade) {
        for (String value : h.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String name = token.strip();
                if (name.isEmpty() || name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("host")
                        || (keepUpgrade && name.equalsIgnoreCase("upgrade"))) {
                    continue;
                }
                h.remove(name);
            }
        }
        h.remove(HttpHeaderNames.CONNECTION);
        h.remove(HttpHeaderNames.KEEP_ALIVE);
        h.remove(HttpHeaderNames.PROXY_CONNECTION);
        h.remove(HttpHeaderNames.TE);
        h.remove(HttpHeaderNames.TRAILER);
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (!keepUpgrade) {
            h.remove(HttpHeaderNames.UPGRADE);
        }
    }

    /** The peer's IP address as text, or its whole address when it is not an IP one. */
    static String peerAddress(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(remote);
    }

    /**
     * The client key: the last element of the trusted header when configured and present (the
     * one our trusted peer added), else the peer's address.
     */
    static String clientKey(HttpHeaders h, String trustedHeader, String peer) {
        if (trustedHeader != null) {
            String value = h.get(trustedHeader);
            if (value != null) {
                int comma = value.lastIndexOf(',');
                String last = value.substring(comma + 1).strip();
                if (!last.isEmpty()) {
                    return last;
                }
            }
        }
        return peer;
    }

    /**
     * Sets X-Forwarded-For (the peer appended to a trusted chain, else the peer alone),
     * X-Forwarded-Proto ({@code http}) and X-Forwarded-Host (the Host). Untrusted, every
     * client-supplied forwarding header is replaced and {@code Forwarded} dropped.
     */
    static void setForwarded(HttpHeaders h, boolean trusted, String peer) {
        String host = h.get(HttpHeaderNames.HOST);
        if (trusted) {
            String chain = String.join(", ", h.getAll("X-Forwarded-For"));
            h.set("X-Forwarded-For", chain.isEmpty() ? peer : chain + ", " + peer);
            if (!h.contains("X-Forwarded-Proto")) {
                h.set("X-Forwarded-Proto", "http");
            }
            if (!h.contains("X-Forwarded-Host") && host != null) {
                h.set("X-Forwarded-Host", host);
            }
            return;
        }
        h.remove("Forwarded");
        h.remove("X-Forwarded-Port");
        h.set("X-Forwarded-For", peer);
        h.set("X-Forwarded-Proto", "http");
        if (host != null) {
            h.set("X-Forwarded-Host", host);
        } else {
            h.remove("X-Forwarded-Host");
        }
    }
}
