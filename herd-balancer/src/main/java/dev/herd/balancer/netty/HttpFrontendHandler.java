package dev.herd.balancer.netty;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import dev.herd.balancer.Backend;
import dev.herd.balancer.ErrorKind;
import dev.herd.balancer.LoadBalancer;
import dev.herd.balancer.RequestInfo;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * The proxy logic of one client connection: one exchange (request and response) at a time.
 *
 * <p>Threading invariant: this handler, its backend channels (made on the client's event loop)
 * and every listener and timer it registers run on one event loop thread, so its fields need no
 * synchronisation. Callbacks from a backend channel or an attempt that is no longer current are
 * recognised ({@code ch != backendChannel}, attempt numbers) and ignored.
 *
 * <p>Back-pressure (Netty's HexDumpProxy idiom): both channels have auto-read off; the client is
 * read again only after a request chunk was written to the backend, the backend only after a
 * response chunk was written to the client. Nothing is aggregated.
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

    private static final Set<HttpMethod> IDEMPOTENT = Set.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE);

    private final Supplier<LoadBalancer> balancer;
    private final HttpProxySettings settings;
    private final LongSupplier nanoTime;
    private final HttpBackendPool pool;
    private final HttpRequestGuard guard;
    private Channel client;

    // The current exchange; reset by endExchange().
    private boolean active;
    private HttpRequest outbound;
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
    private final ArrayDeque<HttpContent> replay = new ArrayDeque<>();
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>();
    private int retries;
    private int attempt;

    private Backend backend;
    private Channel backendChannel;
    private boolean reusedConnection;
    private boolean started;
    private long attemptStartNanos;
    private long lastActivityNanos;
    private ScheduledFuture<?> responseTimer;

    private boolean responseStarted;
    private boolean responseDone;
    private boolean interim;
    private boolean upgrading;
    private boolean backendReusable;
    private boolean persist;
    private boolean clientUnflushed;

    HttpFrontendHandler(Supplier<LoadBalancer> balancer, HttpProxySettings settings, LongSupplier nanoTime,
                        HttpBackendPool pool, HttpRequestGuard guard) {
        this.balancer = balancer;
        this.settings = settings;
        this.nanoTime = nanoTime;
        this.pool = pool;
        this.guard = guard;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        client = ctx.channel();
    }

    // ---- client side ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            onRequest(req);
        }
        if (msg instanceof HttpContent content) {
            onContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest req) {
        if (active || req.decoderResult().isFailure()) {
            // The guard makes both impossible; never forward what the decoder could not parse.
            client.close();
            return;
        }
        active = true;
        clientKeepAlive = HttpUtil.isKeepAlive(req);
        http10Client = req.protocolVersion().equals(HttpVersion.HTTP_1_0);
        headRequest = req.method().equals(HttpMethod.HEAD);
        idempotent = IDEMPOTENT.contains(req.method());
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        String contentLength = req.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        hasBody = chunked || HttpUtil.getContentLength(req, 0L) > 0;
        upgrade = !http10Client && req.headers().contains(HttpHeaderNames.UPGRADE)
                && req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
        String peer = HttpForwardHeaders.peerAddress(client.remoteAddress());
        clientKey = HttpForwardHeaders.clientKey(req.headers(), settings.trustedForwardHeader(), peer);

        // Rewritten in place: everything above read the client's headers, nothing reads them after.
        HttpHeaders headers = req.headers();
        HttpForwardHeaders.removeHopByHop(headers, upgrade);
        HttpForwardHeaders.setForwarded(headers, settings.trustedForwardHeader() != null, peer);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else if (contentLength != null) {
            headers.set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        }
        if (upgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        outbound = new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri(), headers);
        replayable = idempotent;
        pickAndStart();
    }

    private void onContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (!active || responseDone) {
            content.release();
            if (last && active) {
                requestComplete = true;
                finishClient();
            }
            return;
        }
        if (content.decoderResult().isFailure()) {
            // The client closed in the middle of its body.
            content.release();
            abort(ErrorKind.RESET);
            return;
        }
        requestComplete |= last;
        if (backendChannel == null) {
            pending.add(content);
        } else {
            send(content);
            backendChannel.flush();
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
                localResponse(HttpResponseStatus.BAD_REQUEST, "bad request");
            }
        } else if (evt instanceof ChannelInputShutdownEvent) {
            // Half-closed client: finish what is in flight, then close.
            if (!active) {
                client.close();
            } else if (requestComplete) {
                clientKeepAlive = false;
                persist = false;
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
        Backend picked = balancer.get().pick(new RequestInfo(clientKey));
        if (picked == null) {
            localResponse(HttpResponseStatus.SERVICE_UNAVAILABLE, "no backend available");
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
        }
        backend.coolDownUntil(now + settings.passiveCoolDown().toNanos());
        if (retries < settings.maxRetries() && (!anySent || replayable)) {
            retries++;
            pickAndStart();
        } else {
            localResponse(HttpResponseStatus.SERVICE_UNAVAILABLE, "no backend available");
        }
    }

    private void attach(Channel ch, boolean reused) {
        ++attempt;
        backendChannel = ch;
        reusedConnection = reused;
        ch.pipeline().get(HttpBackendHandler.class).attach(this);
        long now = nanoTime.getAsLong();
        if (!started) {
            started = true;
            attemptStartNanos = now;
            backend.onStart();
        }
        anySent = true;
        lastActivityNanos = now;
        ensureResponseTimer();
        if (!outbound.headers().contains(HttpHeaderNames.HOST)) {
            outbound.headers().set(HttpHeaderNames.HOST,
                    backend.address().getHostString() + ":" + backend.address().getPort());
        }
        write(outbound);
        for (HttpContent c : replay) {
            write(c.retainedDuplicate());
        }
        HttpContent c;
        while ((c = pending.poll()) != null) {
            send(c);
        }
        ch.flush();
        ch.read();
    }

    /** Writes a request body chunk, keeping a copy for a replay while the buffer allows. */
    private void send(HttpContent content) {
        if (replayable) {
            int size = content.content().readableBytes();
            if (replayBytes + size <= settings.replayBufferBytes()) {
                replay.add(content.retainedDuplicate());
                replayBytes += size;
            } else {
                replayable = false;
                releaseAll(replay);
            }
        }
        write(content);
    }

    private void write(Object msg) {
        Channel ch = backendChannel;
        ch.write(msg).addListener((ChannelFutureListener) f -> {
            if (ch != backendChannel) {
                return;
            }
            if (f.isSuccess()) {
                lastActivityNanos = nanoTime.getAsLong();
                if (!requestComplete) {
                    client.read();
                }
            } else {
                backendFailed(ch, ErrorKind.RESET);
            }
        });
    }

    // ---- backend side ----

    @Override
    public void backendRead(ChannelHandlerContext ctx, Object msg) {
        Channel ch = ctx.channel();
        if (ch != backendChannel) {
            ReferenceCountUtil.release(msg);
            return;
        }
        lastActivityNanos = nanoTime.getAsLong();
        if (msg instanceof HttpResponse resp) {
            if (resp.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                backendFailed(ch, ErrorKind.PROTOCOL);
                return;
            }
            onResponseHead(ch, resp);
        }
        if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                content.release();
                backendFailed(ch, ErrorKind.PROTOCOL);
                return;
            }
            onResponseContent(ch, content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(Channel ch, HttpResponse resp) {
        int code = resp.status().code();
        // Rewritten in place; what the framing needs from the backend's headers is read before.
        HttpHeaders h = resp.headers();
        if (code == 101 && upgrade) {
            upgrading = true;
            responseStarted = true;
            HttpForwardHeaders.removeHopByHop(h, true);
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            toClient(ch, new DefaultHttpResponse(HttpVersion.HTTP_1_1, resp.status(), h));
            return;
        }
        if (code < 200) {
            // Interim (100 Continue, 103): relayed, the final response still to come.
            interim = true;
            HttpForwardHeaders.removeHopByHop(h, false);
            toClient(ch, new DefaultHttpResponse(HttpVersion.HTTP_1_1, resp.status(), h));
            return;
        }
        responseStarted = true;
        String contentLength = h.get(HttpHeaderNames.CONTENT_LENGTH);
        boolean chunked = HttpUtil.isTransferEncodingChunked(resp);
        boolean bodyless = headRequest || code == 204 || code == 304;
        backendReusable = HttpUtil.isKeepAlive(resp) && (bodyless || contentLength != null || chunked);
        HttpForwardHeaders.removeHopByHop(h, false);
        persist = clientKeepAlive;
        if (contentLength != null) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        } else if (!bodyless) {
            // Re-framed: chunked for an HTTP/1.1 client, delimited by close for HTTP/1.0.
            if (http10Client) {
                persist = false;
            } else {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        if (!persist) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10Client) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        toClient(ch, new DefaultHttpResponse(HttpVersion.HTTP_1_1, resp.status(), h));
    }

    private void onResponseContent(Channel ch, HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (upgrading) {
            content.release();
            if (last) {
                switchToTunnel(ch);
            }
            return;
        }
        if (interim) {
            interim = !last;
            toClient(ch, content);
            return;
        }
        if (!last) {
            toClient(ch, content);
            return;
        }
        responseDone = true;
        endStarted(null);
        HttpBackendHandler handler = ch.pipeline().get(HttpBackendHandler.class);
        handler.detach();
        backendChannel = null;
        if (backendReusable && requestComplete) {
            pool.offer(ch, backend.address());
        } else {
            ch.close();
        }
        clientUnflushed = false;
        ChannelFuture written = client.writeAndFlush(content);
        if (persist && requestComplete) {
            endExchange();
            guard.nextRequest();
        } else if (persist && !hasBody) {
            // Only the request's empty end is still to come (see finishClient).
            return;
        } else {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Relays a response part, flushed once at the end of the backend read (so a head and body
     * read together leave in one send); reads the backend again once the client took it.
     */
    private void toClient(Channel ch, Object msg) {
        clientUnflushed = true;
        client.write(msg).addListener((ChannelFutureListener) f -> {
            if (ch != backendChannel) {
                return;
            }
            if (f.isSuccess()) {
                lastActivityNanos = nanoTime.getAsLong();
                ch.read();
            } else {
                abort(ErrorKind.RESET);
            }
        });
    }

    @Override
    public void backendReadComplete(ChannelHandlerContext ctx) {
        if (clientUnflushed) {
            clientUnflushed = false;
            client.flush();
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
            localResponse(HttpResponseStatus.BAD_GATEWAY, "bad gateway");
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
        dropBackend();
        if (responseStarted) {
            abort(ErrorKind.RESPONSE_TIMEOUT);
        } else {
            endStarted(ErrorKind.RESPONSE_TIMEOUT);
            localResponse(HttpResponseStatus.GATEWAY_TIMEOUT, "gateway timeout");
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
        be.pipeline().get(HttpBackendHandler.class).detach();
        long startedAt = attemptStartNanos;
        Backend b = backend;
        started = false;
        HttpTunnelHandler.Link link = new HttpTunnelHandler.Link(() -> {
            long now = nanoTime.getAsLong();
            b.onEnd(now - startedAt, now, null);
        });
        ChannelPipeline cp = client.pipeline();
        ChannelPipeline bp = be.pipeline();
        // Encoders first (nothing may be HTTP-encoded any more), then tunnels, then decoders,
        // whose removal hands the bytes they hold to the tunnels.
        cp.remove("encoder");
        bp.get(HttpClientCodec.class).removeOutboundHandler();
        bp.replace(HttpBackendHandler.class, "tunnel", new HttpTunnelHandler(client, link));
        cp.replace(this, "tunnel", new HttpTunnelHandler(be, link));
        bp.remove(HttpClientCodec.class);
        cp.remove("decoder");
        cp.remove(guard);
        endExchange();
        client.read();
        be.read();
    }

    // ---- ends ----

    /** Answers the current request from the proxy itself. */
    private void localResponse(HttpResponseStatus status, String text) {
        responseStarted = true;
        responseDone = true;
        persist = clientKeepAlive && (requestComplete || !hasBody);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(text + "\n", StandardCharsets.US_ASCII));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        if (!persist) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10Client) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ChannelFuture written = client.writeAndFlush(r);
        if (!persist) {
            written.addListener(ChannelFutureListener.CLOSE);
        } else {
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
            HttpBackendHandler handler = ch.pipeline().get(HttpBackendHandler.class);
            if (handler != null) {
                handler.detach();
            }
            ch.close();
        }
        ++attempt;
    }

    /** Reports the end of the request started on the current backend, once. */
    private void endStarted(ErrorKind error) {
        if (started) {
            started = false;
            long now = nanoTime.getAsLong();
            backend.onEnd(now - attemptStartNanos, now, error);
        }
    }

    private void endExchange() {
        active = false;
        outbound = null;
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
        interim = false;
        upgrading = false;
        backendReusable = false;
        persist = false;
    }

    private static void releaseAll(ArrayDeque<HttpContent> contents) {
        HttpContent c;
        while ((c = contents.poll()) != null) {
            c.release();
        }
    }
}
