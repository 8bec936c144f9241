package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Timeout;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Fuzzes {@link HttpRequestGuard}, the proxy's only request parser, through an
 * {@link EmbeddedChannel} driven as the proxy drives it (the next request is read once the
 * previous one ended).
 *
 * <p>Properties: a well-formed request is passed on byte for byte; any bytes are judged (passed
 * on, or answered with an error) the same however they are split into reads, since a request the
 * guard reads one way and a backend another is how smuggling starts; no exception escapes the
 * handler, and every buffer is released.
 *
 * <p>A plain test run replays each method's corpus in {@code HttpRequestGuardFuzzTestInputs};
 * CI also fuzzes each method for a bounded time (the {@code fuzz} profile).
 */
class HttpRequestGuardFuzzTest {

    /** Small limits, so that the fuzzer reaches them (414, 431) without megabyte inputs. */
    private static final HttpProxySettings SETTINGS = new HttpProxySettings(
            HttpProxySettings.DEFAULT.connectTimeout(), HttpProxySettings.DEFAULT.headerReadTimeout(),
            HttpProxySettings.DEFAULT.responseTimeout(), HttpProxySettings.DEFAULT.idleTimeout(),
            2, 512, 64, 1024, HttpProxySettings.DEFAULT.passiveCoolDown(), null, true);

    private static final String TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    /** Header names the generator does not add at random: they frame the request and have rules of their own. */
    private static final List<String> FRAMING = List.of("host", "content-length", "transfer-encoding");
    private static final Pattern REFUSAL = Pattern.compile(
            "HTTP/1\\.1 (400|405|414|431|501|505) [A-Za-z ]+\r\ncontent-type: text/plain\r\ncontent-length: \\d+\r\n"
                    + "connection: close\r\n\r\n[a-z ]+\n", Pattern.DOTALL);

    /**
     * Any bytes, as one read or one byte per read: what the guard passes on and answers must be
     * the same. The corpus holds literal requests, valid and not.
     */
    // An input that takes longer stalls an event loop of many connections; Jazzer makes it a finding.
    @Timeout(10)
    @FuzzTest(maxDuration = "30s")
    void anyBytesAreJudgedAlikeInOneReadOrByteByByte(byte[] input) {
        String whole = run(List.of(input));
        List<byte[]> bytes = new ArrayList<>();
        for (byte b : input) {
            bytes.add(new byte[] {b});
        }
        assertThat(run(bytes)).isEqualTo(whole);
    }

    /** Well-formed requests, pipelined, in reads split anywhere: each passes on byte for byte. */
    // An input that takes longer stalls an event loop of many connections; Jazzer makes it a finding.
    @Timeout(10)
    @FuzzTest(maxDuration = "30s")
    void wellFormedRequestsPassByteForByteInAnySplit(FuzzedDataProvider data) {
        byte[] first = wellFormedRequest(data);
        byte[] second = data.consumeBoolean() ? wellFormedRequest(data) : new byte[0];
        byte[] input = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, input, first.length, second.length);
        int[] cuts = new int[data.consumeInt(0, 6)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = data.consumeInt(0, input.length);
        }
        String expected = transcriptOf(first) + (second.length == 0 ? "" : transcriptOf(second)) + "[open]";
        assertThat(run(split(input, cuts))).isEqualTo(expected);
    }

    /**
     * A request the guard must accept: a token method, a printable target within the limit,
     * HTTP/1.1 with one Host (or HTTP/1.0 with at most one), a few fields of any valid bytes, and
     * no body, a Content-Length body or (on 1.1) a chunked one with extensions and trailers.
     */
    private static byte[] wellFormedRequest(FuzzedDataProvider data) {
        StringBuilder head = new StringBuilder();
        String method = token(data, 1, 8);
        if (method.equals("CONNECT")) {
            method = "GET";
        }
        boolean http10 = data.consumeBoolean();
        head.append(method).append(' ').append('/').append(printable(data, 0, SETTINGS.maxTargetBytes() - 1))
                .append(http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
        int fields = data.consumeInt(0, 4);
        boolean host = !http10 || data.consumeBoolean();
        int hostAt = data.consumeInt(0, fields);
        for (int i = 0; i <= fields; i++) {
            if (i == hostAt && host) {
                head.append(data.consumeBoolean() ? "Host" : "host").append(':').append(fieldValue(data)).append("\r\n");
            }
            if (i < fields) {
                String name = token(data, 1, 12);
                if (!FRAMING.contains(name.toLowerCase(Locale.ROOT))) {
                    head.append(name).append(':').append(fieldValue(data)).append("\r\n");
                }
            }
        }
        int framing = http10 ? data.consumeInt(0, 1) : data.consumeInt(0, 2);
        StringBuilder body = new StringBuilder();
        if (framing == 1) {
            String content = data.consumeAsciiString(64);
            head.append("Content-Length: ").append(content.length()).append("\r\n");
            body.append(content);
        } else if (framing == 2) {
            head.append("Transfer-Encoding: ").append(data.consumeBoolean() ? "chunked" : "Chunked").append("\r\n");
            int chunks = data.consumeInt(0, 3);
            for (int i = 0; i < chunks; i++) {
                String content = data.consumeAsciiString(32);
                if (content.isEmpty()) {
                    continue;
                }
                body.append(Integer.toHexString(content.length()));
                if (data.consumeBoolean()) {
                    body.append(';').append(token(data, 1, 6)).append('=').append(token(data, 0, 6));
                }
                body.append("\r\n").append(content).append("\r\n");
            }
            body.append("0\r\n");
            if (data.consumeBoolean()) {
                body.append(token(data, 1, 8)).append(':').append(fieldValue(data)).append("\r\n");
            }
            body.append("\r\n");
        }
        head.append("\r\n");
        if (head.length() > SETTINGS.maxHeaderBytes()) {
            // Too large to be accepted (431): the smallest request instead.
            return "GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        }
        return (head.toString() + body).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String token(FuzzedDataProvider data, int min, int max) {
        int length = data.consumeInt(min, max);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.append(data.pickValue(TCHARS.toCharArray()));
        }
        return s.toString();
    }

    /** A request target's bytes: visible ASCII, no space. */
    private static String printable(FuzzedDataProvider data, int min, int max) {
        int length = data.consumeInt(min, max);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.append((char) data.consumeInt(0x21, 0x7e));
        }
        return s.toString();
    }

    /** A field value: field-vchar, obs-text, SP and HTAB in any order (whitespace around it too). */
    private static String fieldValue(FuzzedDataProvider data) {
        int length = data.consumeInt(0, 24);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int c = data.consumeInt(0x1f, 0xff);
            s.append(c == 0x1f ? '\t' : c == 0x7f ? ' ' : (char) c);
        }
        return s.toString();
    }

    private static List<byte[]> split(byte[] input, int[] cuts) {
        int[] at = Arrays.stream(cuts).sorted().distinct().toArray();
        List<byte[]> pieces = new ArrayList<>();
        int from = 0;
        for (int cut : at) {
            if (cut > from) {
                pieces.add(Arrays.copyOfRange(input, from, cut));
                from = cut;
            }
        }
        pieces.add(Arrays.copyOfRange(input, from, input.length));
        return pieces;
    }

    /** What the guard must pass on for one accepted request: its head, its body, its end. */
    private static String transcriptOf(byte[] request) {
        String s = new String(request, StandardCharsets.ISO_8859_1);
        int headEnd = s.indexOf("\r\n\r\n") + 4;
        return "[head " + s.substring(0, headEnd) + "]" + s.substring(headEnd) + "[end]";
    }

    /**
     * Feeds {@code pieces} as successive reads and answers each request at once, as the proxy
     * does; returns what the guard passed on and wrote, and whether it left the connection open.
     */
    private static String run(List<byte[]> pieces) {
        HttpRequestGuard guard = new HttpRequestGuard(SETTINGS);
        Recorder recorder = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(guard, recorder);
        List<ByteBuf> sent = new ArrayList<>();
        for (byte[] piece : pieces) {
            if (piece.length == 0 || !ch.isOpen()) {
                continue;
            }
            ByteBuf buf = Unpooled.wrappedBuffer(piece);
            sent.add(buf);
            ch.writeInbound(buf);
            while (recorder.ended) {
                recorder.ended = false;
                guard.nextRequest();
            }
            Object out;
            while ((out = ch.readOutbound()) != null) {
                ByteBuf b = (ByteBuf) out;
                String response = b.toString(StandardCharsets.ISO_8859_1);
                b.release();
                assertThat(response).as("the guard writes nothing but its refusals").matches(REFUSAL);
                // Which 4xx a bad head gets may depend on how much of it had arrived (a target
                // past its limit is 414 before its line ends, 400 once the line lacks a version);
                // that it is refused, and what passed before, must not.
                recorder.transcript.append("[refused]");
            }
        }
        ch.checkException();
        recorder.transcript.append(ch.isOpen() ? "[open]" : "[closed]");
        ch.finishAndReleaseAll();
        assertThat(sent).as("every buffer released").allSatisfy(b -> assertThat(b.refCnt()).isZero());
        return recorder.transcript.toString();
    }

    /** The proxy's place in the pipeline: writes down, in order, everything the guard passes on. */
    private static final class Recorder extends ChannelInboundHandlerAdapter {
        final StringBuilder transcript = new StringBuilder();
        /** A request ended and the proxy has not yet asked for the next. */
        boolean ended;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpHead head) {
                transcript.append("[head ").append(new String(head.bytes(), StandardCharsets.ISO_8859_1)).append(']');
            } else if (msg == HttpRequestGuard.REQUEST_END) {
                transcript.append("[end]");
                ended = true;
            } else if (msg instanceof ByteBuf b) {
                transcript.append(b.toString(StandardCharsets.ISO_8859_1));
                b.release();
            } else {
                transcript.append("[unexpected ").append(msg).append(']');
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            transcript.append('[').append(evt).append(']');
        }
    }
}
