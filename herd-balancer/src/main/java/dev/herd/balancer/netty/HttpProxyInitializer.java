package dev.herd.balancer.netty;

import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import dev.herd.balancer.BackendListener;
import dev.herd.balancer.LoadBalancer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * Sets up an accepted client channel as an HTTP/1.1 reverse proxy (http mode): strict request
 * framing checked on the raw bytes, then per request a backend picked from the current
 * {@link LoadBalancer}, the request streamed to it and the response streamed back, with
 * keep-alive on both sides, retries, passive health, timeouts and WebSocket-style upgrades
 * tunnelled after a {@code 101}.
 *
 * <p>Use it as a {@code ServerBootstrap} child handler; it is sharable. It turns auto-read off and
 * half-closure on for the channel itself. Backend connections are made on the client channel's
 * event loop with the same transport (the accepted channel's own class: {@code EpollSocketChannel},
 * {@code IoUringSocketChannel} or {@code NioSocketChannel}), so the loop group must be able to
 * run that transport, and
 * are pooled per event loop and backend address. Closing the event loop group closes them.
 *
 * <p>Per backend, {@code onStart} is called when a request is sent and {@code onEnd} exactly once
 * for it: with no error when the response completed, else with the error kind (a client that
 * went away, or whose body turned out malformed, counts as {@code RESET}). For an upgraded
 * connection {@code onEnd} comes when the tunnel closes and its latency is the tunnel's life.
 */
public final class HttpProxyInitializer extends ChannelInitializer<Channel> {

    private final Supplier<LoadBalancer> balancer;
    private final HttpProxySettings settings;
    private final LongSupplier nanoTime;
    private final BackendListener listener;
    private final HttpBackendPool pool;
    /** Open client connections; a closed channel leaves the group by itself. */
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private volatile boolean draining;

    /**
     * @param balancer the current balancer, read on every request (the owner swaps it on
     *                 membership changes); it must never supply null
     * @param settings limits and timeouts
     * @param nanoTime monotonic ticker in nanoseconds for latencies, cool-downs and timeouts
     */
    public HttpProxyInitializer(Supplier<LoadBalancer> balancer, HttpProxySettings settings, LongSupplier nanoTime) {
        this(balancer, settings, nanoTime, BackendListener.NONE);
    }

    /** As the other constructor, telling {@code listener} of each passive cool-down as it starts. */
    public HttpProxyInitializer(Supplier<LoadBalancer> balancer, HttpProxySettings settings, LongSupplier nanoTime,
            BackendListener listener) {
        this.balancer = Objects.requireNonNull(balancer, "balancer");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.pool = new HttpBackendPool(settings);
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.config().setAutoRead(false);
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        ch.config().setOption(ChannelOption.TCP_NODELAY, true);
        HttpRequestGuard guard = new HttpRequestGuard(settings);
        ch.pipeline().addLast("guard", guard);
        ch.pipeline().addLast("proxy", new HttpFrontendHandler(balancer, settings, nanoTime, listener, pool, guard, this::draining));
        clients.add(ch);
        if (draining) {
            // Accepted just before the listener closed: it gets the drain event as the others did.
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(HttpFrontendHandler.DRAIN));
        }
    }

    /**
     * Starts a graceful stop of the client connections (HAProxy's soft-stop): every response from
     * now on carries {@code connection: close} and ends its connection, and kept-alive connections
     * waiting for their next request are closed at once, so no client sends a request into a
     * connection that is about to close; a fresh connection that has sent nothing yet has a second
     * for its first request (its client would take a close for a reset, not for a kept-alive
     * connection's end). Call it after the listener stopped accepting; then wait for
     * {@link #openConnections()} to reach 0.
     */
    public void drain() {
        draining = true;
        for (Channel ch : clients) {
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(HttpFrontendHandler.DRAIN));
        }
    }

    private boolean draining() {
        return draining;
    }

    /** Client connections still open. */
    public int openConnections() {
        return clients.size();
    }
}
