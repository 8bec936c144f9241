package dev.herd.balancer.netty;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Strict HTTP/1.1 request framing (RFC 9112 sections 2 to 7) checked on the raw bytes: the
 * proxy's only request parser, so nothing downstream normalises what a lenient decoder would
 * tolerate (a Content-Length beside chunked, obs-fold) and hide a request-smuggling attempt.
 *
 * <p>It forwards exactly one request at a time: the head once complete and valid, as an
 * {@link HttpHead} of the bytes received; then the body's bytes as they arrive, unchanged (chunked
 * framing validated as it streams); then {@link #REQUEST_END}. After the request's last
 * byte it holds whatever the client pipelined (at most one socket read's worth) and swallows
 * {@code read()} until the proxy calls {@link #nextRequest()} once the response is done; so
 * requests are answered in order and a rejected request never reaches a backend.
 *
 * <p>A bad head is answered here ({@code 400}, {@code 414}, {@code 431}, {@code 501},
 * {@code 505}) and the connection closed; a bad body (chunk framing) fires {@link #BODY_REJECTED}
 * to the proxy, which knows whether a response already began. Line endings must be CRLF: a bare
 * LF or a bare CR anywhere in a head, chunk line or trailer is rejected, never normalised.
 * Transfer-Encoding must be exactly {@code chunked} (another coding before it is {@code 501},
 * since the proxy re-frames the body). Up to a few empty lines before a request line are skipped,
 * as section 2.2 allows.
 *
 * <p>The client's end of input ({@link ChannelInputShutdownEvent}) is passed on only once no
 * request it holds is left to answer: a client may pipeline requests and half-close at once, and
 * those requests are still answered, as HAProxy does. The transports read differently here (epoll
 * and io_uring read up to the FIN as soon as it arrives, NIO only when asked), which must not
 * decide whether a pipelined request is served.
 *
 * <p>Timers: waiting for a head, the connection is closed silently after the idle timeout (the
 * header-read timeout for a fresh connection); once a head's first byte arrived, {@code 408} and
 * close after the header-read timeout.
 *
 * <p>Threading: one instance per client channel; every method runs on its event loop.
 */
final class HttpRequestGuard extends ChannelDuplexHandler {

    /** Fired downstream when a request body's framing is invalid; nothing more is forwarded. */
    static final Object BODY_REJECTED = new Object() {
        @Override
        public String toString() {
            return "BODY_REJECTED";
        }
    };

    /** Read downstream after the last byte of a request (its head, for a request without body). */
    static final Object REQUEST_END = new Object() {
        @Override
        public String toString() {
            return "REQUEST_END";
        }
    };

    private static final int MAX_CHUNK_LINE = 4096;
    private static final int MAX_LEADING_EMPTY_LINES = 4;

    private enum State { HEAD, FIXED_BODY, CHUNK_LINE, CHUNK_DATA, CHUNK_END, TRAILERS, HOLDING, REJECTED }

    /** A rejection: the status line's code and reason. */
    private static final class Reject extends Exception {
        final int status;
        final String reason;

        Reject(int status, String reason) {
            super(reason, null, false, false);
            this.status = status;
            this.reason = reason;
        }
    }

    private final int maxHeaderBytes;
    private final int maxTargetBytes;
    private final long headerReadTimeoutNanos;
    private final long idleTimeoutNanos;

    private ChannelHandlerContext ctx;
    private ByteBuf cumulation;
    private State state = State.HEAD;
    private long remaining;
    private int trailerBytes;
    private int scanned;
    private boolean firstRequest = true;
    private boolean headStarted;
    private int emptyLinesSkipped;
    /** Whether the head being read has had its request line judged (it ended). */
    private boolean requestLineChecked;
    private ScheduledFuture<?> timer;
    private long timerFiresAt;
    private boolean timerArmed;
    private long deadline;
    private boolean inputEnded;

    HttpRequestGuard(HttpProxySettings settings) {
        this.maxHeaderBytes = settings.maxHeaderBytes();
        this.maxTargetBytes = settings.maxTargetBytes();
        this.headerReadTimeoutNanos = settings.headerReadTimeout().toNanos();
        this.idleTimeoutNanos = settings.idleTimeout().toNanos();
    }

    /** Whether part of a request head has arrived and the rest is awaited. */
    boolean headStarted() {
        return state == State.HEAD && cumulation != null && cumulation.isReadable();
    }

    /** Whether a request was answered on this connection: it is then a kept-alive one, not a fresh one. */
    boolean answeredOne() {
        return !firstRequest;
    }

    /** The proxy finished the previous exchange: parse (and read) the next request. */
    void nextRequest() {
        if (state != State.HOLDING) {
            return;
        }
        state = State.HEAD;
        firstRequest = false;
        headStarted = false;
        emptyLinesSkipped = 0;
        scanned = 0;
        armTimer();
        process();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        armTimer();
        ctx.fireChannelActive();
        ctx.read();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        releaseCumulation();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
        // Removed for a tunnel: whatever the client sent after the upgrade request is tunnel data.
        ByteBuf held = cumulation;
        cumulation = null;
        if (held != null && held.isReadable()) {
            ctx.fireChannelRead(held);
            ctx.fireChannelReadComplete();
        } else if (held != null) {
            held.release();
        }
        if (inputEnded) {
            // The client half-closed right after its upgrade request: the tunnel must learn it.
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (state == State.REJECTED) {
                // Already answered and closing; closing at once could cut that answer short.
                return;
            }
            if (state == State.HOLDING) {
                // What is held (pipelined requests) is answered first; process() passes it on.
                inputEnded = true;
                return;
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        // While a request is in flight the client is not read: pipelined requests wait in the
        // socket (HAProxy's behaviour), which is also the back-pressure on a pipelining client.
        if (state != State.HOLDING && state != State.REJECTED) {
            readMore();
        }
    }

    /**
     * Asks for more input unless it ended: there is none to come, and Netty 4.2's epoll transport
     * fails a read asked of a half-closed socket it stopped watching (epoll_ctl ENOENT), closing it.
     */
    private void readMore() {
        if (!(ctx.channel() instanceof DuplexChannel duplex) || !duplex.isInputShutdown()) {
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (state == State.REJECTED) {
            in.release();
            return;
        }
        cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        if (state != State.HOLDING) {
            process();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.fireChannelReadComplete();
    }

    private void process() {
        boolean forwarded = false;
        try {
            boolean progress = true;
            while (progress && cumulation != null && cumulation.isReadable()) {
                progress = switch (state) {
                    case HEAD -> head();
                    case FIXED_BODY -> fixedBody();
                    case CHUNK_LINE -> chunkLine();
                    case CHUNK_DATA -> chunkData();
                    case CHUNK_END -> chunkEnd();
                    case TRAILERS -> trailer();
                    case HOLDING, REJECTED -> false;
                };
                forwarded |= progress && state != State.REJECTED;
            }
        } catch (Reject r) {
            reject(r);
            return;
        }
        if (cumulation != null && !cumulation.isReadable()) {
            releaseCumulation();
        }
        if (forwarded) {
            ctx.fireChannelReadComplete();
        } else if (state != State.HOLDING && state != State.REJECTED) {
            readMore();
        }
        if (inputEnded && state != State.HOLDING && state != State.REJECTED) {
            // Nothing complete is left to answer: a partial head or a body cut short by the end.
            inputEnded = false;
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            return;
        }
        if (state == State.HOLDING && cumulation == null) {
            // Keeps the socket's read interest while a request is in flight: without it the
            // transport drops read interest now and re-registers it at nextRequest(), two
            // epoll_ctl calls per request. What arrives meanwhile (a pipelined request, at most
            // one read's worth, or the client's FIN) is held, and then nothing more is read.
            readMore();
        }
    }

    // ---- head ----

    private boolean head() throws Reject {
        ByteBuf buf = cumulation;
        int start = buf.readerIndex();
        if (!headStarted) {
            headStarted = true;
            armTimer();
        }
        // Empty lines before the request line are skipped (RFC 9112 section 2.2), a few only.
        while (scanned == 0 && buf.readableBytes() >= 2 && buf.getByte(buf.readerIndex()) == '\r'
                && buf.getByte(buf.readerIndex() + 1) == '\n') {
            if (++emptyLinesSkipped > MAX_LEADING_EMPTY_LINES) {
                throw new Reject(400, "Bad Request");
            }
            buf.skipBytes(2);
            start = buf.readerIndex();
        }
        if (scanned == 0 && buf.readableBytes() == 1 && buf.getByte(start) == '\r') {
            return false;
        }
        int end = buf.writerIndex();
        int from = start + scanned;
        while (true) {
            int lf = buf.forEachByte(from, end - from, ByteProcessor.FIND_LF);
            if (lf < 0) {
                scanned = end - start;
                checkIncompleteHead(buf, start, end);
                return false;
            }
            if (lf == start || buf.getByte(lf - 1) != '\r') {
                throw new Reject(400, "Bad Request"); // a bare LF; a bare CR is the parser's to find
            }
            if (lf - start + 1 > maxHeaderBytes) {
                throw requestLineEnded(buf, start, lf) ? new Reject(431, "Request Header Fields Too Large")
                        : new Reject(414, "URI Too Long");
            }
            if (!requestLineChecked) {
                // Judged as soon as it ends rather than with the whole head: otherwise a bad line
                // that arrived in one read waits for the rest of its head, while the same bytes
                // in smaller reads are refused at once by the limits on an unfinished line.
                checkRequestLine(buf, start, lf);
                requestLineChecked = true;
            }
            if (lf - start >= 3 && buf.getByte(lf - 2) == '\n' && buf.getByte(lf - 3) == '\r') {
                int length = lf - start + 1;
                byte[] bytes = new byte[length];
                buf.getBytes(start, bytes);
                HttpHead parsed = parseHead(bytes);
                timerArmed = false;
                scanned = 0;
                requestLineChecked = false;
                buf.skipBytes(length);
                ctx.fireChannelRead(parsed);
                if (state == State.HOLDING) {
                    ctx.fireChannelRead(REQUEST_END);
                }
                return true;
            }
            from = lf + 1;
        }
    }

    /** Whether the request line ends before {@code limit} (an LF precedes it). */
    private static boolean requestLineEnded(ByteBuf buf, int start, int limit) {
        return buf.forEachByte(start, limit - start, ByteProcessor.FIND_LF) >= 0;
    }

    /**
     * Limits on a head still arriving: too long in all is 431, or 414 while still in the request
     * line; a target already longer than its limit, whether or not the SP after it came, is 414
     * at once (as it is when the same bytes come in smaller reads).
     */
    private void checkIncompleteHead(ByteBuf buf, int start, int end) throws Reject {
        boolean lineEnded = requestLineEnded(buf, start, end);
        if (end - start > maxHeaderBytes) {
            throw lineEnded ? new Reject(431, "Request Header Fields Too Large") : new Reject(414, "URI Too Long");
        }
        if (!lineEnded && end - start > maxTargetBytes) {
            int targetStart = buf.indexOf(start, end, (byte) ' ') + 1;
            int targetEnd = targetStart > 0 ? buf.indexOf(targetStart, end, (byte) ' ') : -1;
            if (targetStart > 0 && (targetEnd < 0 ? end : targetEnd) - targetStart > maxTargetBytes) {
                throw new Reject(414, "URI Too Long");
            }
        }
    }

    private HttpHead parseHead(byte[] bytes) throws Reject {
        HttpHead head;
        try {
            head = HttpHead.parse(bytes);
        } catch (HttpHead.MalformedException e) {
            throw new Reject(400, "Bad Request");
        }
        int lineEnd = head.startLineEnd();
        int contentLengths = 0;
        long contentLength = 0;
        StringBuilder transferEncoding = null;
        int hosts = 0;
        boolean http10 = bytes[lineEnd - 1] == '0';
        for (int i = 0; i < head.fieldCount(); i++) {
            if (head.nameIs(i, HttpHead.CONTENT_LENGTH)) {
                contentLengths++;
                try {
                    contentLength = HttpHead.contentLength(head.value(i));
                } catch (HttpHead.MalformedException e) {
                    throw new Reject(400, "Bad Request");
                }
            } else if (head.nameIs(i, HttpHead.TRANSFER_ENCODING)) {
                String raw = head.rawValue(i);
                transferEncoding = transferEncoding == null ? new StringBuilder(raw) : transferEncoding.append(',').append(raw);
            } else if (head.nameIs(i, HttpHead.HOST)) {
                hosts++;
            }
        }
        if (contentLengths > 1 || hosts > 1 || (!http10 && hosts == 0)) {
            throw new Reject(400, "Bad Request");
        }
        if (transferEncoding != null) {
            if (contentLengths > 0 || http10) {
                throw new Reject(400, "Bad Request");
            }
            checkTransferEncoding(transferEncoding.toString());
            state = State.CHUNK_LINE;
        } else if (contentLength > 0) {
            remaining = contentLength;
            state = State.FIXED_BODY;
        } else {
            state = State.HOLDING;
        }
        return head;
    }

    /** Checks the request line {@code [start, lf]} of {@code buf}, CRLF included. */
    private void checkRequestLine(ByteBuf buf, int start, int lf) throws Reject {
        byte[] line = new byte[lf - start + 1];
        buf.getBytes(start, line);
        parseRequestLine(line, line.length - 2);
    }

    private void parseRequestLine(byte[] h, int lineEnd) throws Reject {
        int sp1 = indexOf(h, (byte) ' ', 0, lineEnd);
        int sp2 = sp1 < 0 ? -1 : indexOf(h, (byte) ' ', sp1 + 1, lineEnd);
        if (sp1 <= 0 || sp2 < 0 || sp2 == sp1 + 1 || indexOf(h, (byte) ' ', sp2 + 1, lineEnd) >= 0) {
            throw new Reject(400, "Bad Request");
        }
        for (int i = 0; i < sp1; i++) {
            if (!HttpHead.isTchar(h[i])) {
                throw new Reject(400, "Bad Request");
            }
        }
        if (sp2 - sp1 - 1 > maxTargetBytes) {
            throw new Reject(414, "URI Too Long");
        }
        for (int i = sp1 + 1; i < sp2; i++) {
            if (h[i] < 0x21 || h[i] > 0x7e) {
                throw new Reject(400, "Bad Request");
            }
        }
        String version = new String(h, sp2 + 1, lineEnd - sp2 - 1, StandardCharsets.ISO_8859_1);
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw version.matches("HTTP/[0-9]\\.[0-9]") ? new Reject(505, "HTTP Version Not Supported")
                    : new Reject(400, "Bad Request");
        }
        if (sp1 == 7 && new String(h, 0, 7, StandardCharsets.ISO_8859_1).equals("CONNECT")) {
            throw new Reject(405, "Method Not Allowed");
        }
    }
    /**
     * Accepts only a list of tokens ending in {@code chunked}, with {@code chunked} nowhere else;
     * stricter than the grammar on whitespace (a tab anywhere is refused, as HAProxy does),
     * because lenient peers disagree on values like {@code "chunked\t"}.
     */
    private static void checkTransferEncoding(String value) throws Reject {
        if (value.indexOf('\t') >= 0) {
            throw new Reject(400, "Bad Request");
        }
        String[] codings = value.split(",", -1);
        for (int i = 0; i < codings.length; i++) {
            String coding = codings[i].strip();
            if (coding.isEmpty() || !isToken(coding)) {
                throw new Reject(400, "Bad Request");
            }
            boolean chunked = coding.equalsIgnoreCase("chunked");
            boolean last = i == codings.length - 1;
            if (chunked != last) {
                throw new Reject(400, "Bad Request");
            }
        }
        if (codings.length > 1) {
            throw new Reject(501, "Not Implemented");
        }
    }

    // ---- body ----

    private boolean fixedBody() {
        int n = (int) Math.min(remaining, cumulation.readableBytes());
        remaining -= n;
        ctx.fireChannelRead(cumulation.readRetainedSlice(n));
        if (remaining == 0) {
            state = State.HOLDING;
            ctx.fireChannelRead(REQUEST_END);
        }
        return true;
    }

    private boolean chunkLine() throws Reject {
        int eol = lineEnd(MAX_CHUNK_LINE);
        if (eol < 0) {
            return false;
        }
        int start = cumulation.readerIndex();
        int i;
        try {
            i = HttpHead.chunkSizeEnd(cumulation, eol);
        } catch (HttpHead.MalformedException e) {
            throw new Reject(400, "Bad Request");
        }
        checkChunkExtension(i, eol);
        long size = HttpHead.chunkSize(cumulation, start, i);
        remaining = size;
        state = size == 0 ? State.TRAILERS : State.CHUNK_DATA;
        trailerBytes = 0;
        ctx.fireChannelRead(cumulation.readRetainedSlice(eol + 2 - start));
        return true;
    }

    private void checkChunkExtension(int from, int eol) throws Reject {
        int i = from;
        while (i < eol && (cumulation.getByte(i) == ' ' || cumulation.getByte(i) == '\t')) {
            i++;
        }
        if (i == eol) {
            if (i != from) {
                throw new Reject(400, "Bad Request");
            }
            return;
        }
        if (cumulation.getByte(i) != ';') {
            throw new Reject(400, "Bad Request");
        }
        for (; i < eol; i++) {
            if (!HttpHead.isFieldByte(cumulation.getByte(i))) {
                throw new Reject(400, "Bad Request");
            }
        }
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

    private boolean chunkEnd() throws Reject {
        if (cumulation.readableBytes() < 2) {
            if (cumulation.getByte(cumulation.readerIndex()) != '\r') {
                throw new Reject(400, "Bad Request");
            }
            return false;
        }
        int i = cumulation.readerIndex();
        if (cumulation.getByte(i) != '\r' || cumulation.getByte(i + 1) != '\n') {
            throw new Reject(400, "Bad Request");
        }
        state = State.CHUNK_LINE;
        ctx.fireChannelRead(cumulation.readRetainedSlice(2));
        return true;
    }

    private boolean trailer() throws Reject {
        int eol = lineEnd(maxHeaderBytes - trailerBytes);
        if (eol < 0) {
            return false;
        }
        int start = cumulation.readerIndex();
        int length = eol + 2 - start;
        trailerBytes += length;
        if (eol > start) {
            byte[] line = new byte[eol - start];
            cumulation.getBytes(start, line);
            try {
                HttpHead.checkField(line, 0, line.length);
            } catch (HttpHead.MalformedException e) {
                throw new Reject(400, "Bad Request");
            }
        }
        ctx.fireChannelRead(cumulation.readRetainedSlice(length));
        if (eol == start) {
            state = State.HOLDING;
            ctx.fireChannelRead(REQUEST_END);
        }
        return true;
    }

    /** {@link HttpHead#lineEnd} on what has arrived, a bad line being a 400. */
    private int lineEnd(int limit) throws Reject {
        try {
            return HttpHead.lineEnd(cumulation, limit);
        } catch (HttpHead.MalformedException e) {
            throw new Reject(400, "Bad Request");
        }
    }

    // ---- rejection and timers ----

    private void reject(Reject r) {
        boolean inHead = state == State.HEAD;
        state = State.REJECTED;
        cancelTimer();
        releaseCumulation();
        if (inHead) {
            respondAndClose(r.status, r.reason);
        } else {
            ctx.fireUserEventTriggered(BODY_REJECTED);
        }
    }

    private void respondAndClose(int status, String reason) {
        byte[] body = (reason.toLowerCase() + "\n").getBytes(StandardCharsets.US_ASCII);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\ncontent-type: text/plain\r\ncontent-length: "
                + body.length + "\r\nconnection: close\r\n\r\n";
        ByteBuf out = Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
        ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Sets the deadline. The timer task is not rescheduled per request (two schedules and two
     * cancels per request cost more than the guard's own parsing): a pending task is moved only
     * when it would fire after the new deadline; otherwise, firing early, it re-arms itself for
     * the rest. Times are the executor's ticker's, the scheduler's own clock.
     */
    private void armTimer() {
        long delay = headStarted || firstRequest ? headerReadTimeoutNanos : idleTimeoutNanos;
        deadline = ctx.executor().ticker().nanoTime() + delay;
        timerArmed = true;
        if (timer != null && deadline - timerFiresAt < 0) {
            timer.cancel(false);
            timer = null;
        }
        if (timer == null) {
            scheduleTimer(delay);
        }
    }

    private void scheduleTimer(long delay) {
        timerFiresAt = deadline;
        timer = ctx.executor().schedule(this::timedOut, delay, TimeUnit.NANOSECONDS);
    }

    private void timedOut() {
        timer = null;
        if (!timerArmed) {
            return;
        }
        long left = deadline - ctx.executor().ticker().nanoTime();
        if (left > 0) {
            scheduleTimer(left);
            return;
        }
        timerArmed = false;
        if (state != State.HEAD || !ctx.channel().isActive()) {
            return;
        }
        boolean partial = headStarted && cumulation != null && cumulation.isReadable();
        state = State.REJECTED;
        releaseCumulation();
        if (partial) {
            respondAndClose(408, "Request Timeout");
        } else {
            ctx.close();
        }
    }

    private void cancelTimer() {
        timerArmed = false;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    // ---- byte classes ----

    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!HttpHead.isTchar((byte) s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
    private static int indexOf(byte[] h, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (h[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
