package dev.herd.balancer.netty;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.balancer.Backend;
import dev.herd.balancer.BackendListener;
import dev.herd.balancer.ErrorKind;
import dev.herd.balancer.LoadBalancer;
import dev.herd.balancer.RequestInfo;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * One proxied client connection: picks and connects the backend (with retries), then tracks the
 * two half-closes and the end of both channels for the backend's accounting.
 *
 * <p>Threading: the backend channel is registered on the client channel's event loop, so every
 * method here and every listener it installs runs on that one thread; the fields need no
 * synchronization.
 */
final class TcpConnection {

    /** Which channel of the connection a handler sits on. */
    enum Side {
        /** The accepted connection from the client. */
        CLIENT,
        /** The connection the proxy made to the backend. */
        BACKEND
    }

    private static final Logger log = LoggerFactory.getLogger(TcpConnection.class);

    private static final ChannelFactory<NioSocketChannel> NIO = NioSocketChannel::new;

    /**
     * The backend channel must suit the client's event loop (an epoll loop takes only epoll
     * channels, an io_uring loop only io_uring ones), so it is of the accepted channel's own
     * class: EpollSocketChannel, IoUringSocketChannel or NioSocketChannel. Following the class
     * keeps this free of a list of transports to update. A class without a public no-argument
     * constructor falls back to NIO.
     */
    private static final ClassValue<ChannelFactory<? extends Channel>> PEER_FACTORIES = new ClassValue<>() {
        @Override
        protected ChannelFactory<? extends Channel> computeValue(Class<?> type) {
            try {
                return new ReflectiveChannelFactory<>(type.asSubclass(Channel.class));
            } catch (IllegalArgumentException e) {
                return NIO;
            }
        }
    };

    private final Channel client;
    private final Supplier<LoadBalancer> balancer;
    private final TcpProxySettings settings;
    private final LongSupplier nanoTime;
    private final BackendListener listener;

    /** What the client sent before the backend was connected (epoll reads on a half-close even with auto-read off). */
    private final List<Object> early = new ArrayList<>();
    private boolean clientInputShutEarly;
    private Channel server;
    private Backend backend;
    private long startNanos;
    private ErrorKind error;
    /** The side that failed first, or null: its peer is reset rather than closed. */
    private Side failed;
    private int outputsShut;
    private int channelsClosed;

    TcpConnection(Channel client, Supplier<LoadBalancer> balancer, TcpProxySettings settings, LongSupplier nanoTime,
            BackendListener listener) {
        this.client = client;
        this.balancer = balancer;
        this.settings = settings;
        this.nanoTime = nanoTime;
        this.listener = listener;
    }

    /** The client became active: find it a backend. */
    void start() {
        client.closeFuture().addListener((ChannelFutureListener) closed -> {
            early.forEach(ReferenceCountUtil::release);
            early.clear();
        });
        connect(0);
    }

    /** The client sent {@code msg} while no backend was connected yet: keep it for the backend. */
    void holdEarly(Object msg) {
        early.add(msg);
    }

    /** The channel on the other side of {@code side}, or null while no backend is connected. */
    Channel peerOf(Side side) {
        return side == Side.CLIENT ? server : client;
    }

    /** {@code side} failed (a reset, or a write to it failed); only the backend's failures count as its errors. */
    void failed(Side side) {
        if (failed == null) {
            failed = side;
        }
        if (side == Side.BACKEND && error == null) {
            error = ErrorKind.RESET;
        }
    }

    /**
     * {@code side} is closed: end its peer the same way. After a clean end the peer gets what is
     * queued for it and a FIN; after a failure it is reset, as a direct connection would be, since
     * a FIN would pass a stream cut short for a complete one (HAProxy sends a FIN here).
     */
    void closed(Side side) {
        Channel peer = peerOf(side);
        if (peer == null) {
            return;
        }
        if (failed == side) {
            abort(peer);
        } else {
            closeOnFlush(peer);
        }
    }

    /**
     * {@code side} sent its FIN: once what was read from it has been written, shut the peer's
     * output so the FIN travels on. Writing an empty buffer first orders the shutdown after the
     * pending write, which {@code shutdownOutput()} would otherwise discard.
     */
    void inputShutdown(Side side) {
        Channel peer = peerOf(side);
        if (peer == null) {
            clientInputShutEarly = true;
            return;
        }
        if (!(peer instanceof DuplexChannel duplex)) {
            closeOnFlush(peer);
            return;
        }
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) written -> {
            if (!written.isSuccess()) {
                peer.close();
                return;
            }
            duplex.shutdownOutput().addListener((ChannelFutureListener) shut -> {
                if (!shut.isSuccess()) {
                    peer.close();
                } else if (++outputsShut == 2) {
                    // Both directions have ended: nothing more can flow.
                    client.close();
                    server.close();
                }
            });
        });
    }

    /**
     * Asks {@code channel} for its next chunk, unless its input has ended: epoll removes a
     * half-closed socket from its interest set, and asking it to read then fails the channel.
     */
    static void readMore(Channel channel) {
        if (channel instanceof DuplexChannel duplex && duplex.isInputShutdown()) {
            return;
        }
        channel.read();
    }

    /** Closes {@code channel} at once with a reset (SO_LINGER 0), dropping what is queued for it. */
    private static void abort(Channel channel) {
        if (channel.isOpen()) {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
            channel.close();
        }
    }

    /** Closes {@code channel} once what is queued for it has been written. */
    static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    private void connect(int attempt) {
        if (!client.isActive()) {
            return;
        }
        LoadBalancer current = balancer.get();
        Backend picked = current == null ? null : current.pick(new RequestInfo(clientKey(client.remoteAddress())));
        if (picked == null) {
            listener.onNoBackend();
            log.debug("No backend available for {}; closing it", client.remoteAddress());
            client.close();
            return;
        }
        Bootstrap bootstrap = new Bootstrap()
                .group(client.eventLoop())
                .channelFactory(channelFactoryFor(client))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new TcpRelayHandler(this, Side.BACKEND));
        bootstrap.connect(picked.address()).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                connected(picked, f.channel());
            } else {
                connectFailed(picked, f.cause(), attempt);
            }
        });
    }

    private void connected(Backend picked, Channel channel) {
        if (!client.isActive()) {
            // The client left while we were connecting: nothing to relay, nothing to count.
            channel.close();
            return;
        }
        server = channel;
        backend = picked;
        startNanos = nanoTime.getAsLong();
        backend.onStart();
        ChannelFutureListener onClose = closed -> {
            if (++channelsClosed == 2) {
                long now = nanoTime.getAsLong();
                backend.onEnd(now - startNanos, now, error);
            }
        };
        client.closeFuture().addListener(onClose);
        server.closeFuture().addListener(onClose);
        if (!early.isEmpty()) {
            early.forEach(server::write);
            early.clear();
            server.flush();
        }
        if (clientInputShutEarly) {
            inputShutdown(Side.CLIENT);
        }
        readMore(client);
        readMore(server);
    }

    private void connectFailed(Backend picked, Throwable cause, int attempt) {
        ErrorKind kind = cause instanceof ConnectTimeoutException ? ErrorKind.CONNECT_TIMEOUT : ErrorKind.CONNECT;
        picked.onError(kind);
        PassiveHealth.connectFailed(picked, kind, nanoTime.getAsLong(), settings.passiveCoolDown(), listener);
        if (attempt < settings.maxRetries()) {
            log.debug("Connect to backend {} failed ({}); trying another for {}", picked.id(), cause.getMessage(), client.remoteAddress());
            connect(attempt + 1);
        } else {
            log.debug("Connect to backend {} failed ({}); no attempt left, closing {}", picked.id(), cause.getMessage(), client.remoteAddress());
            client.close();
        }
    }

    private static String clientKey(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(remote);
    }

    private static ChannelFactory<? extends Channel> channelFactoryFor(Channel client) {
        return client instanceof SocketChannel ? PEER_FACTORIES.get(client.getClass()) : NIO;
    }
}
