package dev.herd.balancer.netty;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import dev.herd.balancer.Backend;
import dev.herd.balancer.BackendListener;
import dev.herd.balancer.ErrorKind;
import dev.herd.balancer.LoadBalancer;
import dev.herd.balancer.RequestInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * The proxy logic of one client connection: one exchange (request and response) at a time,
 * relayed as bytes. The request arrives from {@link HttpRequestGuard} as a head, body bytes and an
 * end; the response from the backend's {@link HttpResponseReader} the same way. Only the heads
 * are rewritten ({@link HttpForwardHeaders}); bodies go through as the buffers they arrived in.
 *
 * <p>Threading invariant: this handler, its backend channels (made on the client's event loop)
 * and every listener and timer it registers run on one event loop thread, so its fields need no
 * synchronisation. Callbacks from a backend channel or an attempt that is no longer current are
 * recognised ({@code ch != backendChannel}, attempt numbers) and ignored.
 *
 * <p>Back-pressure: both channels have auto-read off. After each read's worth is relayed and
 * flushed, the source is read again only while the destination is writable, else when its
 * writability returns; nothing is aggregated. Writes carry no per-write listener (a failed write
 * fails its channel, which ends the exchange through the usual paths).
 *
 * <p>Retries: a connect failure is retried on another pick for any request (nothing went out);
 * a backend that failed before any response byte is retried on another pick only for idempotent
 * methods whose body so far fits the replay buffer; at most {@code maxRetries} times together. A
 * non-idempotent request always gets a fresh connection, so a POST's bytes never go out twice;
 * an idempotent one may reuse a pooled connection, and if that fails before any response byte
 * (the backend closed it while idle) it is replayed once on a fresh connection to the same
 * backend, which does not count as a retry.
 */
final class HttpFrontendHandler extends ChannelInboundHandlerAdapter implements HttpBackendHandler.Owner {

    private static final byte[] HEAD = HttpHead.ascii("HEAD");
    private static final byte[][] IDEMPOTENT = {
        HttpHead.ascii("GET"), HEAD, HttpHead.ascii("OPTIONS"), HttpHead.ascii("PUT"), HttpHead.ascii("DELETE")};
    private static final byte[] LAST_CHUNK = HttpHead.ascii("0\r\n\r\n");
    private static final byte[] CRLF = HttpHead.ascii("\r\n");

    /** How long a drain waits for the first request of a connection that has sent none. */
    private static final Duration FRESH_CONNECTION_DRAIN_WAIT = Duration.ofSeconds(1);

    /** Picks for one request while suspect backends' probes are taken from under it ({@link Backend#claimProbe}). */
    private static final int MAX_PICKS = 4;

    /** User event: the proxy is stopping gracefully (see {@link HttpProxyInitializer#drain()}). */
    static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    private final Supplier<LoadBalancer> balancer;
    private final HttpProxySettings settings;
    private final LongSupplier nanoTime;
    private final BackendListener listener;
    private final HttpBackendPool pool;
    private final HttpRequestGuard guard;
    private final BooleanSupplier draining;
    private Channel client;
    private String peer;

    // The current exchange; reset by endExchange().
    private boolean active;
    /** The suspect backend whose probe the current attempt holds, if any ({@link Backend#claimProbe}). */
    private Backend probe;
    private HttpHead request;
    private String clientKey;
    private boolean clientKeepAlive;
    private boolean http10Client;
    private boolean headRequest;
    private boolean idempotent;
    private boolean upgrade;
    private boolean hasBody;
    private boolean requestComplete;
    private boolean anySent;
    private boolean replayable;
    private int replayBytes;
    private final ArrayDeque<ByteBuf> replay = new ArrayDeque<>();
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private int retries;
    private int attempt;
    private boolean clientReadPending;

    private Backend backend;
    private Channel backendChannel;
    private HttpResponseReader reader;
    private boolean reusedConnection;
    private boolean started;
    private long attemptStartNanos;
    private long lastActivityNanos;
    private ScheduledFuture<?> responseTimer;
    private boolean backendReadPending;

    private boolean responseStarted;
    private boolean responseDone;
    private boolean backendReusable;
    private boolean persist;
    private boolean rechunk;
    private boolean clientUnflushed;

    HttpFrontendHandler(Supplier<LoadBalancer> balancer, HttpProxySettings settings, LongSupplier nanoTime,
                        BackendListener listener, HttpBackendPool pool, HttpRequestGuard guard, BooleanSupplier draining) {
        this.balancer = balancer;
        this.settings = settings;
        this.nanoTime = nanoTime;
        this.listener = listener;
        this.pool = pool;
        this.guard = guard;
        this.draining = draining;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        client = ctx.channel();
    }

    // ---- client side ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpHead head) {
            onRequest(head);
        } else if (msg instanceof ByteBuf body) {
            onBody(body);
        } else if (msg == HttpRequestGuard.REQUEST_END) {
            onRequestEnd();
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpHead head) {
        if (active) {
            // The guard holds the next request until nextRequest(); never interleave two.
            client.close();
            return;
        }
        active = true;
        request = head;
        byte[] b = head.bytes();
        http10Client = b[head.startLineEnd() - 1] == '0';
        boolean close = head.hasToken(HttpHead.CONNECTION, HttpHead.CLOSE);
        clientKeepAlive = http10Client ? head.hasToken(HttpHead.CONNECTION, HttpHead.KEEP_ALIVE) && !close : !close;
        headRequest = methodIs(b, HEAD);
        idempotent = false;
        for (byte[] m : IDEMPOTENT) {
            idempotent |= methodIs(b, m);
        }
        // The guard checked both: chunked, or Content-Length digits.
        int length = head.indexOf(HttpHead.CONTENT_LENGTH);
        hasBody = head.indexOf(HttpHead.TRANSFER_ENCODING) >= 0 || length >= 0 && Long.parseLong(head.value(length)) > 0;
        upgrade = !http10Client && head.indexOf(HttpHead.UPGRADE) >= 0
                && head.hasToken(HttpHead.CONNECTION, HttpHead.UPGRADE);
        if (peer == null) {
            peer = HttpForwardHeaders.peerAddress(client.remoteAddress());
        }
        clientKey = HttpForwardHeaders.clientKey(head, settings.trustedForwardHeader(), peer);
        replayable = idempotent;
        pickAndStart();
    }

    private static boolean methodIs(byte[] line, byte[] method) {
        if (line.length <= method.length || line[method.length] != ' ') {
            return false;
        }
        for (int i = 0; i < method.length; i++) {
            if (line[i] != method[i]) {
                return false;
            }
        }
        return true;
    }

    private void onBody(ByteBuf content) {
        if (!active || responseDone) {
            content.release();
            return;
        }
        if (backendChannel == null) {
            pending.add(content);
        } else {
            send(content);
        }
    }

    private void onRequestEnd() {
        if (!active) {
            return;
        }
        requestComplete = true;
        if (responseDone) {
            finishClient();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel be = backendChannel;
        if (be == null) {
            return;
        }
        be.flush();
        if (active && !requestComplete && !responseDone) {
            readClientWhenBackendWritable(be);
        }
    }

    private void readClientWhenBackendWritable(Channel be) {
        if (be.isWritable()) {
            client.read();
        } else {
            clientReadPending = true;
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Channel be = backendChannel;
        if (backendReadPending && be != null && client.isWritable()) {
            backendReadPending = false;
            be.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void backendWritabilityChanged(ChannelHandlerContext ctx) {
        if (clientReadPending && ctx.channel() == backendChannel && ctx.channel().isWritable()) {
            clientReadPending = false;
            client.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == HttpRequestGuard.BODY_REJECTED) {
            if (responseStarted || !active) {
                abort(ErrorKind.RESET);
            } else {
                dropBackend();
                endStarted(ErrorKind.RESET);
                localResponse(400, "Bad Request");
            }
        } else if (evt == DRAIN) {
            if (!active && !guard.headStarted()) {
                if (guard.answeredOne()) {
                    // Between requests: closing now beats a request racing the close, and a
                    // client may send again what a kept-alive connection lost (RFC 9112, 9.3.1).
                    closeAfterFlush();
                } else {
                    // A fresh connection: its client connected to send a request, and a close
                    // would reach it as a reset it has no reason to retry. Its request, if it
                    // comes soon, is answered with connection: close; an idle one (a browser's
                    // speculative connect) does not hold the stop up for long.
                    ctx.executor().schedule(() -> {
                        if (client.isActive() && !active && !guard.headStarted() && !guard.answeredOne()) {
                            closeAfterFlush();
                        }
                    }, FRESH_CONNECTION_DRAIN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            return;
        } else if (evt instanceof ChannelInputShutdownEvent) {
            // The guard passes a half-close on only once every request it held was answered, or
            // when a request's body was cut short by it.
            if (!active) {
                // The last response may still sit in the outbound buffer (a slow reader).
                closeAfterFlush();
            } else {
                abort(ErrorKind.RESET);
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        dropBackend();
        endStarted(ErrorKind.RESET);
        endExchange();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    // ---- choosing and connecting ----

    private void pickAndStart() {
        RequestInfo info = new RequestInfo(clientKey);
        Backend picked = null;
        for (int tries = 0; tries < MAX_PICKS && picked == null; tries++) {
            Backend b = balancer.get().pick(info);
            if (b == null) {
                break;
            }
            // A suspect backend's one request may have gone to a pick on another event loop
            // since: the next pick passes it over. (The ticker is read only for a suspect one.)
            Backend.Claim claim = Backend.Claim.NOT_SUSPECT;
            if (b.suspect()) {
                long now = nanoTime.getAsLong();
                claim = b.claimProbe(now, now + settings.connectTimeout().toNanos() + settings.responseTimeout().toNanos());
            }
            if (claim != Backend.Claim.TAKEN) {
                picked = b;
                probe = claim == Backend.Claim.PROBE ? b : null;
            }
        }
        if (picked == null) {
            listener.onNoBackend();
            localResponse(503, "Service Unavailable", "no backend available");
            return;
        }
        backend = picked;
        Channel pooled = idempotent ? pool.poll(picked.address()) : null;
        if (pooled != null) {
            attach(pooled, true);
        } else {
            connect();
        }
    }

    private void connect() {
        int current = ++attempt;
        pool.connect(client, backend.address()).addListener((ChannelFutureListener) f -> {
            if (current != attempt || !active || !client.isActive()) {
                f.channel().close();
                return;
            }
            if (f.isSuccess()) {
                attach(f.channel(), false);
            } else {
                connectFailed(f.cause());
            }
        });
    }

    private void connectFailed(Throwable cause) {
        ErrorKind kind = cause instanceof ConnectTimeoutException ? ErrorKind.CONNECT_TIMEOUT : ErrorKind.CONNECT;
        long now = nanoTime.getAsLong();
        if (started) {
            endStarted(kind);
        } else {
            backend.onError(kind);
            endProbe();
        }
        PassiveHealth.connectFailed(backend, kind, now, settings.passiveCoolDown(), listener);
        if (retries < settings.maxRetries() && (!anySent || replayable)) {
            retries++;
            pickAndStart();
        } else {
            localResponse(503, "Service Unavailable", "no backend available");
        }
    }

    private void attach(Channel ch, boolean reused) {
        ++attempt;
        backendChannel = ch;
        reusedConnection = reused;
        HttpBackendHandler handler = ch.pipeline().get(HttpBackendHandler.class);
        handler.attach(this);
        reader = handler.reader();
        reader.expect(headRequest, upgrade);
        long now = nanoTime.getAsLong();
        if (!started) {
            started = true;
            attemptStartNanos = now;
            backend.onStart();
        }
        anySent = true;
        lastActivityNanos = now;
        ensureResponseTimer();
        ch.write(HttpForwardHeaders.request(ch.alloc(), request, upgrade, settings.forwardedHeaders(),
                settings.trustedForwardHeader() != null, peer, backend.address()), ch.voidPromise());
        for (ByteBuf c : replay) {
            ch.write(c.retainedDuplicate(), ch.voidPromise());
        }
        ByteBuf c;
        while ((c = pending.poll()) != null) {
            send(c);
        }
        ch.flush();
        ch.read();
        if (!requestComplete) {
            readClientWhenBackendWritable(ch);
        }
    }

    /** Writes a request body part, keeping a copy for a replay while the buffer allows. */
    private void send(ByteBuf content) {
        if (replayable) {
            int size = content.readableBytes();
            if (replayBytes + size <= settings.replayBufferBytes()) {
                replay.add(content.retainedDuplicate());
                replayBytes += size;
            } else {
                replayable = false;
                releaseAll(replay);
            }
        }
        lastActivityNanos = nanoTime.getAsLong();
        backendChannel.write(content, backendChannel.voidPromise());
    }

    // ---- backend side ----

    @Override
    public void backendRead(ChannelHandlerContext ctx, Object msg) {
        Channel ch = ctx.channel();
        if (ch != backendChannel) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpHead head) {
            onResponseHead(ch, head);
        } else if (msg instanceof ByteBuf content) {
            onResponseContent(content);
        } else if (msg == HttpResponseReader.RESPONSE_END) {
            onResponseEnd(ch);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(Channel ch, HttpHead head) {
        int code = reader.status();
        if (code == 101) {
            // The reader accepts a 101 only for an upgrade request.
            responseStarted = true;
            toClient(HttpForwardHeaders.response(client.alloc(), head, true, HttpForwardHeaders.BodyFraming.AS_IS,
                    true, false, settings.instanceHeader(), backend.name()));
            switchToTunnel(ch);
            return;
        }
        if (code < 200) {
            // Interim (100 Continue, 103): relayed, the final response still to come; never to an
            // HTTP/1.0 client, which does not know them (RFC 9110 section 15.2).
            if (!http10Client) {
                toClient(HttpForwardHeaders.response(client.alloc(), head, false,
                        HttpForwardHeaders.BodyFraming.AS_IS, true, false));
            }
            return;
        }
        if (http10Client && reader.otherCoding()) {
            // An HTTP/1.0 client knows no Transfer-Encoding (RFC 9112 section 6.1): it would take
            // gzip-coded bytes for the body itself. The backend used a coding nobody asked it for
            // (TE is not forwarded), so this is its protocol error, not something to pass on.
            backendFailed(ch, ErrorKind.PROTOCOL);
            return;
        }
        responseStarted = true;
        // A head is an answer: a long body (a download, a stream) need not end for that.
        PassiveHealth.answered(backend);
        endProbe();
        backendReusable = reader.keepAlive();
        persist = clientKeepAlive && !draining.getAsBoolean();
        HttpForwardHeaders.BodyFraming framing = HttpForwardHeaders.BodyFraming.AS_IS;
        if (reader.chunked() && http10Client) {
            reader.dechunk();
            framing = HttpForwardHeaders.BodyFraming.DECHUNKED;
            persist = false;
        } else if (reader.untilClose()) {
            if (http10Client || head.indexOf(HttpHead.TRANSFER_ENCODING) >= 0) {
                // A coding other than chunked cannot be re-framed without re-coding: closed instead.
                framing = HttpForwardHeaders.BodyFraming.UNTIL_CLOSE;
                persist = false;
            } else {
                framing = HttpForwardHeaders.BodyFraming.RECHUNKED;
                rechunk = true;
            }
        }
        toClient(HttpForwardHeaders.response(client.alloc(), head, false, framing, persist, http10Client,
                settings.instanceHeader(), backend.name()));
    }

    private void onResponseContent(ByteBuf content) {
        if (rechunk) {
            int n = content.readableBytes();
            if (n == 0) {
                content.release();
                return;
            }
            ByteBuf size = client.alloc().ioBuffer(10);
            size.writeCharSequence(Integer.toHexString(n), StandardCharsets.US_ASCII);
            size.writeBytes(CRLF);
            toClient(size);
            toClient(content);
            toClient(Unpooled.wrappedBuffer(CRLF));
        } else {
            toClient(content);
        }
    }

    private void onResponseEnd(Channel ch) {
        responseDone = true;
        endStarted(null);
        HttpBackendHandler handler = ch.pipeline().get(HttpBackendHandler.class);
        handler.detach();
        backendChannel = null;
        reader = null;
        backendReadPending = false;
        clientReadPending = false;
        if (backendReusable && requestComplete) {
            pool.offer(ch, backend.address());
        } else {
            ch.close();
        }
        if (rechunk) {
            client.write(Unpooled.wrappedBuffer(LAST_CHUNK), client.voidPromise());
        }
        clientUnflushed = false;
        if (persist && requestComplete) {
            client.flush();
            endExchange();
            guard.nextRequest();
        } else {
            closeAfterFlush();
        }
    }

    /**
     * Closes the client once what is queued for it is written. Usually nothing is (the last
     * response went out with its flush): then it closes at once, without sending an empty buffer
     * and a listener through the write path, whose compiled code has seen only response bytes and
     * would be thrown away and compiled again for them.
     */
    private void closeAfterFlush() {
        client.flush();
        ChannelOutboundBuffer pending = client.unsafe().outboundBuffer();
        if (pending == null || pending.totalPendingWriteBytes() == 0) {
            client.close();
        } else {
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Relays a response part; flushed once at the end of the backend read (one send for all). */
    private void toClient(ByteBuf msg) {
        clientUnflushed = true;
        client.write(msg, client.voidPromise());
    }

    @Override
    public void backendReadComplete(ChannelHandlerContext ctx) {
        if (clientUnflushed) {
            clientUnflushed = false;
            client.flush();
        }
        if (ctx.channel() != backendChannel) {
            return;
        }
        // Once per read, not per message: the response timeout needs no finer clock.
        lastActivityNanos = nanoTime.getAsLong();
        if (client.isWritable()) {
            ctx.read();
        } else {
            backendReadPending = true;
        }
    }

    @Override
    public void backendClosed(ChannelHandlerContext ctx, Throwable cause) {
        backendFailed(ctx.channel(), cause instanceof DecoderException ? ErrorKind.PROTOCOL : ErrorKind.RESET);
    }

    private void backendFailed(Channel ch, ErrorKind kind) {
        if (ch != backendChannel) {
            return;
        }
        dropBackend();
        if (responseStarted) {
            abort(kind);
            return;
        }
        if (reusedConnection && replayable) {
            // The reuse race: the backend closed the idle connection as we reused it.
            reusedConnection = false;
            connect();
            return;
        }
        endStarted(kind);
        if (replayable && retries < settings.maxRetries()) {
            retries++;
            pickAndStart();
        } else {
            localResponse(502, "Bad Gateway", "bad gateway");
        }
    }

    /**
     * One timer per client connection, not one per request (scheduling and cancelling a task per
     * request costs more than the rest of the bookkeeping): it stays armed across exchanges and,
     * when it fires early, re-arms itself for the time {@link #lastActivityNanos} still allows.
     */
    private void ensureResponseTimer() {
        if (responseTimer == null) {
            armResponseTimer(settings.responseTimeout().toNanos());
        }
    }

    private void armResponseTimer(long delayNanos) {
        responseTimer = client.eventLoop().schedule(this::checkResponseTimeout, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkResponseTimeout() {
        responseTimer = null;
        if (backendChannel == null) {
            // No request in flight on a backend: the next attach arms it again.
            return;
        }
        long timeout = settings.responseTimeout().toNanos();
        long quiet = nanoTime.getAsLong() - lastActivityNanos;
        if (quiet < timeout) {
            armResponseTimer(timeout - quiet);
            return;
        }
        if (!responseStarted) {
            // A stall after the head may be the client's, which stopped reading: only silence is the backend's.
            PassiveHealth.responseTimedOut(backend, settings.responseTimeout(), nanoTime.getAsLong(), attemptStartNanos,
                    listener);
        }
        dropBackend();
        if (responseStarted) {
            abort(ErrorKind.RESPONSE_TIMEOUT);
        } else {
            endStarted(ErrorKind.RESPONSE_TIMEOUT);
            localResponse(504, "Gateway Timeout", "gateway timeout");
        }
    }

    private void cancelResponseTimer() {
        if (responseTimer != null) {
            responseTimer.cancel(false);
            responseTimer = null;
        }
    }

    // ---- upgrade ----

    private void switchToTunnel(Channel be) {
        cancelResponseTimer();
        clientUnflushed = false;
        client.flush();
        backendChannel = null;
        reader = null;
        be.pipeline().get(HttpBackendHandler.class).detach();
        long startedAt = attemptStartNanos;
        Backend b = backend;
        started = false;
        // Its 101 is an answer.
        PassiveHealth.answered(b);
        endProbe();
        HttpTunnelHandler.Link link = new HttpTunnelHandler.Link(() -> {
            long now = nanoTime.getAsLong();
            b.onEnd(now - startedAt, now, null);
        });
        ChannelPipeline cp = client.pipeline();
        ChannelPipeline bp = be.pipeline();
        // Tunnels first, then the parsers, whose removal hands the bytes they hold to the tunnels.
        bp.replace(HttpBackendHandler.class, "tunnel", new HttpTunnelHandler(client, link));
        cp.replace(this, "tunnel", new HttpTunnelHandler(be, link));
        bp.remove(HttpResponseReader.class);
        cp.remove(guard);
        endExchange();
        HttpTunnelHandler.readUnlessEnded(client);
        HttpTunnelHandler.readUnlessEnded(be);
    }

    // ---- ends ----

    private void localResponse(int status, String reason) {
        localResponse(status, reason, reason.toLowerCase(Locale.ROOT));
    }

    /** Answers the current request from the proxy itself. */
    private void localResponse(int status, String reason, String text) {
        responseStarted = true;
        responseDone = true;
        persist = clientKeepAlive && (requestComplete || !hasBody) && !draining.getAsBoolean();
        byte[] body = (text + "\n").getBytes(StandardCharsets.US_ASCII);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\ncontent-type: text/plain\r\ncontent-length: "
                + body.length + "\r\n" + (!persist ? "connection: close\r\n" : http10Client ? "connection: keep-alive\r\n" : "")
                + "\r\n";
        ByteBuf out = Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
        clientUnflushed = false;
        if (!persist) {
            client.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
        } else {
            client.writeAndFlush(out, client.voidPromise());
            finishClient();
        }
    }

    /** After a kept-alive response: the next request once this one's end was read. */
    private void finishClient() {
        if (persist && requestComplete) {
            endExchange();
            guard.nextRequest();
        }
    }

    /** The client connection cannot continue: close it, ending the backend request with kind. */
    private void abort(ErrorKind kind) {
        dropBackend();
        endStarted(kind);
        client.close();
    }

    /** Detaches and closes the current backend connection, if any. */
    private void dropBackend() {
        cancelResponseTimer();
        Channel ch = backendChannel;
        if (ch != null) {
            backendChannel = null;
            reader = null;
            HttpBackendHandler handler = ch.pipeline().get(HttpBackendHandler.class);
            if (handler != null) {
                handler.detach();
            }
            ch.close();
        }
        backendReadPending = false;
        clientReadPending = false;
        ++attempt;
    }

    /** Reports the end of the request started on the current backend, once. */
    private void endStarted(ErrorKind error) {
        if (started) {
            started = false;
            long now = nanoTime.getAsLong();
            backend.onEnd(now - attemptStartNanos, now, error);
            // An answer ended any suspicion at its head (onResponseHead, switchToTunnel).
            endProbe();
        }
    }

    private void endProbe() {
        if (probe != null) {
            probe.probeEnded();
            probe = null;
        }
    }

    private void endExchange() {
        active = false;
        request = null;
        requestComplete = false;
        anySent = false;
        replayable = false;
        replayBytes = 0;
        releaseAll(replay);
        releaseAll(pending);
        retries = 0;
        backend = null;
        reusedConnection = false;
        responseStarted = false;
        responseDone = false;
        backendReusable = false;
        persist = false;
        rechunk = false;
    }

    private static void releaseAll(ArrayDeque<ByteBuf> buffers) {
        ByteBuf c;
        while ((c = buffers.poll()) != null) {
            c.release();
        }
    }
}
