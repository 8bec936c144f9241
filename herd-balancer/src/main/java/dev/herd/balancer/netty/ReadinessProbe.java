package dev.herd.balancer.netty;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * One-shot readiness checks of a server that is starting, for a cluster manager that admits an
 * instance to the pool only once it can serve: a TCP connect, or {@code GET path} answered 2xx
 * (a redirect does not count). The same probe as the balancer's active health checks, on an
 * event loop of its own (one thread, epoll where available, else NIO), so probing never waits
 * behind proxied traffic. Thread-safe; close it to stop its thread.
 */
public final class ReadinessProbe implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReadinessProbe.class);

    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    /** Probes not yet answered, answered false by {@link #close()}, whose loop would never answer them. */
    private final Set<CompletableFuture<Boolean>> pending = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private ReadinessProbe() {
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("herd-readiness", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.loop = group.next();
        this.bootstrap = new Bootstrap().group(loop).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class);
    }

    /** A probe with its own event loop thread (a daemon thread). */
    public static ReadinessProbe create() {
        return new ReadinessProbe();
    }

    /**
     * Probes once.
     *
     * @param address        where the server should listen
     * @param httpPathOrNull a path to {@code GET} (e.g. {@code /health}), or null for a TCP connect
     * @param timeout        how long the whole probe may take, connect included; positive
     * @return true when the connect succeeded (no path) or the path answered 2xx; false when the
     *         connection was refused, the time ran out, the answer was another status or not
     *         HTTP, or the probe was closed. It never completes exceptionally. It completes on
     *         the probe's event loop: continue with the {@code *Async} methods if what follows
     *         may block.
     * @throws IllegalArgumentException if the path does not start with {@code /} or is not
     *                                  printable ASCII, or the timeout is not positive
     */
    public CompletableFuture<Boolean> probe(InetSocketAddress address, String httpPathOrNull, Duration timeout) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(timeout, "timeout");
        HealthCheckSettings.checkPath(httpPathOrNull);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        pending.add(result);
        result.whenComplete((passed, e) -> pending.remove(result));
        int connectMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try {
            loop.execute(() -> {
                try {
                    HealthProbe.start(bootstrap.clone().option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis), loop,
                            address, httpPathOrNull, timeout.toNanos(), false, (passed, detail) -> {
                                log.debug("readiness of {}{}: {}", address,
                                        httpPathOrNull == null ? "" : " " + httpPathOrNull, detail);
                                result.complete(passed);
                            });
                } catch (RuntimeException e) {
                    log.debug("readiness probe of {} could not start", address, e);
                    result.complete(false);
                }
            });
        } catch (RejectedExecutionException e) {
            result.complete(false);
        }
        if (closed) {
            // Closed while this probe was being queued: the loop may never run it.
            result.complete(false);
        }
        return result;
    }

    /** Stops the event loop; probes not answered yet answer false. Idempotent. */
    @Override
    public void close() {
        closed = true;
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        for (CompletableFuture<Boolean> f : pending) {
            f.complete(false);
        }
    }
}
