package dev.herd.balancer.netty;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.balancer.AdminState;
import dev.herd.balancer.Algorithm;
import dev.herd.balancer.Backend;
import dev.herd.balancer.BackendListener;
import dev.herd.balancer.Health;
import dev.herd.balancer.LoadBalancer;
import dev.herd.balancer.LoadBalancers;

/**
 * A running load balancer: one listening socket, a set of backends that may change while it
 * runs, an algorithm, and the http or tcp pipeline in between. Embed it with {@link #builder()};
 * {@code herd balance} runs one from the command line.
 *
 * <p>Membership changes build a new {@link LoadBalancer} and publish it through a volatile
 * field, so the per-request pick never takes a lock.
 */
public final class Balancer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Balancer.class);
    private static final long EWMA_DECAY_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** How requests are relayed. */
    public enum Mode {
        /** HTTP/1.1, balanced per request. */
        HTTP,
        /** Bytes, balanced per connection. */
        TCP
    }

    /**
     * The I/O transport of the event loops, the listening socket and every connection made to a
     * backend. Asking for a native one that this machine cannot run falls back, so a
     * configuration stays portable; the log line at start names the one in use.
     */
    public enum Transport {
        /** Linux epoll, Netty's native transport (the default); NIO where it is unavailable. */
        EPOLL,
        /**
         * Linux io_uring; where the kernel or the JVM cannot run it (io_uring disabled by sysctl or
         * seccomp, an old kernel, another OS), epoll and then NIO, with a log line saying why.
         */
        IO_URING,
        /** The JDK's NIO selector: portable, and what tcp mode runs on instead of epoll. */
        NIO
    }

    /**
     * One backend as configured: where, its weight, and an optional label.
     *
     * @param name a label for people and for responses ({@link HttpProxySettings#instanceHeader()}),
     *             e.g. a cluster's instance number; printable ASCII, no leading or trailing space;
     *             null for none. It does not change the {@link #id() id}.
     */
    public record BackendAddress(String host, int port, int weight, String name) {
        public BackendAddress {
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1-65535, was " + port);
            }
            if (weight < 1) {
                throw new IllegalArgumentException("weight must be at least 1, was " + weight);
            }
            if (name != null && (name.isEmpty() || name.strip().length() != name.length()
                    || !name.chars().allMatch(c -> c >= 0x20 && c < 0x7f))) {
                throw new IllegalArgumentException("backend name must be printable ASCII without spaces around it, was '"
                        + name + "'");
            }
        }

        /** A backend without a name. */
        public BackendAddress(String host, int port, int weight) {
            this(host, port, weight, null);
        }

        /**
         * The backend's id, {@code host:port} with the host as given (e.g. {@code 127.0.0.1:9001}):
         * what {@link Balancer#drain(String)} and {@link Balancer#removeBackend(String)} take and
         * {@link Backend#id()} returns.
         */
        public String id() {
            return host + ":" + port;
        }
    }

    private final Builder config;
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel server;
    private final HealthChecker healthChecker;
    /** The http pipeline, or null in tcp mode. */
    private final HttpProxyInitializer http;
    /** The tcp pipeline, or null in http mode. */
    private final TcpProxyInitializer tcp;
    private final List<Backend> backends = new CopyOnWriteArrayList<>();
    private volatile LoadBalancer current;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** False only while a listener taken over waits for its first backend. */
    private final AtomicBoolean accepting = new AtomicBoolean(true);

    private final LongAdder unavailable = new LongAdder();

    private Balancer(Builder b) throws IOException, InterruptedException {
        this.config = b;
        // Before any thread starts, so that a backend rejected here leaks no event loop.
        for (BackendAddress a : b.backends) {
            backends.add(newBackend(a, AdminState.READY));
        }
        this.transport = effectiveTransport(b.transport, b.mode);
        IoHandlerFactory io = switch (transport) {
            case EPOLL -> EpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
        Class<? extends ServerChannel> serverClass = switch (transport) {
            case EPOLL -> EpollServerSocketChannel.class;
            case IO_URING -> IoUringServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
        // Health probes run on the workers, whose loops take only channels of their own transport.
        Class<? extends Channel> clientClass = switch (transport) {
            case EPOLL -> EpollSocketChannel.class;
            case IO_URING -> IoUringSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
        this.boss = new MultiThreadIoEventLoopGroup(1, io);
        this.workers = new MultiThreadIoEventLoopGroup(b.threads, io);
        rebuild();
        Supplier<LoadBalancer> balancer = () -> current;
        BackendListener counting = new BackendListener() {
            @Override
            public void onHealthChange(Backend backend, Health from, Health to) {
                b.listener.onHealthChange(backend, from, to);
            }

            @Override
            public void onNoBackend() {
                unavailable.increment();
                b.listener.onNoBackend();
            }
        };
        this.http = b.mode == Mode.HTTP ? new HttpProxyInitializer(balancer, b.http, b.nanoTime, counting) : null;
        this.tcp = b.mode == Mode.TCP ? new TcpProxyInitializer(balancer, b.tcp, b.nanoTime, counting) : null;
        ServerBootstrap sb = new ServerBootstrap()
                .group(boss, workers)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(http != null ? http : tcp);
        int inherited = b.inheritedFd;
        if (inherited >= 0 && transport != Transport.EPOLL) {
            stopLoops();
            throw new IllegalArgumentException("only the epoll transport takes over a listening socket, not "
                    + transport.name().toLowerCase() + " (" + b.mode.name().toLowerCase() + " mode)");
        }
        if (inherited >= 0) {
            // Held until a backend is admitted: what waits in the queue waits for a backend, not a 503.
            sb.channelFactory(() -> new EpollServerSocketChannel(inherited)).option(ChannelOption.AUTO_READ, false);
            accepting.set(false);
        } else {
            sb.channel(serverClass);
        }
        ChannelFuture bound;
        try {
            bound = (inherited >= 0 ? sb.register() : sb.bind(b.listen)).await();
        } catch (InterruptedException e) {
            stopLoops();
            throw e;
        }
        if (!bound.isSuccess()) {
            stopLoops();
            throw bindFailure(b.listen, bound.cause());
        }
        this.server = bound.channel();
        if (b.healthCheck != null) {
            healthChecker = new HealthChecker(workers, new ReflectiveChannelFactory<>(clientClass), b.healthCheck, b.nanoTime,
                    b.listener);
            healthChecker.start(() -> List.copyOf(backends));
        } else {
            healthChecker = null;
        }
        log.info("balancing {} ({}, {}, {} event loop(s), {}) over {}", server.localAddress(),
                b.mode.name().toLowerCase(), b.algorithm.cliName(), b.threads, transport.name().toLowerCase(), backends);
    }

    private void stopLoops() {
        boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    /**
     * The bind failure as a {@link BindException} naming the address. Netty reports it as NIO's
     * BindException or as a native IOException carrying only the kernel's words, and sync() would
     * rethrow the latter undeclared, out of an embedding program's reach.
     */
    private static IOException bindFailure(InetSocketAddress listen, Throwable cause) {
        String why = String.valueOf(cause.getMessage());
        String where = listen.getHostString() + ":" + listen.getPort();
        IOException e;
        if (why.contains("Address already in use")) {
            e = new BindException("cannot listen on " + where + ": the address is in use");
        } else if (why.contains("Cannot assign requested address")) {
            e = new BindException("cannot listen on " + where + ": not an address of this machine");
        } else if (why.contains("Permission denied")) {
            e = new BindException("cannot listen on " + where + ": permission denied (ports below 1024 need privileges)");
        } else {
            e = new BindException("cannot listen on " + where + ": " + why);
        }
        e.initCause(cause);
        return e;
    }

    /** The transport to run: the one asked for, or the fallback this machine and mode allow. */
    private static Transport effectiveTransport(Transport wanted, Mode mode) {
        if (wanted == Transport.IO_URING && !IoUring.isAvailable()) {
            Transport fallback = effectiveTransport(Transport.EPOLL, mode);
            // The cause as text: passed as a Throwable it would become a stack trace, not one line.
            log.warn("io_uring is not available ({}); using {}", String.valueOf(IoUring.unavailabilityCause()),
                    fallback.name().toLowerCase());
            return fallback;
        }
        // tcp mode stays off epoll: with Netty 4.2.18's epoll transport a half-closed socket is
        // dropped from the watch list yet counted as registered, and the rest of that direction is
        // lost. io_uring, completion-based with no watch list, passes TcpProxyInitializerTest's
        // half-close cases, so tcp mode does run on it.
        if (wanted == Transport.EPOLL && (mode == Mode.TCP || !Epoll.isAvailable())) {
            return Transport.NIO;
        }
        return wanted;
    }

    /** A new configuration, with defaults for everything but the listening address and backends. */
    public static Builder builder() {
        return new Builder();
    }

    /** Where it listens (the real port when 0 was asked for). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Client connections open now, those still connecting to a backend included. */
    public int openConnections() {
        return http != null ? http.openConnections() : tcp.openConnections();
    }

    /** Requests (connections, in tcp mode) refused so far because no backend was available. */
    public long unavailable() {
        return unavailable.sum();
    }

    /**
     * The listening socket's descriptor, for another process to go on accepting from (see
     * {@link Builder#listenOn}), or -1 on a transport that does not tell it.
     */
    public int listenerFd() {
        return server instanceof EpollServerSocketChannel e ? e.fd().intValue() : -1;
    }

    /** Whether a balancer in {@code mode} can take over a listening socket ({@link Builder#listenOn}). */
    public static boolean canListenOn(Mode mode) {
        return effectiveTransport(Transport.EPOLL, mode) == Transport.EPOLL;
    }

    /** The transport it runs on: the one asked for, or its fallback. */
    public Transport transport() {
        return transport;
    }

    /** The backends, live: their states and counters change as traffic flows. */
    public List<Backend> backends() {
        return List.copyOf(backends);
    }

    /**
     * Adds a backend; it gets traffic at once (ramping up if slow start is configured).
     *
     * @throws IllegalArgumentException if one with its id is there already, or its host does not
     *                                  resolve
     * @throws IllegalStateException    if the balancer is closed
     */
    public synchronized Backend addBackend(BackendAddress address) {
        return addBackend(address, AdminState.READY);
    }

    /**
     * Adds a backend in the given admin state. {@link AdminState#MAINTENANCE} adds one that cannot
     * serve yet (an instance still starting): it gets no traffic and no active health checks until
     * {@link #admit(String) admitted}, and its slow-start ramp begins then.
     *
     * @throws IllegalArgumentException if one with its id is there already, or its host does not
     *                                  resolve
     * @throws IllegalStateException    if the balancer is closed
     */
    public synchronized Backend addBackend(BackendAddress address, AdminState initial) {
        Objects.requireNonNull(initial, "initial");
        if (closed.get()) {
            throw new IllegalStateException("the balancer is closed");
        }
        if (find(address.id()).isPresent()) {
            throw new IllegalArgumentException("backend " + address.id() + " exists already");
        }
        Backend backend = newBackend(address, initial);
        backends.add(backend);
        rebuild();
        return backend;
    }

    /**
     * Puts a backend in service (from maintenance or draining): it gets new traffic from now on,
     * ramping up from now if slow start is configured. Out of maintenance its health starts
     * unknown and any passive cool-down is forgotten, since the caller says it can serve; a drain
     * still pending is called off. Ready already: nothing changes.
     *
     * @param id its {@link BackendAddress#id() id}
     * @throws IllegalArgumentException if there is no backend {@code id}
     */
    public void admit(String id) {
        Backend backend = backend(id);
        if (backend.admin() != AdminState.READY) {
            backend.setAdmin(AdminState.READY, config.nanoTime.getAsLong());
            log.info("backend {} admitted", id);
        }
        if (accepting.compareAndSet(false, true)) {
            server.config().setAutoRead(true);
            log.info("{}: accepting, from the queue the socket kept", server.localAddress());
        }
    }

    /**
     * Takes a backend out of the pool at once (its process crashed, say): no new traffic and no
     * active health checks. Requests in flight on it are not cut; if it is gone they fail, and
     * those the retry rules allow (idempotent, nothing answered yet) go to another backend.
     * {@link Backend#drained()} completes when nothing is in flight.
     *
     * @param id its {@link BackendAddress#id() id}
     * @throws IllegalArgumentException if there is no backend {@code id}
     */
    public void maintain(String id) {
        Backend backend = backend(id);
        if (backend.admin() != AdminState.MAINTENANCE) {
            backend.setAdmin(AdminState.MAINTENANCE, config.nanoTime.getAsLong());
            log.info("backend {} in maintenance", id);
        }
    }

    /**
     * Stops sending new traffic to a backend and removes it once what it has in flight is done.
     * One in maintenance stays so until removed; with nothing in flight it is removed at once.
     *
     * @param id its {@link BackendAddress#id() id}
     * @return completes when it is drained and removed
     * @throws IllegalArgumentException if there is no backend {@code id}
     */
    public synchronized CompletableFuture<Void> removeBackend(String id) {
        Backend backend = backend(id);
        stopNewTraffic(backend);
        return backend.drained().thenRun(() -> {
            synchronized (this) {
                backends.remove(backend);
                rebuild();
            }
        });
    }

    /**
     * Puts a backend in draining: no new requests; completes when its in-flight ones are done. One
     * in maintenance stays in maintenance, which takes no new traffic either.
     *
     * @param id its {@link BackendAddress#id() id}
     * @throws IllegalArgumentException if there is no backend {@code id}
     */
    public CompletableFuture<Void> drain(String id) {
        Backend backend = backend(id);
        stopNewTraffic(backend);
        return backend.drained();
    }

    private void stopNewTraffic(Backend backend) {
        if (backend.admin() == AdminState.READY) {
            backend.setAdmin(AdminState.DRAINING, config.nanoTime.getAsLong());
        }
    }

    /**
     * Stops accepting, lets in-flight requests (or connections) finish for at most {@code grace},
     * then closes everything. In http mode kept-alive clients are told: responses from then on
     * carry {@code connection: close}, and connections between requests are closed at once (a
     * fresh one that has sent nothing yet after a second, see {@link HttpProxyInitializer#drain()}).
     */
    public void shutdownGracefully(Duration grace) {
        server.close().syncUninterruptibly();
        if (http != null) {
            http.drain();
        }
        long deadline = config.nanoTime.getAsLong() + grace.toNanos();
        CompletableFuture<Void> idle = new CompletableFuture<>();
        pollIdle(idle, deadline);
        idle.join();
        close();
    }

    /**
     * Waits for the client connections: in http mode they close after their current response,
     * in tcp mode when the relay ends; either way one still connecting to a backend counts too.
     */
    private void pollIdle(CompletableFuture<Void> idle, long deadline) {
        int active = openConnections();
        if (active == 0 || config.nanoTime.getAsLong() - deadline >= 0) {
            if (active > 0) {
                log.warn("{} client connection(s) still open after the grace period: closing them", active);
            }
            idle.complete(null);
            return;
        }
        boss.schedule(() -> pollIdle(idle, deadline), 20, TimeUnit.MILLISECONDS);
    }

    /** Closes the listener and every connection at once; closing again does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (healthChecker != null) {
            healthChecker.close();
        }
        server.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private Optional<Backend> find(String id) {
        return backends.stream().filter(b -> b.id().equals(id)).findFirst();
    }

    private Backend backend(String id) {
        return find(id).orElseThrow(() -> new IllegalArgumentException("no backend " + id));
    }

    /** Resolves the host once, as every connection to the backend then uses that address. */
    private Backend newBackend(BackendAddress a, AdminState initial) {
        InetSocketAddress address = new InetSocketAddress(a.host(), a.port());
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("backend " + a.id() + ": cannot resolve host '" + a.host() + "'");
        }
        return new Backend(a.id(), a.name(), address, a.weight(), initial, config.nanoTime.getAsLong(), EWMA_DECAY_NANOS);
    }

    private void rebuild() {
        List<Backend> members = new ArrayList<>(backends);
        LoadBalancer lb = LoadBalancers.of(config.algorithm, members, config.nanoTime, config.seed);
        if (!config.slowStart.isZero()) {
            lb = LoadBalancers.slowStart(lb, config.slowStart, config.nanoTime, LoadBalancers.threadSafeRandom(config.seed));
        }
        current = lb;
    }

    /** The configuration of a {@link Balancer}; {@link #start()} binds it. */
    public static final class Builder {
        private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 8000);
        private Mode mode = Mode.HTTP;
        private Algorithm algorithm = Algorithm.ROUND_ROBIN;
        private final List<BackendAddress> backends = new ArrayList<>();
        private int threads = Runtime.getRuntime().availableProcessors();
        private Transport transport = Transport.EPOLL;
        private HttpProxySettings http = HttpProxySettings.DEFAULT;
        private TcpProxySettings tcp = TcpProxySettings.DEFAULT;
        private HealthCheckSettings healthCheck;
        private Duration slowStart = Duration.ZERO;
        private LongSupplier nanoTime = System::nanoTime;
        private long seed = ThreadLocalRandom.current().nextLong();
        private BackendListener listener = BackendListener.NONE;
        private int inheritedFd = -1;

        private Builder() {
        }

        /**
         * Accepts on a socket that listens already, one an earlier process handed over, instead
         * of binding {@link #listen}, which should name its address. It accepts nothing until a
         * backend is first {@linkplain Balancer#admit admitted}: connections that wait in its
         * queue wait for a backend instead of getting 503. Needs the epoll transport
         * ({@link Balancer#canListenOn}); the balancer owns the descriptor from then on.
         */
        public Builder listenOn(int fd) {
            if (fd < 0) {
                throw new IllegalArgumentException("descriptor must not be negative, was " + fd);
            }
            this.inheritedFd = fd;
            return this;
        }

        /**
         * Where to listen (default 127.0.0.1:8000; port 0 picks a free one).
         *
         * @throws IllegalArgumentException if the address is unresolved
         */
        public Builder listen(InetSocketAddress address) {
            if (address.isUnresolved()) {
                throw new IllegalArgumentException("listen address " + address.getHostString() + ":" + address.getPort()
                        + ": cannot resolve host '" + address.getHostString() + "'");
            }
            this.listen = address;
            return this;
        }

        /** http (default) or tcp. */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode);
            return this;
        }

        /** How to pick a backend (default round-robin). */
        public Builder algorithm(Algorithm algorithm) {
            this.algorithm = Objects.requireNonNull(algorithm);
            return this;
        }

        /**
         * Adds a backend; its host is resolved by {@link #start()}.
         *
         * @throws IllegalArgumentException if one with the same host and port was added already
         */
        public Builder backend(BackendAddress backend) {
            Objects.requireNonNull(backend, "backend");
            if (backends.stream().anyMatch(b -> b.id().equals(backend.id()))) {
                throw new IllegalArgumentException("backend " + backend.id() + " is given twice");
            }
            this.backends.add(backend);
            return this;
        }

        /** Event-loop threads (default: the number of cores). */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1");
            }
            this.threads = threads;
            return this;
        }

        /**
         * Whether to use native epoll where available (default true; NIO otherwise): the same as
         * {@link #transport(Transport)} with EPOLL or NIO.
         */
        public Builder nativeTransport(boolean nativeTransport) {
            return transport(nativeTransport ? Transport.EPOLL : Transport.NIO);
        }

        /**
         * The I/O transport (default {@link Transport#EPOLL}); one this machine cannot run falls back
         * as {@link Transport} says, and tcp mode never runs on epoll (NIO instead).
         */
        public Builder transport(Transport transport) {
            this.transport = Objects.requireNonNull(transport);
            return this;
        }

        /** Settings of http mode. */
        public Builder http(HttpProxySettings http) {
            this.http = Objects.requireNonNull(http);
            return this;
        }

        /** Settings of tcp mode. */
        public Builder tcp(TcpProxySettings tcp) {
            this.tcp = Objects.requireNonNull(tcp);
            return this;
        }

        /** Active health checks, or null for none (passive checks always run). */
        public Builder healthCheck(HealthCheckSettings healthCheck) {
            this.healthCheck = healthCheck;
            return this;
        }

        /** How long a new backend's share takes to ramp up to full (default zero: at once). */
        public Builder slowStart(Duration slowStart) {
            this.slowStart = Objects.requireNonNull(slowStart);
            return this;
        }

        /**
         * Told of every health change, as {@link BackendListener} describes (default: nobody). It
         * is called on the event loops and must not block.
         */
        public Builder listener(BackendListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The monotonic clock (tests). */
        public Builder nanoTime(LongSupplier nanoTime) {
            this.nanoTime = Objects.requireNonNull(nanoTime);
            return this;
        }

        /** The seed of random algorithms (tests). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Binds and starts balancing.
         *
         * @throws IllegalArgumentException if a backend's host does not resolve
         * @throws BindException            if it cannot listen on its address (in use, not local,
         *                                  not permitted), named in the message
         */
        public Balancer start() throws IOException, InterruptedException {
            return new Balancer(this);
        }
    }
}
