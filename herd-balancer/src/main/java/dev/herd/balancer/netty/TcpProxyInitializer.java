package dev.herd.balancer.netty;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import dev.herd.balancer.BackendListener;
import dev.herd.balancer.LoadBalancer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * Sets up an accepted client connection for TCP mode: each client connection is relayed, byte
 * for byte, to one backend the {@link LoadBalancer} picks with the client's IP address as the
 * key. Install it as a {@code ServerBootstrap}'s child handler.
 *
 * <p>Per connection: reading from the client waits until a backend is connected; the backend
 * connection is made on the client channel's event loop with the matching transport (the
 * accepted channel's own: epoll, io_uring or NIO), so both channels of a connection share one
 * thread. A failed connect counts {@code CONNECT} or {@code CONNECT_TIMEOUT} on the backend,
 * cools it down for {@link TcpProxySettings#passiveCoolDown()} and tries another pick, at most
 * {@link TcpProxySettings#maxRetries()} times; when no backend is left the client is closed.
 * Bytes then flow both ways with back-pressure (the next chunk is read only after the previous
 * one was written), half-closes are passed on, a reset on one side resets the other (rather
 * than ending it with a FIN that looks like a complete stream), and the backend counts the connection from
 * {@link dev.herd.balancer.Backend#onStart()} to one
 * {@link dev.herd.balancer.Backend#onEnd(long, long, dev.herd.balancer.ErrorKind)} once both
 * channels are closed, so its {@code active()} is its number of open connections.
 *
 * <p>Transport caveat: Netty 4.2.18's epoll removes a half-closed socket from its epoll set
 * once it waits for no event, yet keeps treating it as registered, so a later write that has to
 * wait for {@code EPOLLOUT} fails and the rest of that direction is lost. Where clients or
 * backends half-close (and send more than a socket buffer afterwards), serve TCP mode on NIO or
 * io_uring, which passes the same half-close tests.
 *
 * <p>This initializer turns auto-read off and half-closure on for the client channel itself;
 * other socket options (such as {@code TCP_NODELAY}) are the server bootstrap's. Sharable: one
 * instance serves every accepted connection.
 */
public final class TcpProxyInitializer extends ChannelInitializer<Channel> {

    private final Supplier<LoadBalancer> balancer;
    private final TcpProxySettings settings;
    private final LongSupplier nanoTime;
    private final BackendListener listener;
    /** Open client connections, from accept on; a closed channel leaves the group by itself. */
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

    /**
     * @param balancer the current balancer, read for every pick (the owner swaps it on
     *                 membership changes); it may return null when there is none
     * @param settings timeouts, retries and cool-down
     * @param nanoTime the monotonic ticker shared with the backends' state (nanoseconds)
     */
    public TcpProxyInitializer(Supplier<LoadBalancer> balancer, TcpProxySettings settings, LongSupplier nanoTime) {
        this(balancer, settings, nanoTime, BackendListener.NONE);
    }

    /** As the other constructor, telling {@code listener} of each passive cool-down as it starts. */
    public TcpProxyInitializer(Supplier<LoadBalancer> balancer, TcpProxySettings settings, LongSupplier nanoTime,
            BackendListener listener) {
        this.balancer = Objects.requireNonNull(balancer, "balancer");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    protected void initChannel(Channel client) {
        clients.add(client);
        // Runs before channelActive, so no read has been issued yet: nothing is read from the
        // client until TcpConnection asks for it once the backend is connected.
        client.config().setAutoRead(false);
        client.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        if (settings.idleTimeout() != null) {
            client.pipeline().addLast(new IdleStateHandler(0, 0, settings.idleTimeout().toNanos(), TimeUnit.NANOSECONDS));
        }
        TcpConnection connection = new TcpConnection(client, balancer, settings, nanoTime, listener);
        client.pipeline().addLast(new TcpRelayHandler(connection, TcpConnection.Side.CLIENT));
    }

    /**
     * Client connections still open, those still connecting to a backend included: what a
     * graceful stop waits for.
     */
    public int openConnections() {
        return clients.size();
    }
}
