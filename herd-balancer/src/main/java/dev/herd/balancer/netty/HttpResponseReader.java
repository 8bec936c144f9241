package dev.herd.balancer.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ByteProcessor;

/**
 * Finds the framing of a backend's responses on the raw bytes (RFC 9112 section 6) and passes
 * them on unchanged: for each response, the head as an {@link HttpHead}, then the body's bytes as
 * they arrive (chunked framing included, unless {@link #dechunk()} was asked), then
 * {@link #RESPONSE_END}. Nothing is decoded into header objects or copied but the head.
 *
 * <p>The proxy calls {@link #expect} before it sends each request, since whether a response has
 * a body depends on the request (HEAD) and an upgrade may only follow a request for one. Interim
 * ({@code 1xx}) heads are passed on and another head expected; a {@code 101} answering an
 * upgrade request turns the connection into a tunnel, bytes passed on as they come. Bytes that
 * arrive when no response is expected are passed on too, for the next handler to refuse.
 *
 * <p>A response that breaks the grammar, has both Content-Length and Transfer-Encoding,
 * conflicting lengths or an oversized head fails the channel with a {@link DecoderException}.
 * A body delimited by the connection's close ends with the input.
 *
 * <p>Threading: one instance per backend channel; every method runs on its event loop.
 */
final class HttpResponseReader extends ChannelInboundHandlerAdapter {

    /** Read downstream after a response's last byte. */
    static final Object RESPONSE_END = new Object() {
        @Override
        public String toString() {
            return "RESPONSE_END";
        }
    };

    private static final int MAX_CHUNK_LINE = 4096;

    private enum State { IDLE, HEAD, FIXED, CHUNK_LINE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, TUNNEL, BROKEN }

    private final int maxHeaderBytes;
    private ChannelHandlerContext ctx;
    private ByteBuf cumulation;
    private State state = State.IDLE;
    private boolean headRequest;
    private boolean upgradeRequested;
    private boolean dechunk;
    private int scanned;
    private long remaining;
    private int trailerBytes;

    private int status;
    private boolean keepAlive;
    private boolean chunked;
    private boolean otherCoding;
    private long contentLength;

    HttpResponseReader(int maxHeaderBytes) {
        this.maxHeaderBytes = maxHeaderBytes;
    }

    /** A request was sent: the next bytes are its response. */
    void expect(boolean headRequest, boolean upgradeRequested) {
        this.headRequest = headRequest;
        this.upgradeRequested = upgradeRequested;
        this.dechunk = false;
        this.state = State.HEAD;
        this.scanned = 0;
    }

    /**
     * For the chunked body of the head just read: pass on only the chunks' data, no chunk lines
     * or trailers (for a client that cannot take chunked, an HTTP/1.0 one).
     */
    void dechunk() {
        dechunk = true;
    }

    /** The status code of the head just read. */
    int status() {
        return status;
    }

    /** Whether the backend keeps the connection open after the response whose head was just read. */
    boolean keepAlive() {
        return keepAlive;
    }

    /** Whether the body of the head just read is chunked (and is relayed with its chunk framing). */
    boolean chunked() {
        return chunked;
    }

    /**
     * Whether the body of the head just read carries a transfer coding besides chunked (gzip,
     * say): one that only a client that can decode it may get, and only with its
     * Transfer-Encoding field.
     */
    boolean otherCoding() {
        return otherCoding;
    }

    /** The Content-Length of the head just read, or -1. */
    long contentLength() {
        return contentLength;
    }

    /** Whether the body of the head just read ends only when the backend closes. */
    boolean untilClose() {
        return state == State.UNTIL_CLOSE;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Removed for a tunnel: what the backend sent after its 101 is tunnel data.
        ByteBuf held = cumulation;
        cumulation = null;
        if (held != null && held.isReadable()) {
            ctx.fireChannelRead(held);
            ctx.fireChannelReadComplete();
        } else if (held != null) {
            held.release();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in) || state == State.IDLE && cumulation == null || state == State.TUNNEL) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (state == State.BROKEN) {
            in.release();
            return;
        }
        cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        process();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            endUntilClose();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        endUntilClose();
        releaseCumulation();
        ctx.fireChannelInactive();
    }

    private void endUntilClose() {
        if (state == State.UNTIL_CLOSE) {
            state = State.IDLE;
            ctx.fireChannelRead(RESPONSE_END);
        }
    }

    private void process() {
        try {
            boolean progress = true;
            while (progress && cumulation != null && cumulation.isReadable()) {
                progress = switch (state) {
                    case HEAD -> head();
                    case FIXED -> fixed();
                    case CHUNK_LINE -> chunkLine();
                    case CHUNK_DATA -> chunkData();
                    case CHUNK_END -> chunkEnd();
                    case TRAILERS -> trailer();
                    case UNTIL_CLOSE -> untilCloseData();
                    case IDLE -> unexpected();
                    case TUNNEL, BROKEN -> false;
                };
            }
        } catch (HttpHead.MalformedException e) {
            state = State.BROKEN;
            releaseCumulation();
            ctx.fireExceptionCaught(new DecoderException("malformed response from the backend: " + e.getMessage()));
            return;
        }
        if (cumulation != null && !cumulation.isReadable() && state != State.TUNNEL) {
            releaseCumulation();
        }
    }

    // ---- head ----

    private boolean head() throws HttpHead.MalformedException {
        ByteBuf buf = cumulation;
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        int from = start + scanned;
        while (true) {
            int lf = buf.forEachByte(from, end - from, ByteProcessor.FIND_LF);
            if (lf < 0) {
                scanned = end - start;
                if (scanned > maxHeaderBytes) {
                    throw new HttpHead.MalformedException("head larger than " + maxHeaderBytes + " bytes");
                }
                return false;
            }
            if (lf == start || buf.getByte(lf - 1) != '\r') {
                throw new HttpHead.MalformedException("bare LF");
            }
            if (lf - start >= 3 && buf.getByte(lf - 2) == '\n' && buf.getByte(lf - 3) == '\r') {
                int length = lf - start + 1;
                if (length > maxHeaderBytes) {
                    throw new HttpHead.MalformedException("head larger than " + maxHeaderBytes + " bytes");
                }
                byte[] bytes = new byte[length];
                buf.getBytes(start, bytes);
                buf.skipBytes(length);
                scanned = 0;
                HttpHead head = HttpHead.parse(bytes);
                frame(head);
                return true;
            }
            from = lf + 1;
        }
    }

    /** Reads what decides the framing, sets the state for the body and passes the head on. */
    private void frame(HttpHead head) throws HttpHead.MalformedException {
        byte[] b = head.bytes();
        int lineEnd = head.startLineEnd();
        if (lineEnd < 12 || b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[4] != '/' || b[5] != '1'
                || b[6] != '.' || (b[7] != '0' && b[7] != '1') || b[8] != ' ' || !isDigit(b[9]) || !isDigit(b[10])
                || !isDigit(b[11]) || (lineEnd > 12 && b[12] != ' ')) {
            throw new HttpHead.MalformedException("bad status line");
        }
        int code = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
        if (code < 100 || code > 599) {
            throw new HttpHead.MalformedException("bad status code " + code);
        }
        status = code;
        if (code < 200) {
            if (code == 101) {
                if (!upgradeRequested) {
                    throw new HttpHead.MalformedException("101 without an upgrade request");
                }
                state = State.TUNNEL;
            }
            // Another head follows an interim one; its fields say nothing about the final framing.
            keepAlive = false;
            chunked = false;
            otherCoding = false;
            contentLength = -1;
            ctx.fireChannelRead(head);
            return;
        }
        boolean http11 = b[7] == '1';
        long length = -1;
        String transferEncoding = null;
        for (int i = 0; i < head.fieldCount(); i++) {
            if (head.nameIs(i, HttpHead.CONTENT_LENGTH)) {
                long value = HttpHead.contentLength(head.value(i));
                if (length >= 0 && value != length) {
                    throw new HttpHead.MalformedException("conflicting Content-Length");
                }
                length = value;
            } else if (head.nameIs(i, HttpHead.TRANSFER_ENCODING)) {
                String v = head.value(i);
                transferEncoding = transferEncoding == null ? v : transferEncoding + "," + v;
            }
        }
        if (transferEncoding != null && length >= 0) {
            throw new HttpHead.MalformedException("both Content-Length and Transfer-Encoding");
        }
        boolean close = head.hasToken(HttpHead.CONNECTION, HttpHead.CLOSE);
        keepAlive = http11 ? !close : head.hasToken(HttpHead.CONNECTION, HttpHead.KEEP_ALIVE) && !close;
        contentLength = length;
        chunked = transferEncoding != null && lastCodingIsChunked(transferEncoding);
        boolean bodyless = headRequest || code == 204 || code == 304;
        otherCoding = transferEncoding != null && !bodyless && !isOnlyChunked(transferEncoding);
        if (bodyless || length == 0) {
            state = State.IDLE;
        } else if (chunked) {
            state = State.CHUNK_LINE;
        } else if (length > 0) {
            state = State.FIXED;
            remaining = length;
        } else {
            // Neither length nor chunked (or another final coding): the body ends with the connection.
            keepAlive = false;
            state = State.UNTIL_CLOSE;
        }
        ctx.fireChannelRead(head);
        if (state == State.IDLE) {
            ctx.fireChannelRead(RESPONSE_END);
        }
    }

    private static boolean lastCodingIsChunked(String transferEncoding) {
        int comma = transferEncoding.lastIndexOf(',');
        return transferEncoding.substring(comma + 1).strip().equalsIgnoreCase("chunked");
    }

    private static boolean isOnlyChunked(String transferEncoding) {
        return transferEncoding.indexOf(',') < 0 && transferEncoding.strip().equalsIgnoreCase("chunked");
    }
    // ---- body ----

    private boolean fixed() {
        int n = (int) Math.min(remaining, cumulation.readableBytes());
        remaining -= n;
        ctx.fireChannelRead(cumulation.readRetainedSlice(n));
        if (remaining == 0) {
            state = State.IDLE;
            ctx.fireChannelRead(RESPONSE_END);
        }
        return true;
    }

    private boolean untilCloseData() {
        ctx.fireChannelRead(cumulation.readRetainedSlice(cumulation.readableBytes()));
        return true;
    }

    private boolean chunkLine() throws HttpHead.MalformedException {
        int eol = HttpHead.lineEnd(cumulation, MAX_CHUNK_LINE);
        if (eol < 0) {
            return false;
        }
        int start = cumulation.readerIndex();
        int i = HttpHead.chunkSizeEnd(cumulation, eol);
        if (i < eol && cumulation.getByte(i) != ';' && cumulation.getByte(i) != ' ' && cumulation.getByte(i) != '\t') {
            throw new HttpHead.MalformedException("bad chunk size line");
        }
        long size = HttpHead.chunkSize(cumulation, start, i);
        remaining = size;
        state = size == 0 ? State.TRAILERS : State.CHUNK_DATA;
        trailerBytes = 0;
        pass(eol + 2 - start);
        return true;
    }

    private boolean chunkData() {
        int n = (int) Math.min(remaining, cumulation.readableBytes());
        remaining -= n;
        ctx.fireChannelRead(cumulation.readRetainedSlice(n));
        if (remaining == 0) {
            state = State.CHUNK_END;
        }
        return true;
    }

    private boolean chunkEnd() throws HttpHead.MalformedException {
        if (cumulation.readableBytes() < 2) {
            if (cumulation.getByte(cumulation.readerIndex()) != '\r') {
                throw new HttpHead.MalformedException("no CRLF after chunk data");
            }
            return false;
        }
        int i = cumulation.readerIndex();
        if (cumulation.getByte(i) != '\r' || cumulation.getByte(i + 1) != '\n') {
            throw new HttpHead.MalformedException("no CRLF after chunk data");
        }
        state = State.CHUNK_LINE;
        pass(2);
        return true;
    }

    private boolean trailer() throws HttpHead.MalformedException {
        int eol = HttpHead.lineEnd(cumulation, maxHeaderBytes - trailerBytes);
        if (eol < 0) {
            return false;
        }
        int start = cumulation.readerIndex();
        int length = eol + 2 - start;
        trailerBytes += length;
        if (eol > start) {
            byte[] line = new byte[eol - start];
            cumulation.getBytes(start, line);
            HttpHead.checkField(line, 0, line.length);
        }
        pass(length);
        if (eol == start) {
            state = State.IDLE;
            ctx.fireChannelRead(RESPONSE_END);
        }
        return true;
    }

    /** Bytes that arrived with no response expected, passed on for the owner to refuse. */
    private boolean unexpected() {
        ctx.fireChannelRead(cumulation.readRetainedSlice(cumulation.readableBytes()));
        return true;
    }

    /** Passes on {@code n} bytes of chunk framing, or drops them when de-chunking. */
    private void pass(int n) {
        if (dechunk) {
            cumulation.skipBytes(n);
        } else {
            ctx.fireChannelRead(cumulation.readRetainedSlice(n));
        }
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }
}
