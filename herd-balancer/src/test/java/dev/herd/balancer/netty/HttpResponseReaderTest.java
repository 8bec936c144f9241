package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;

class HttpResponseReaderTest {

    private static final String CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;x=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: t\r\n\r\n";

    /** Records what the reader passes on: heads as "HEAD <status>", bytes as text, ends as "END". */
    private static final class Sink extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();
        final StringBuilder body = new StringBuilder();
        private final HttpResponseReader reader;
        private final boolean dechunk;

        Sink(HttpResponseReader reader, boolean dechunk) {
            this.reader = reader;
            this.dechunk = dechunk;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpHead) {
                events.add("HEAD " + reader.status());
                if (dechunk && reader.chunked()) {
                    reader.dechunk();
                }
            } else if (msg == HttpResponseReader.RESPONSE_END) {
                events.add("END");
            } else {
                ByteBuf b = (ByteBuf) msg;
                body.append(b.toString(StandardCharsets.ISO_8859_1));
                b.release();
            }
        }
    }

    private static Sink feed(HttpResponseReader reader, boolean dechunk, String bytes, boolean oneByteAtATime) {
        Sink sink = new Sink(reader, dechunk);
        EmbeddedChannel ch = new EmbeddedChannel(reader, sink);
        byte[] raw = bytes.getBytes(StandardCharsets.ISO_8859_1);
        if (oneByteAtATime) {
            for (byte b : raw) {
                ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
            }
        } else {
            ch.writeInbound(Unpooled.wrappedBuffer(raw));
        }
        ch.checkException();
        return sink;
    }

    private static HttpResponseReader expecting(boolean headRequest) {
        HttpResponseReader reader = new HttpResponseReader(1024);
        reader.expect(headRequest, false);
        return reader;
    }

    @Test
    void passesAChunkedBodyOnUnchangedEvenFedByteByByte() {
        Sink sink = feed(expecting(false), false, CHUNKED, true);
        assertThat(sink.events).containsExactly("HEAD 200", "END");
        assertThat(sink.body).hasToString(CHUNKED.substring(CHUNKED.indexOf("\r\n\r\n") + 4));
    }

    @Test
    void dechunksWhenAsked() {
        Sink sink = feed(expecting(false), true, CHUNKED, true);
        assertThat(sink.events).containsExactly("HEAD 200", "END");
        assertThat(sink.body).hasToString("hello0123456789");
    }

    @Test
    void aResponseToHeadEndsAtItsHead() {
        Sink sink = feed(expecting(true), false, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false);
        assertThat(sink.events).containsExactly("HEAD 200", "END");
        assertThat(sink.body).isEmpty();
    }

    @Test
    void interimHeadsComeBeforeTheFinalOne() {
        Sink sink = feed(expecting(false), false,
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", true);
        assertThat(sink.events).containsExactly("HEAD 100", "HEAD 201", "END");
        assertThat(sink.body).hasToString("ok");
    }

    @Test
    void aBodyWithoutLengthEndsWithTheConnection() {
        HttpResponseReader reader = expecting(false);
        Sink sink = new Sink(reader, false);
        EmbeddedChannel ch = new EmbeddedChannel(reader, sink);
        ch.writeInbound(Unpooled.copiedBuffer("HTTP/1.0 200 OK\r\n\r\nabc", StandardCharsets.ISO_8859_1));
        assertThat(reader.untilClose()).isTrue();
        assertThat(reader.keepAlive()).isFalse();
        assertThat(sink.events).containsExactly("HEAD 200");
        ch.close();
        assertThat(sink.events).containsExactly("HEAD 200", "END");
        assertThat(sink.body).hasToString("abc");
    }

    @Test
    void bytesWhenNothingIsExpectedArePassedOnForTheOwnerToRefuse() {
        Sink sink = feed(new HttpResponseReader(1024), false, "HTTP/1.1 200 OK\r\n\r\n", false);
        assertThat(sink.events).isEmpty();
        assertThat(sink.body).hasToString("HTTP/1.1 200 OK\r\n\r\n");
    }

    @Test
    void keepAliveFollowsTheVersionAndConnection() {
        HttpResponseReader reader = expecting(false);
        feed(reader, false, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", false);
        assertThat(reader.keepAlive()).isTrue();
        reader = expecting(false);
        feed(reader, false, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false);
        assertThat(reader.keepAlive()).isFalse();
    }

    @Test
    void anOversizedHeadFailsTheChannel() {
        String head = "HTTP/1.1 200 OK\r\nX-A: " + "a".repeat(2000);
        assertThatThrownBy(() -> feed(expecting(false), false, head, false)).isInstanceOf(DecoderException.class)
                .hasMessageContaining("head larger than 1024 bytes");
    }
}
