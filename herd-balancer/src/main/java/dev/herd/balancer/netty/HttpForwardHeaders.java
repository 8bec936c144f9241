package dev.herd.balancer.netty;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The heads the proxy sends, written from the heads it received: field lines copied as they
 * came, in their order, minus the hop-by-hop ones (RFC 9110 section 7.6.1), plus the proxy's own
 * ({@code X-Forwarded-*} on requests; {@code Connection}, re-framing and the optional instance
 * header on responses).
 *
 * <p>Hop-by-hop means Connection and every field it names, Keep-Alive, Proxy-Connection, TE
 * and, unless tunnelling, Upgrade. Trailer is not (RFC 9110 section 6.6.2): it announces the
 * trailer fields, which pass with the chunks, so it goes with them (and is dropped only when
 * de-chunking drops them). Content-Length, Transfer-Encoding and Host survive
 * even when named by Connection: dropping them would change the framing the other side applies
 * (a smuggling vector).
 */
final class HttpForwardHeaders {

    /** How a response body travels to the client. */
    enum BodyFraming {
        /** As the backend framed it (a length, chunks, or nothing). */
        AS_IS,
        /** The backend's chunks stripped of their framing, the end marked by closing. */
        DECHUNKED,
        /** Delimited by the backend's close, re-framed as chunks for an HTTP/1.1 client. */
        RECHUNKED,
        /** Delimited by the backend's close, and by the proxy's close towards the client. */
        UNTIL_CLOSE
    }

    private static final byte[] X_FORWARDED_FOR = HttpHead.ascii("x-forwarded-for");
    private static final byte[] X_FORWARDED_PROTO = HttpHead.ascii("x-forwarded-proto");
    private static final byte[] X_FORWARDED_HOST = HttpHead.ascii("x-forwarded-host");
    private static final byte[] X_FORWARDED_PORT = HttpHead.ascii("x-forwarded-port");
    private static final byte[] FORWARDED = HttpHead.ascii("forwarded");

    private static final String[] NONE = {};

    private static final byte[] HTTP_11 = HttpHead.ascii("HTTP/1.1");
    private static final byte[] HTTP_11_LINE = HttpHead.ascii("HTTP/1.1\r\n");
    private static final byte[] CRLF = HttpHead.ascii("\r\n");
    private static final byte[] XFF = HttpHead.ascii("X-Forwarded-For: ");
    private static final byte[] XFP = HttpHead.ascii("X-Forwarded-Proto: http\r\n");
    private static final byte[] XFH = HttpHead.ascii("X-Forwarded-Host: ");
    private static final byte[] HOST = HttpHead.ascii("host: ");
    private static final byte[] CONNECTION_UPGRADE = HttpHead.ascii("connection: upgrade\r\n");
    private static final byte[] CONNECTION_CLOSE = HttpHead.ascii("connection: close\r\n");
    private static final byte[] CONNECTION_KEEP_ALIVE = HttpHead.ascii("connection: keep-alive\r\n");
    private static final byte[] TRANSFER_ENCODING_CHUNKED = HttpHead.ascii("transfer-encoding: chunked\r\n");

    private HttpForwardHeaders() {
    }

    /** The peer's IP address as text, or its whole address when it is not an IP one. */
    static String peerAddress(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(remote);
    }

    /**
     * The client key: the last element of the trusted header's chain when configured and
     * present (the one our trusted peer added), else the peer's address.
     */
    static String clientKey(HttpHead h, String trustedHeader, String peer) {
        if (trustedHeader != null) {
            for (int i = h.fieldCount() - 1; i >= 0; i--) {
                if (h.nameIs(i, trustedHeader)) {
                    // Empty list elements ("a, , b," or an empty line) do not count (RFC 9110 5.6.1).
                    String[] elements = h.value(i).split(",");
                    for (int k = elements.length - 1; k >= 0; k--) {
                        String element = elements[k].strip();
                        if (!element.isEmpty()) {
                            return element;
                        }
                    }
                }
            }
        }
        return peer;
    }

    /**
     * The request head for a backend: the start line with version HTTP/1.1 (the backend
     * connection is kept alive without saying so), the client's fields but the hop-by-hop and
     * untrusted forwarding ones, then X-Forwarded-For (the peer appended to a trusted chain, else
     * the peer alone), X-Forwarded-Proto ({@code http}) and X-Forwarded-Host (the Host); a
     * trusted chain's own Proto and Host stay. Untrusted, every client-supplied forwarding field
     * is dropped, {@code Forwarded} too. With {@code forwarded} off none of this happens: the
     * client's forwarding fields pass as they came and none is added. An upgrade keeps Upgrade and the
     * fields its Connection names, and gets {@code connection: upgrade} naming them; a request without Host (HTTP/1.0) gets {@code host}.
     */
    static ByteBuf request(ByteBufAllocator alloc, HttpHead h, boolean upgrade, boolean forwarded, boolean trusted,
                           String peer, InetSocketAddress hostIfMissing) {
        ByteBuf out = alloc.ioBuffer(h.length() + 128);
        // The start line ends with the version, checked to be HTTP/1.0 or HTTP/1.1.
        h.writeRange(0, h.startLineEnd() - HTTP_11.length, out);
        out.writeBytes(HTTP_11_LINE);
        String[] options = h.connectionOptions();
        // An upgrade's own connection-specific fields (h2c's HTTP2-Settings) are for the backend
        // that may accept it: they pass, named again in Connection so they stay hop-by-hop there.
        String[] dropped = upgrade ? NONE : options;
        int host = -1;
        for (int i = 0; i < h.fieldCount(); i++) {
            if (h.nameIs(i, HttpHead.HOST)) {
                host = i;
            } else if (isHopByHop(h, i, upgrade, dropped) || forwarded && isReplacedForwarding(h, i, trusted)) {
                continue;
            }
            h.writeField(i, out);
        }
        if (forwarded) {
            writeForwarded(out, h, trusted, host, peer);
        }
        if (upgrade) {
            writeUpgradeConnection(out, h, options);
        }
        if (host < 0) {
            out.writeBytes(HOST);
            out.writeCharSequence(hostIfMissing.getHostString() + ":" + hostIfMissing.getPort(), StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        }
        out.writeBytes(CRLF);
        return out;
    }

    /** {@code connection: upgrade}, then each field that the client's Connection named and that was passed on. */
    private static void writeUpgradeConnection(ByteBuf out, HttpHead h, String[] options) {
        out.writeBytes(CONNECTION_UPGRADE, 0, CONNECTION_UPGRADE.length - CRLF.length);
        for (String option : options) {
            int i = h.indexOf(HttpHead.ascii(option));
            if (i >= 0 && !isHopByHop(h, i, true, NONE) && !h.nameIs(i, HttpHead.HOST)
                    && !h.nameIs(i, HttpHead.CONTENT_LENGTH) && !h.nameIs(i, HttpHead.TRANSFER_ENCODING)) {
                out.writeByte(',').writeByte(' ');
                out.writeCharSequence(option, StandardCharsets.US_ASCII);
            }
        }
        out.writeBytes(CRLF);
    }

    /** A client's forwarding field the proxy drops: all untrusted, a trusted X-Forwarded-For (re-written whole). */
    private static boolean isReplacedForwarding(HttpHead h, int i, boolean trusted) {
        return h.nameIs(i, X_FORWARDED_FOR) || !trusted && (h.nameIs(i, X_FORWARDED_PROTO)
                || h.nameIs(i, X_FORWARDED_HOST) || h.nameIs(i, FORWARDED) || h.nameIs(i, X_FORWARDED_PORT));
    }

    private static void writeForwarded(ByteBuf out, HttpHead h, boolean trusted, int host, String peer) {
        out.writeBytes(XFF);
        if (trusted) {
            for (int i = 0; i < h.fieldCount(); i++) {
                if (h.nameIs(i, X_FORWARDED_FOR)) {
                    h.writeValue(i, out);
                    out.writeByte(',').writeByte(' ');
                }
            }
        }
        out.writeCharSequence(peer, StandardCharsets.US_ASCII);
        out.writeBytes(CRLF);
        if (!trusted || h.indexOf(X_FORWARDED_PROTO) < 0) {
            out.writeBytes(XFP);
        }
        if (host >= 0 && (!trusted || h.indexOf(X_FORWARDED_HOST) < 0)) {
            out.writeBytes(XFH);
            h.writeValue(host, out);
            out.writeBytes(CRLF);
        }
    }

    /**
     * The response head for the client: status line with version HTTP/1.1, the backend's fields
     * but the hop-by-hop ones (Upgrade kept for a {@code 101} tunnel, Transfer-Encoding dropped
     * when de-chunking), then the framing and connection fields the proxy decided: for a final
     * response {@code connection: close} unless {@code persist}, {@code connection: keep-alive}
     * for a persistent HTTP/1.0 client; {@code connection: upgrade} for a tunnel.
     */
    static ByteBuf response(ByteBufAllocator alloc, HttpHead h, boolean tunnel, BodyFraming framing, boolean persist,
                            boolean http10Client) {
        return response(alloc, h, tunnel, framing, persist, http10Client, null, null);
    }

    /**
     * As the other {@code response}, with field {@code instanceHeader: instanceName} in place of
     * any of that name the backend sent, when both are given; they are not for an interim head.
     */
    static ByteBuf response(ByteBufAllocator alloc, HttpHead h, boolean tunnel, BodyFraming framing, boolean persist,
                            boolean http10Client, String instanceHeader, String instanceName) {
        ByteBuf out = alloc.ioBuffer(h.length() + 64);
        out.writeBytes(HTTP_11);
        h.writeRange(HTTP_11.length, h.startLineEnd() + 2, out);
        String[] options = h.connectionOptions();
        boolean instance = instanceHeader != null && instanceName != null;
        for (int i = 0; i < h.fieldCount(); i++) {
            if (isHopByHop(h, i, tunnel, options) || framing == BodyFraming.DECHUNKED
                    && (h.nameIs(i, HttpHead.TRANSFER_ENCODING) || h.nameIs(i, HttpHead.TRAILER))
                    || instance && h.nameIs(i, instanceHeader)) {
                continue;
            }
            h.writeField(i, out);
        }
        if (instance) {
            out.writeCharSequence(instanceHeader, StandardCharsets.US_ASCII);
            out.writeByte(':').writeByte(' ');
            out.writeCharSequence(instanceName, StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        }
        int status = (h.bytes()[9] - '0') * 100 + (h.bytes()[10] - '0') * 10 + (h.bytes()[11] - '0');
        if (tunnel) {
            out.writeBytes(CONNECTION_UPGRADE);
        } else if (status >= 200) {
            if (framing == BodyFraming.RECHUNKED) {
                out.writeBytes(TRANSFER_ENCODING_CHUNKED);
            }
            if (!persist) {
                out.writeBytes(CONNECTION_CLOSE);
            } else if (http10Client) {
                out.writeBytes(CONNECTION_KEEP_ALIVE);
            }
        }
        out.writeBytes(CRLF);
        return out;
    }

    private static boolean isHopByHop(HttpHead h, int i, boolean keepUpgrade, String[] options) {
        if (h.nameIs(i, HttpHead.CONNECTION) || h.nameIs(i, HttpHead.KEEP_ALIVE) || h.nameIs(i, HttpHead.PROXY_CONNECTION)
                || h.nameIs(i, HttpHead.TE)) {
            return true;
        }
        if (h.nameIs(i, HttpHead.UPGRADE)) {
            return !keepUpgrade;
        }
        return options.length > 0 && h.nameIn(i, options) && !h.nameIs(i, HttpHead.CONTENT_LENGTH)
                && !h.nameIs(i, HttpHead.TRANSFER_ENCODING) && !h.nameIs(i, HttpHead.HOST);
    }
}
