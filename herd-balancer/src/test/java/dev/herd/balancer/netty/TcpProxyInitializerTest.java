package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.herd.balancer.Backend;
import dev.herd.balancer.ErrorKind;
import dev.herd.balancer.LoadBalancer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;

@Timeout(60)
class TcpProxyInitializerTest {

    /**
     * The transports the proxy runs on; the backend connection must follow the client's. All but
     * the round trip run on NIO and io_uring, the transports of Balancer's tcp mode: Netty
     * 4.2.18's epoll drops a half-closed socket from its epoll set once it waits for nothing, and
     * a later write that needs EPOLLOUT then fails. io_uring passes the half-close cases, which
     * is why Balancer lets tcp mode run on it.
     */
    enum Transport {
        NIO, EPOLL, IO_URING;

        EventLoopGroup newGroup() {
            return switch (this) {
                case NIO -> new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
                case EPOLL -> {
                    Assumptions.assumeTrue(Epoll.isAvailable(), "epoll not available here");
                    yield new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
                }
                case IO_URING -> {
                    Assumptions.assumeTrue(IoUring.isAvailable(), () -> "io_uring not available here: " + IoUring.unavailabilityCause());
                    yield new MultiThreadIoEventLoopGroup(2, IoUringIoHandler.newFactory());
                }
            };
        }

        Class<? extends ServerChannel> serverChannel() {
            return switch (this) {
                case NIO -> NioServerSocketChannel.class;
                case EPOLL -> EpollServerSocketChannel.class;
                case IO_URING -> IoUringServerSocketChannel.class;
            };
        }
    }

    private static final int SMALL_BUFFER = 64 * 1024;

    /** Frozen ticker: a cool-down set now lasts for the whole test. */
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Channel> accepted = new CopyOnWriteArrayList<>();
    private EventLoopGroup group;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void relaysARoundTripToAnEchoBackend(Transport transport) throws Exception {
        Backend backend = backend(echo());
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, inOrder(backend));

        try (Socket client = connect(proxy)) {
            client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.getInputStream().readNBytes(5)).asString(StandardCharsets.US_ASCII).isEqualTo("hello");
            assertThat(backend.active()).isEqualTo(1);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.active() == 0);
        assertThat(backend.requests()).isEqualTo(1);
        assertThat(backend.errors(ErrorKind.RESET)).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void relaysTenMegabytesEachWayIntact(Transport transport) throws Exception {
        Backend backend = backend(echo());
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, inOrder(backend));
        int total = 10 * 1024 * 1024;

        try (Socket client = connect(proxy)) {
            CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
                try {
                    long crc = TcpFixtureServer.writeRandom(client.getOutputStream(), 42, total, new AtomicLong());
                    client.shutdownOutput();
                    return crc;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            AtomicLong received = new AtomicLong();
            long receivedCrc = TcpFixtureServer.crcToEof(client.getInputStream(), received);

            assertThat(received.get()).isEqualTo(total);
            assertThat(receivedCrc).isEqualTo(sent.get(10, TimeUnit.SECONDS));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.active() == 0);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void aSlowClientHoldsTheBackendBackInsteadOfFillingTheProxy(Transport transport) throws Exception {
        int total = 10 * 1024 * 1024;
        AtomicLong backendSent = new AtomicLong();
        CompletableFuture<Long> sentCrc = new CompletableFuture<>();
        Backend backend = backend(new TcpFixtureServer(s -> {
            s.setSendBufferSize(SMALL_BUFFER);
            sentCrc.complete(TcpFixtureServer.writeRandom(s.getOutputStream(), 7, total, backendSent));
        }));
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, inOrder(backend));

        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(SMALL_BUFFER);
            client.setSoTimeout(20_000);
            client.connect(proxy);

            awaitStalled(backendSent);
            Channel toClient = accepted.get(0);
            // Unbounded buffering would queue here all the backend sent that the sockets don't hold.
            assertThat(toClient.unsafe().outboundBuffer().totalPendingWriteBytes()).isLessThanOrEqualTo(256 * 1024);

            AtomicLong received = new AtomicLong();
            long receivedCrc = TcpFixtureServer.crcToEof(client.getInputStream(), received);
            assertThat(received.get()).isEqualTo(total);
            assertThat(receivedCrc).isEqualTo(sentCrc.get(10, TimeUnit.SECONDS));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.active() == 0);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void aSlowBackendHoldsTheClientBackInsteadOfFillingTheProxy(Transport transport) throws Exception {
        int total = 16 * 1024 * 1024;
        CountDownLatch startReading = new CountDownLatch(1);
        AtomicLong backendReceived = new AtomicLong();
        CompletableFuture<Long> receivedCrc = new CompletableFuture<>();
        Backend backend = backend(new TcpFixtureServer(SMALL_BUFFER, s -> {
            startReading.await();
            receivedCrc.complete(TcpFixtureServer.crcToEof(s.getInputStream(), backendReceived));
        }));
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, inOrder(backend));

        try (Socket client = new Socket()) {
            client.setSendBufferSize(SMALL_BUFFER);
            client.connect(proxy);
            AtomicLong clientSent = new AtomicLong();
            CompletableFuture<Long> sentCrc = CompletableFuture.supplyAsync(() -> {
                try {
                    long crc = TcpFixtureServer.writeRandom(client.getOutputStream(), 11, total, clientSent);
                    client.shutdownOutput();
                    return crc;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });

            awaitStalled(clientSent);
            // The sockets in between hold a few MiB at most; a proxy reading ahead would take it all.
            assertThat(clientSent.get()).isLessThan(total);

            startReading.countDown();
            assertThat(receivedCrc.get(20, TimeUnit.SECONDS)).isEqualTo(sentCrc.get(10, TimeUnit.SECONDS));
            assertThat(backendReceived.get()).isEqualTo(total);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.active() == 0);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void aClientHalfCloseStillGetsTheReplyTheBackendSendsAfterEof(Transport transport) throws Exception {
        Backend backend = backend(new TcpFixtureServer(s -> {
            byte[] request = s.getInputStream().readAllBytes();
            s.getOutputStream().write(("got " + request.length + " bytes").getBytes(StandardCharsets.US_ASCII));
        }));
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, inOrder(backend));

        try (Socket client = connect(proxy)) {
            client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertThat(client.getInputStream().readAllBytes()).asString(StandardCharsets.US_ASCII).isEqualTo("got 5 bytes");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.active() == 0);
        assertThat(backend.errors(ErrorKind.RESET)).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void aBackendHalfCloseStillLetsTheClientSend(Transport transport) throws Exception {
        CompletableFuture<String> backendGot = new CompletableFuture<>();
        Backend backend = backend(new TcpFixtureServer(s -> {
            s.getOutputStream().write("banner".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            backendGot.complete(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
        }));
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, inOrder(backend));

        try (Socket client = connect(proxy)) {
            InputStream in = client.getInputStream();
            assertThat(in.readAllBytes()).asString(StandardCharsets.US_ASCII).isEqualTo("banner");
            client.getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertThat(backendGot.get(10, TimeUnit.SECONDS)).isEqualTo("late");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.active() == 0);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void aRefusedConnectCoolsTheBackendDownAndTriesTheNext(Transport transport) throws Exception {
        Backend dead = new Backend("dead", TcpFixtureServer.deadAddress(), 1, 0, 1);
        Backend live = backend(echo());
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, inOrder(dead, live));

        try (Socket client = connect(proxy)) {
            client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.getInputStream().readNBytes(4)).asString(StandardCharsets.US_ASCII).isEqualTo("ping");
        }

        assertThat(dead.errors(ErrorKind.CONNECT)).isEqualTo(1);
        assertThat(dead.isAvailable(clock.get())).isFalse();
        assertThat(dead.isAvailable(clock.get() + TcpProxySettings.DEFAULT.passiveCoolDown().toNanos())).isTrue();
        assertThat(dead.requests()).isZero();
        assertThat(live.requests()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> live.active() == 0);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void whenEveryAttemptFailsTheClientIsClosedAfterMaxRetries(Transport transport) throws Exception {
        Backend first = new Backend("first", TcpFixtureServer.deadAddress(), 1, 0, 1);
        Backend second = new Backend("second", TcpFixtureServer.deadAddress(), 1, 0, 1);
        Backend third = new Backend("third", TcpFixtureServer.deadAddress(), 1, 0, 1);
        TcpProxySettings oneRetry = new TcpProxySettings(Duration.ofSeconds(5), 1, null, Duration.ofSeconds(10));
        InetSocketAddress proxy = startProxy(transport, oneRetry, inOrder(first, second, third));

        try (Socket client = connect(proxy)) {
            assertClosedByProxy(client);
        }

        assertThat(first.errors(ErrorKind.CONNECT)).isEqualTo(1);
        assertThat(second.errors(ErrorKind.CONNECT)).isEqualTo(1);
        assertThat(third.errors(ErrorKind.CONNECT)).isZero();
        assertThat(List.of(first, second, third)).allSatisfy(b -> assertThat(b.active()).isZero());
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void withNoBackendAvailableTheClientIsClosed(Transport transport) throws Exception {
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, request -> null);

        try (Socket client = connect(proxy)) {
            assertClosedByProxy(client);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void anIdleConnectionIsClosed(Transport transport) throws Exception {
        Backend backend = backend(echo());
        TcpProxySettings idle = new TcpProxySettings(Duration.ofSeconds(5), 2, Duration.ofMillis(200), Duration.ofSeconds(10));
        InetSocketAddress proxy = startProxy(transport, idle, inOrder(backend));

        try (Socket client = connect(proxy)) {
            client.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.getInputStream().read()).isEqualTo('x');
            assertClosedByProxy(client);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.active() == 0);
        assertThat(backend.errors(ErrorKind.RESET)).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void aBackendResetAbortsTheClientAndCountsAReset(Transport transport) throws Exception {
        Backend backend = backend(new TcpFixtureServer(s -> {
            s.getInputStream().read();
            s.setSoLinger(true, 0);
        }));
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, inOrder(backend));

        try (Socket client = connect(proxy)) {
            client.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
            // A clean EOF would pass a stream cut short for a complete one.
            assertThat(catchThrowable(() -> client.getInputStream().read()))
                    .isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.active() == 0);
        assertThat(backend.errors(ErrorKind.RESET)).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void aClientResetAbortsTheBackendAndIsNotTheBackendsError(Transport transport) throws Exception {
        CountDownLatch backendRead = new CountDownLatch(1);
        CompletableFuture<Object> backendSaw = new CompletableFuture<>();
        Backend backend = backend(new TcpFixtureServer(s -> {
            InputStream in = s.getInputStream();
            in.read();
            backendRead.countDown();
            try {
                backendSaw.complete(in.read());
            } catch (IOException e) {
                backendSaw.complete(e);
            }
        }));
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, inOrder(backend));

        try (Socket client = connect(proxy)) {
            client.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
            assertThat(backendRead.await(10, TimeUnit.SECONDS)).isTrue();
            client.setSoLinger(true, 0);
        }

        assertThat(backendSaw.get(10, TimeUnit.SECONDS)).isInstanceOf(SocketException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.active() == 0);
        assertThat(backend.errors(ErrorKind.RESET)).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void theClientIpIsTheAffinityKey(Transport transport) throws Exception {
        Backend backend = backend(echo());
        AtomicReference<String> key = new AtomicReference<>();
        InetSocketAddress proxy = startProxy(transport, TcpProxySettings.DEFAULT, request -> {
            key.set(request.clientKey());
            return backend;
        });

        try (Socket client = connect(proxy)) {
            client.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.getInputStream().read()).isEqualTo('x');
        }
        assertThat(key.get()).isEqualTo(InetAddress.getLoopbackAddress().getHostAddress());
    }

    private InetSocketAddress startProxy(Transport transport, TcpProxySettings settings, LoadBalancer balancer) {
        group = transport.newGroup();
        TcpProxyInitializer initializer = new TcpProxyInitializer(() -> balancer, settings, clock::get);
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .childOption(ChannelOption.SO_SNDBUF, SMALL_BUFFER)
                .childOption(ChannelOption.SO_RCVBUF, SMALL_BUFFER)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.add(ch);
                        ch.pipeline().addLast(initializer);
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0)
                .syncUninterruptibly()
                .channel();
        closeables.add(() -> server.close().syncUninterruptibly());
        return (InetSocketAddress) server.localAddress();
    }

    /** Picks the first available backend in list order. */
    private LoadBalancer inOrder(Backend... backends) {
        return request -> {
            for (Backend b : backends) {
                if (b.isAvailable(clock.get())) {
                    return b;
                }
            }
            return null;
        };
    }

    private Backend backend(TcpFixtureServer server) {
        closeables.add(server);
        return new Backend("b" + server.address().getPort(), server.address(), 1, 0, 1);
    }

    private static TcpFixtureServer echo() throws IOException {
        return TcpFixtureServer.echo();
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.setSoTimeout(10_000);
        socket.connect(address);
        return socket;
    }

    /** The proxy closes: the next read sees EOF, or a reset when it closed with data unread. */
    private static void assertClosedByProxy(Socket client) {
        Throwable thrown = catchThrowable(() -> assertThat(client.getInputStream().read()).isEqualTo(-1));
        if (thrown != null) {
            assertThat(thrown).isInstanceOf(SocketException.class);
        }
    }

    /** Waits until {@code progress} stops moving for a poll interval: the writer is blocked. */
    private static void awaitStalled(AtomicLong progress) {
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
            long now = progress.get();
            boolean stalled = now > 0 && now == last[0];
            last[0] = now;
            return stalled;
        });
    }
}
