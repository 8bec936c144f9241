package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

class HttpRequestGuardTest {

    private static final HttpProxySettings SETTINGS = new HttpProxySettings(
            HttpProxySettings.DEFAULT.connectTimeout(), HttpProxySettings.DEFAULT.headerReadTimeout(),
            HttpProxySettings.DEFAULT.responseTimeout(), HttpProxySettings.DEFAULT.idleTimeout(),
            2, 256, 32, 1024, HttpProxySettings.DEFAULT.passiveCoolDown(), null, true);

    static Stream<Arguments> rejected() {
        String longTarget = "/" + "a".repeat(40);
        return Stream.of(
                Arguments.of("CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                Arguments.of("duplicate CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
                Arguments.of("CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
                Arguments.of("CL sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400),
                Arguments.of("CL non-digit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\nhello", 400),
                Arguments.of("CL empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400),
                Arguments.of("chunked not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
                Arguments.of("xchunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400),
                Arguments.of("chunked tab", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\t\r\n\r\n", 400),
                Arguments.of("chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                Arguments.of("TE empty element", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n", 400),
                Arguments.of("gzip then chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
                Arguments.of("TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                Arguments.of("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400),
                Arguments.of("space before colon", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 0\r\n\r\n", 400),
                Arguments.of("control byte in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u0001c\r\n\r\n", 400),
                Arguments.of("DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u007fc\r\n\r\n", 400),
                Arguments.of("non-tchar in name", "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", 400),
                Arguments.of("empty name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400),
                Arguments.of("bare CR", "GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n", 400),
                Arguments.of("bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400),
                Arguments.of("bare LF in a header", "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", 400),
                Arguments.of("missing Host", "GET / HTTP/1.1\r\n\r\n", 400),
                Arguments.of("duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
                Arguments.of("two spaces in request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                Arguments.of("bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                Arguments.of("space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                Arguments.of("unknown version", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
                Arguments.of("garbage version", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
                Arguments.of("CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 405),
                Arguments.of("target too long", "GET " + longTarget + " HTTP/1.1\r\nHost: a\r\n\r\n", 414),
                Arguments.of("target too long, unfinished", "GET " + longTarget, 414),
                Arguments.of("head too large", "GET / HTTP/1.1\r\nHost: a\r\nX-A: " + "b".repeat(300) + "\r\n\r\n", 431),
                Arguments.of("head too large, unfinished", "GET / HTTP/1.1\r\nHost: a\r\nX-A: " + "b".repeat(300), 431));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejectsMalformedHeadsWithExactStatusAndForwardsNothing(String name, String request, int status) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestGuard(SETTINGS));
        ch.writeInbound(bytes(request));
        assertThat((Object) ch.readInbound()).isNull();
        ByteBuf out = ch.readOutbound();
        assertThat(out).isNotNull();
        String response = out.toString(StandardCharsets.US_ASCII);
        out.release();
        assertThat(response).startsWith("HTTP/1.1 " + status + " ").contains("\r\nconnection: close\r\n");
        assertThat(ch.isOpen()).isFalse();
    }

    static Stream<Arguments> rejectedBodies() {
        String head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
        return Stream.of(
                Arguments.of("non-hex size", head + "g\r\n"),
                Arguments.of("empty size", head + "\r\n"),
                Arguments.of("bad extension byte", head + "5;a=\u0001\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("space without extension", head + "5 \r\nhello\r\n0\r\n\r\n"),
                Arguments.of("bare LF after size", head + "5\nhello\r\n0\r\n\r\n"),
                Arguments.of("no CRLF after data", head + "5\r\nhelloX\r\n0\r\n\r\n"),
                Arguments.of("huge size", head + "1000000000000000\r\n"),
                Arguments.of("bad trailer", head + "0\r\nX A: b\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedBodies")
    void signalsBadChunkFramingDownstream(String name, String request) {
        RecordingHandler sink = new RecordingHandler();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestGuard(SETTINGS), sink);
        ch.writeInbound(bytes(request));
        assertThat(sink.events).contains(HttpRequestGuard.BODY_REJECTED);
        assertThat((Object) ch.readOutbound()).isNull();
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("GET", "GET /x?y=1 HTTP/1.1\r\nHost: a\r\nX-A: b\tc \r\n\r\n"),
                Arguments.of("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n"),
                Arguments.of("fixed body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("chunked with extension and trailer",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=\"v\"\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n"),
                Arguments.of("case-insensitive chunked", "POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: Chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("obs-text in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\u00e9\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void passesValidRequestsThroughByteForByte(String name, String request) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestGuard(SETTINGS));
        ch.writeInbound(bytes(request));
        assertThat(drainInbound(ch)).isEqualTo(request);
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void passesAValidRequestFedOneByteAtATime() {
        String request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestGuard(SETTINGS));
        byte[] raw = request.getBytes(StandardCharsets.ISO_8859_1);
        for (byte b : raw) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertThat(drainInbound(ch)).isEqualTo(request);
    }

    /**
     * Found by {@link HttpRequestGuardFuzzTest}: a bad request line that arrived whole waited for
     * the rest of its head (up to the header-read timeout), while the same bytes arriving in
     * smaller reads were refused at once.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequestLines")
    void refusesABadRequestLineAsSoonAsItEndsWhateverTheReads(String name, String line) {
        for (boolean byteByByte : new boolean[] {false, true}) {
            EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestGuard(SETTINGS));
            byte[] raw = line.getBytes(StandardCharsets.ISO_8859_1);
            if (byteByByte) {
                for (int i = 0; i < raw.length && ch.isOpen(); i++) {
                    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {raw[i]}));
                }
            } else {
                ch.writeInbound(Unpooled.wrappedBuffer(raw));
            }
            assertThat((Object) ch.readInbound()).isNull();
            ByteBuf out = ch.readOutbound();
            assertThat(out).as("refused at once, " + (byteByByte ? "byte by byte" : "in one read")).isNotNull();
            assertThat(out.toString(StandardCharsets.US_ASCII)).matches("HTTP/1\\.1 [45]\\d\\d (?s).*");
            out.release();
            assertThat(ch.isOpen()).isFalse();
        }
    }

    /**
     * Found by {@link HttpRequestGuardFuzzTest}: a target past its limit was refused at once only
     * while its SP had not come, so the same unfinished request line was refused in small reads
     * and left waiting when it came in one.
     */
    @Test
    void refusesATargetPastItsLimitAtOnceWhetherOrNotTheLineGoesOn() {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestGuard(SETTINGS));
        ch.writeInbound(bytes("GET /" + "a".repeat(40) + " HTTP/1."));
        ByteBuf out = ch.readOutbound();
        assertThat(out).isNotNull();
        assertThat(out.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 414 URI Too Long\r\n");
        out.release();
        assertThat(ch.isOpen()).isFalse();
    }

    static Stream<Arguments> badRequestLines() {
        return Stream.of(
                Arguments.of("long target, no method", " /" + "a".repeat(40) + "\r\n"),
                Arguments.of("long target, no version", "GET /" + "a".repeat(40) + "\r\nHost: a\r\n"),
                Arguments.of("bad method", "G(T / HTTP/1.1\r\nHost: a\r\n"),
                Arguments.of("unknown version", "GET / HTTP/1.2\r\n"));
    }

    @Test
    void holdsAPipelinedRequestUntilTheNextIsAllowed() {
        HttpRequestGuard guard = new HttpRequestGuard(SETTINGS);
        EmbeddedChannel ch = new EmbeddedChannel(guard);
        String first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
        String second = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
        ch.writeInbound(bytes(first + second + "BROKEN\r\n\r\n"));
        assertThat(drainInbound(ch)).isEqualTo(first);
        guard.nextRequest();
        assertThat(drainInbound(ch)).isEqualTo(second);
        assertThat((Object) ch.readOutbound()).isNull();
        guard.nextRequest();
        ByteBuf out = ch.readOutbound();
        assertThat(out.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 400 Bad Request\r\n");
        out.release();
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** What the guard passed on: the head's and body's bytes, each request followed by its end. */
    private static String drainInbound(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object msg;
        boolean ended = true;
        while ((msg = ch.readInbound()) != null) {
            if (msg instanceof HttpHead head) {
                assertThat(ended).as("a head only after the previous request's end").isTrue();
                ended = false;
                sb.append(new String(head.bytes(), StandardCharsets.ISO_8859_1));
            } else if (msg == HttpRequestGuard.REQUEST_END) {
                ended = true;
            } else {
                ByteBuf b = (ByteBuf) msg;
                assertThat(ended).as("body bytes only inside a request").isFalse();
                sb.append(b.toString(StandardCharsets.ISO_8859_1));
                b.release();
            }
        }
        assertThat(ended).as("the request ended").isTrue();
        return sb.toString();
    }

    /** Records user events that reach the end of the pipeline. */
    private static final class RecordingHandler extends ChannelInboundHandlerAdapter {
        final java.util.List<Object> events = new java.util.ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }
}
