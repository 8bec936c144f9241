package dev.herd.balancer.netty;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Backend connections of one proxy: made on the client channel's event loop with the same
 * transport (epoll, io_uring or NIO), and kept alive between requests in per-event-loop, per-address idle
 * stacks (most recently used first, so the warmest connection is reused).
 *
 * <p>Threading: an event loop is one thread, so a {@link FastThreadLocal} gives each loop its own
 * stacks and nothing is shared or locked; every method must be called on the loop that owns the
 * channel. An idle connection keeps a read pending, so a backend closing it is noticed and it
 * leaves the stack; it is closed after the idle timeout.
 */
final class HttpBackendPool {

    /** Idle connections kept per backend per event loop; beyond it a returned one is closed. */
    static final int MAX_IDLE_PER_BACKEND = 32;

    private final HttpProxySettings settings;
    private final FastThreadLocal<Map<InetSocketAddress, ArrayDeque<Channel>>> idle = new FastThreadLocal<>() {
        @Override
        protected Map<InetSocketAddress, ArrayDeque<Channel>> initialValue() {
            return new HashMap<>();
        }
    };
    private final Bootstrap template;

    HttpBackendPool(HttpProxySettings settings) {
        this.settings = settings;
        int maxHeader = settings.maxHeaderBytes();
        this.template = new Bootstrap()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        HttpResponseReader reader = new HttpResponseReader(maxHeader);
                        ch.pipeline().addLast("reader", reader);
                        ch.pipeline().addLast("backend", new HttpBackendHandler(HttpBackendPool.this, reader));
                    }
                });
    }

    /**
     * Connects a new backend channel on {@code client}'s event loop with the same transport: the
     * client's own class for a TCP socket channel (an accepted {@code EpollSocketChannel},
     * {@code IoUringSocketChannel} or {@code NioSocketChannel}, all constructible without
     * arguments), NIO otherwise.
     */
    ChannelFuture connect(Channel client, InetSocketAddress address) {
        Class<? extends Channel> type = client instanceof SocketChannel ? client.getClass() : NioSocketChannel.class;
        return template.clone(client.eventLoop()).channel(type).connect(address);
    }

    /** An open idle connection to {@code address} on the calling event loop, or null. */
    Channel poll(InetSocketAddress address) {
        ArrayDeque<Channel> stack = idle.get().get(address);
        if (stack == null) {
            return null;
        }
        Channel ch;
        while ((ch = stack.pollLast()) != null) {
            HttpBackendHandler handler = ch.pipeline().get(HttpBackendHandler.class);
            if (ch.isActive() && handler != null) {
                handler.leavePool();
                return ch;
            }
            ch.close();
        }
        return null;
    }

    /** Keeps {@code ch} (idle, response complete) for reuse, or closes it when there are enough. */
    void offer(Channel ch, InetSocketAddress address) {
        HttpBackendHandler handler = ch.pipeline().get(HttpBackendHandler.class);
        ArrayDeque<Channel> stack = idle.get().computeIfAbsent(address, a -> new ArrayDeque<>());
        if (!ch.isActive() || handler == null || stack.size() >= MAX_IDLE_PER_BACKEND) {
            ch.close();
            return;
        }
        stack.addLast(ch);
        handler.enterPool(address, settings.idleTimeout().toNanos());
        ch.read();
    }

    /** Forgets a pooled channel that closed or misbehaved. */
    void remove(Channel ch, InetSocketAddress address) {
        ArrayDeque<Channel> stack = idle.get().get(address);
        if (stack != null) {
            stack.remove(ch);
        }
    }
}
