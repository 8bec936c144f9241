package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.herd.balancer.AdminState;
import dev.herd.balancer.Backend;
import dev.herd.balancer.ErrorKind;
import dev.herd.balancer.LoadBalancer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import dev.herd.balancer.netty.TcpProxyInitializerTest.Transport;

/** Black-box tests: fixture backends, the proxy on loopback, raw-socket clients. */
class HttpProxyTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Backend> backends = new ArrayList<>();
    private EventLoopGroup group;
    private HttpProxyInitializer proxy;
    private int port;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    // ---- fixtures ----

    private HttpFixtureBackend fixture(String id, HttpFixtureBackend.Behaviour behaviour) throws IOException {
        HttpFixtureBackend f = new HttpFixtureBackend(id, behaviour);
        closeables.add(f);
        backends.add(new Backend(id, f.address(), 1, 0, 1_000_000_000L));
        return f;
    }

    private HttpFixtureBackend scripted(String id, Function<String, HttpFixtureBackend.Reply> script) throws IOException {
        HttpFixtureBackend f = new HttpFixtureBackend(id, script);
        closeables.add(f);
        backends.add(new Backend(id, f.address(), 1, 0, 1_000_000_000L));
        return f;
    }

    /** A backend whose port has nothing listening. */
    private void deadBackend(String id) throws IOException {
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        backends.add(new Backend(id, new InetSocketAddress("127.0.0.1", free), 1, 0, 1_000_000_000L));
    }

    /**
     * A listener whose accept queue is full, so the kernel drops new SYNs: a connect to it neither
     * succeeds nor fails until the connector's timeout, the way a host that went away behaves.
     */
    private InetSocketAddress blackhole() throws IOException {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        closeables.add(server);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
        closeables.addAll(AcceptQueue.fill(address));
        return address;
    }

    private Backend backend(String id) {
        return backends.stream().filter(b -> b.id().equals(id)).findFirst().orElseThrow();
    }

    private void startProxy(HttpProxySettings settings) {
        AtomicInteger next = new AtomicInteger();
        List<Backend> list = List.copyOf(backends);
        LoadBalancer roundRobin = r -> {
            for (int i = 0; i < list.size(); i++) {
                Backend b = list.get(Math.floorMod(next.getAndIncrement(), list.size()));
                if (b.isAvailable(System.nanoTime())) {
                    return b;
                }
            }
            return null;
        };
        startProxy(settings, roundRobin);
    }

    private void startProxy(HttpProxySettings settings, LoadBalancer lb) {
        startProxy(settings, lb, Transport.NIO);
    }

    private void startProxy(HttpProxySettings settings, LoadBalancer lb, Transport transport) {
        startProxy(settings, lb, transport, 0);
    }

    /** With {@code clientSendBuffer} above 0, the accepted sockets' SO_SNDBUF, so that writes to clients queue up soon. */
    private void startProxy(HttpProxySettings settings, LoadBalancer lb, Transport transport, int clientSendBuffer) {
        group = transport.newGroup();
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .childHandler(proxy = new HttpProxyInitializer(() -> lb, settings, System::nanoTime));
        if (clientSendBuffer > 0) {
            b.childOption(ChannelOption.SO_SNDBUF, clientSendBuffer);
        }
        Channel server = b.bind("127.0.0.1", 0).syncUninterruptibly().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    private Client client() throws IOException {
        Client c = new Client(port);
        closeables.add(c);
        return c;
    }

    private void assertNothingInFlight() {
        await().atMost(WAIT).untilAsserted(() -> {
            for (Backend b : backends) {
                assertThat(b.active()).as(b.id()).isZero();
            }
        });
    }

    private static String forwarded(String method, String target, String headers) {
        return method + " " + target + " HTTP/1.1\r\n" + headers
                + "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n\r\n";
    }

    // ---- tests ----

    @Test
    void keepAliveOnBothSidesReusesOneBackendConnection() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        for (int i = 0; i < 3; i++) {
            c.send("GET /" + i + " HTTP/1.1\r\nHost: h\r\n\r\n");
            Response r = c.read();
            assertThat(r.status()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(r.body()).isEqualTo("b1");
        }
        assertThat(b1.received()).isEqualTo(forwarded("GET", "/0", "Host: h\r\n")
                + forwarded("GET", "/1", "Host: h\r\n") + forwarded("GET", "/2", "Host: h\r\n"));
        assertThat(b1.connections()).isEqualTo(1);
        assertNothingInFlight();
        assertThat(backend("b1").requests()).isEqualTo(3);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        fixture("b2", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.read().body()).isEqualTo("b1");
        assertThat(c.read().body()).isEqualTo("b2");
        assertThat(c.read().body()).isEqualTo("b1");
        assertNothingInFlight();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void answersRequestsPipelinedBeforeAHalfClose(Transport transport) throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT, r -> backend("b1"), transport);
        Client c = client();
        c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
        c.socket.shutdownOutput();
        String response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nb1";
        assertThat(new String(c.readToEof(), StandardCharsets.ISO_8859_1)).isEqualTo(response + response);
        assertThat(b1.received()).isEqualTo(forwarded("GET", "/1", "Host: h\r\n") + forwarded("GET", "/2", "Host: h\r\n"));
        assertNothingInFlight();
    }

    /**
     * A client that half-closed after its request and reads nothing until its response has
     * ended still gets all of it: with small socket buffers most of the response is still queued
     * in the proxy when the held half-close calls for the close, which must wait for it. Not on
     * epoll, whose half-close limit the README names.
     */
    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"NIO", "IO_URING"})
    void aHalfClosedClientThatReadsLateGetsTheWholeResponseBeforeTheClose(Transport transport) throws IOException {
        // Below the proxy's 64 KiB high-water mark, so it reads the whole response from the backend
        // whether or not the client reads; far above what the two small socket buffers hold.
        String body = "x".repeat(40 * 1024);
        String response = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        scripted("b1", head -> new HttpFixtureBackend.Reply(response, false));
        startProxy(HttpProxySettings.DEFAULT, r -> backend("b1"), transport, 4096);
        Socket late = new Socket();
        closeables.add(late);
        late.setReceiveBufferSize(4096);
        late.connect(new InetSocketAddress("127.0.0.1", port));
        late.getOutputStream().write("GET / HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        late.shutdownOutput();
        assertNothingInFlight();

        assertThat(new String(late.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo(response);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void passesAHalfCloseRightAfterAnUpgradeRequestIntoTheTunnel(Transport transport) throws IOException {
        fixture("b1", HttpFixtureBackend.Behaviour.UPGRADE);
        startProxy(HttpProxySettings.DEFAULT, r -> backend("b1"), transport);
        Client c = client();
        c.send("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nlast words");
        c.socket.shutdownOutput();
        // The echo backend closes once its input ends, which only the half-close relayed brings.
        assertThat(new String(c.readToEof(), StandardCharsets.ISO_8859_1))
                .startsWith("HTTP/1.1 101 Switching Protocols\r\n").endsWith("\r\n\r\nlast words");
        assertNothingInFlight();
    }

    @Test
    void streamsAChunkedRequestBody() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        await().atMost(WAIT).until(() -> b1.received().endsWith("hello\r\n"));
        c.send("6\r\n world\r\n0\r\n\r\n");
        Response r = c.read();
        assertThat(r.status()).isEqualTo("HTTP/1.1 200 OK");
        // Framing fields stay where the client put them, as it wrote them; the chunks pass unchanged.
        assertThat(b1.received()).isEqualTo("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                + "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n"
                + "\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        assertNothingInFlight();
    }

    @Test
    void streamsALargeResponse() throws IOException {
        fixture("b1", HttpFixtureBackend.Behaviour.BIG);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
        Response r = c.read();
        assertThat(r.status()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(r.bytes().length).isEqualTo(HttpFixtureBackend.BIG_SIZE);
        for (int i = 0; i < r.bytes().length; i += 4099) {
            assertThat(r.bytes()[i]).isEqualTo((byte) ('a' + (i % (64 * 1024)) % 26));
        }
        assertNothingInFlight();
    }

    @Test
    void answers503WhenNoBackendIsAvailableAndKeepsTheConnection() throws IOException {
        startProxy(HttpProxySettings.DEFAULT, r -> null);
        Client c = client();
        for (int i = 0; i < 2; i++) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            Response r = c.read();
            assertThat(r.status()).isEqualTo("HTTP/1.1 503 Service Unavailable");
            assertThat(r.body()).isEqualTo("no backend available\n");
        }
    }

    @Test
    void retriesAGetOnAnotherBackendWhenOneIsDown() throws IOException {
        deadBackend("dead");
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        Response r = c.read();
        assertThat(r.body()).isEqualTo("b1");
        assertThat(backend("dead").errors(ErrorKind.CONNECT)).isEqualTo(1);
        assertThat(backend("dead").isAvailable(System.nanoTime())).isFalse();
        assertThat(b1.received()).isEqualTo(forwarded("GET", "/", "Host: h\r\n"));
        assertNothingInFlight();
    }

    @Test
    void aConnectTimeoutIsCountedAndTheRequestGoesToAnotherBackend() throws IOException {
        backends.add(new Backend("unreachable", blackhole(), 1, 0, 1_000_000_000L));
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        HttpProxySettings d = HttpProxySettings.DEFAULT;
        startProxy(d.withTimeouts(Duration.ofMillis(300), d.headerReadTimeout(), d.responseTimeout(), d.idleTimeout()));
        Client c = client();
        c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(c.read().body()).isEqualTo("b1");
        assertThat(backend("unreachable").errors(ErrorKind.CONNECT_TIMEOUT)).isEqualTo(1);
        assertThat(backend("unreachable").isAvailable(System.nanoTime())).as("cooling down").isFalse();
        assertThat(b1.received()).endsWith("\r\n\r\nhi");
        assertNothingInFlight();
    }

    @Test
    void retriesAPostThatNeverReachedABackend() throws IOException {
        deadBackend("dead");
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(c.read().body()).isEqualTo("b1");
        assertThat(b1.received()).isEqualTo("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
                + "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n\r\nhi");
        assertNothingInFlight();
    }

    @Test
    void neverRetriesAPostWhoseBytesWentOut() throws IOException {
        HttpFixtureBackend resetter = fixture("resetter", HttpFixtureBackend.Behaviour.RESET_AFTER_REQUEST);
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(c.read().status()).isEqualTo("HTTP/1.1 502 Bad Gateway");
        assertThat(resetter.received()).endsWith("\r\n\r\nhi");
        assertThat(b1.received()).isEmpty();
        assertThat(backend("resetter").errors(ErrorKind.RESET)).isEqualTo(1);
        assertNothingInFlight();
    }

    @Test
    void retriesAGetThatABackendReset() throws IOException {
        HttpFixtureBackend resetter = fixture("resetter", HttpFixtureBackend.Behaviour.RESET_AFTER_REQUEST);
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.read().body()).isEqualTo("b1");
        assertThat(resetter.received()).isEqualTo(forwarded("GET", "/", "Host: h\r\n"));
        assertThat(b1.received()).isEqualTo(forwarded("GET", "/", "Host: h\r\n"));
        assertNothingInFlight();
    }

    @Test
    void aPooledConnectionClosedByTheBackendIsNotAClientError() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.CLOSE_AFTER_RESPONSE);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        for (int i = 0; i < 20; i++) {
            c.send("GET /" + i + " HTTP/1.1\r\nHost: h\r\n\r\n");
            Response r = c.read();
            assertThat(r.status()).as("request %d", i).isEqualTo("HTTP/1.1 200 OK");
            assertThat(r.body()).isEqualTo("b1");
        }
        assertThat(backend("b1").errors(ErrorKind.RESET)).isZero();
        assertNothingInFlight();
    }

    @Test
    void abortsTheClientWhenTheBackendDiesMidResponse() throws IOException {
        fixture("b1", HttpFixtureBackend.Behaviour.DIE_MID_RESPONSE);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        String head = c.readHead();
        assertThat(head).startsWith("HTTP/1.1 200 OK\r\n").contains("Content-Length: 1000000");
        assertThat(c.readToEof().length).isLessThan(1_000_000);
        assertThat(backend("b1").errors(ErrorKind.RESET)).isEqualTo(1);
        assertNothingInFlight();
    }

    @Test
    void answers504WhenTheBackendIsSilent() throws IOException {
        fixture("b1", HttpFixtureBackend.Behaviour.SILENT);
        HttpProxySettings d = HttpProxySettings.DEFAULT;
        startProxy(d.withTimeouts(d.connectTimeout(), d.headerReadTimeout(), Duration.ofMillis(300), d.idleTimeout()));
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.read().status()).isEqualTo("HTTP/1.1 504 Gateway Timeout");
        assertThat(backend("b1").errors(ErrorKind.RESPONSE_TIMEOUT)).isEqualTo(1);
        assertNothingInFlight();
    }

    @Test
    void aBackendThatLetAResponseTimeOutGetsOneRequestAtATimeUntilItAnswersAgain() throws Exception {
        // b1 frozen (as under SIGSTOP, with no active check): it reads requests and answers none
        // until thawed.
        CountDownLatch thaw = new CountDownLatch(1);
        scripted("b1", head -> {
            try {
                thaw.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new HttpFixtureBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nb1", false);
        });
        fixture("b2", HttpFixtureBackend.Behaviour.NORMAL);
        HttpProxySettings d = HttpProxySettings.DEFAULT;
        startProxy(d.withTimeouts(d.connectTimeout(), d.headerReadTimeout(), Duration.ofSeconds(1), d.idleTimeout()));
        // Until one request has gone to b1 and timed out.
        while (backend("b1").errors(ErrorKind.RESPONSE_TIMEOUT) == 0) {
            Client c = client();
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            c.read();
        }
        assertThat(backend("b1").suspect()).isTrue();
        long before = backend("b1").requests();

        // Six at once: round robin would give b1 three; it gets one, a probe.
        List<Client> six = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Client c = client();
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            six.add(c);
        }
        List<String> answers = new ArrayList<>();
        for (Client c : six) {
            Response r = c.read();
            answers.add(r.status().endsWith("504 Gateway Timeout") ? "504" : r.body());
        }
        assertThat(answers).containsOnly("b2", "504").filteredOn("504"::equals).hasSize(1);
        assertThat(backend("b1").requests() - before).isEqualTo(1);

        thaw.countDown();
        while (backend("b1").suspect()) {
            Client c = client();
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            c.read();
        }
        assertThat(backend("b1").isAvailable(System.nanoTime())).isTrue();
        assertNothingInFlight();
    }

    @Test
    void timesOutALaterRequestOnAKeptAliveConnectionFromItsOwnStart() throws IOException {
        fixture("b1", HttpFixtureBackend.Behaviour.SILENT_AFTER_FIRST);
        HttpProxySettings d = HttpProxySettings.DEFAULT;
        startProxy(d.withTimeouts(d.connectTimeout(), d.headerReadTimeout(), Duration.ofMillis(300), d.idleTimeout()));
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.read().body()).isEqualTo("b1");
        long start = System.nanoTime();
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.read().status()).isEqualTo("HTTP/1.1 504 Gateway Timeout");
        // The timer armed by the first request must not end the second one early.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(backend("b1").errors(ErrorKind.RESPONSE_TIMEOUT)).isEqualTo(1);
        assertNothingInFlight();
    }

    @Test
    void answers408ToAClientThatSendsHalfAHead() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        HttpProxySettings d = HttpProxySettings.DEFAULT;
        startProxy(d.withTimeouts(d.connectTimeout(), Duration.ofMillis(300), d.responseTimeout(), d.idleTimeout()));
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHo");
        String all = new String(c.readToEof(), StandardCharsets.ISO_8859_1);
        assertThat(all).startsWith("HTTP/1.1 408 Request Timeout\r\n");
        assertThat(b1.received()).isEmpty();
    }

    @Test
    void closesAnIdleKeptAliveClientConnection() throws IOException {
        fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        HttpProxySettings d = HttpProxySettings.DEFAULT;
        startProxy(d.withTimeouts(d.connectTimeout(), d.headerReadTimeout(), d.responseTimeout(), Duration.ofMillis(300)));
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.read().body()).isEqualTo("b1");
        assertThat(c.readToEof()).isEmpty();
    }

    @Test
    void rejectsAnAmbiguousRequestBeforeAnyBackendSeesIt() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n");
        String all = new String(c.readToEof(), StandardCharsets.ISO_8859_1);
        assertThat(all).startsWith("HTTP/1.1 400 Bad Request\r\n").doesNotContain("b1");
        assertThat(b1.received()).isEmpty();
        assertThat(backend("b1").requests()).isZero();
    }

    @Test
    void removesHopByHopHeadersAndSetsForwardedOnesExactly() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET /p HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret, Content-Length\r\nKeep-Alive: timeout=5\r\n"
                + "X-Secret: s\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: foo\r\n"
                + "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil\r\nForwarded: for=6.6.6.6\r\nAccept: */*\r\n\r\n");
        assertThat(c.read().body()).isEqualTo("b1");
        assertThat(b1.received()).isEqualTo("GET /p HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n"
                + "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n\r\n");
    }

    @Test
    void appendsToATrustedForwardingChain() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT.withTrustedForwardHeader("X-Forwarded-For"));
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2\r\n\r\n");
        assertThat(c.read().body()).isEqualTo("b1");
        assertThat(b1.received()).isEqualTo("GET / HTTP/1.1\r\nHost: h\r\n"
                + "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n\r\n");
    }

    @Test
    void leavesForwardingHeadersAloneWhenTheyAreOff() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT.withForwardedHeaders(false));
        Client c = client();
        c.send("GET /p HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=x\r\n\r\n");
        assertThat(c.read().body()).isEqualTo("b1");
        assertThat(b1.received()).isEqualTo("GET /p HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=x\r\n\r\n");
    }

    @Test
    void answersAnHttp10ClientAndClosesWithoutKeepAlive() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET / HTTP/1.0\r\n\r\n");
        String all = new String(c.readToEof(), StandardCharsets.ISO_8859_1);
        assertThat(all).startsWith("HTTP/1.1 200 OK\r\n").contains("connection: close\r\n").endsWith("\r\n\r\nb1");
        assertThat(b1.received()).startsWith("GET / HTTP/1.1\r\nX-Forwarded-For: 127.0.0.1\r\n");
        assertNothingInFlight();
    }

    @Test
    void tunnelsAnUpgradeOnlyAfter101() throws IOException {
        HttpFixtureBackend b1 = fixture("b1", HttpFixtureBackend.Behaviour.UPGRADE);
        startProxy(HttpProxySettings.DEFAULT);
        Client plain = client();
        plain.send("GET /no HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(plain.read().body()).isEqualTo("b1");

        Client c = client();
        c.send("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
        String head = c.readHead();
        assertThat(head).startsWith("HTTP/1.1 101 Switching Protocols\r\n").containsIgnoringCase("upgrade: echo\r\n");
        assertThat(b1.received()).endsWith("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: echo\r\n"
                + "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\nconnection: upgrade\r\n\r\n");
        c.send("ping\r\n\r\nraw bytes");
        assertThat(new String(c.in.readNBytes(17), StandardCharsets.ISO_8859_1)).isEqualTo("ping\r\n\r\nraw bytes");
        assertThat(backend("b1").active()).isEqualTo(1);
        c.close();
        assertNothingInFlight();
    }

    @Test
    void drainingClosesIdleConnectionsAndEndsBusyOnesAfterTheirResponse() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        scripted("b1", head -> {
            if (head.startsWith("GET /slow")) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new HttpFixtureBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
        });
        startProxy(HttpProxySettings.DEFAULT);
        Client idle = client();
        idle.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(idle.read().headers()).doesNotContainKey("connection");
        Client busy = client();
        busy.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
        await().atMost(WAIT).until(() -> backend("b1").active() == 1);

        proxy.drain();
        assertThat(idle.readToEof()).as("closed between requests, without a byte").isEmpty();
        release.countDown();
        assertOkWithCloseThenClosed(busy);
    }

    /** The client's response is "ok" with {@code connection: close}, then the proxy closes it, holding nothing. */
    private void assertOkWithCloseThenClosed(Client c) throws IOException {
        Response r = c.read();
        assertThat(r.body()).isEqualTo("ok");
        assertThat(r.headers()).containsEntry("connection", "close");
        assertThat(c.readToEof()).isEmpty();
        await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
        assertNothingInFlight();
    }

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @Test
    void drainingWaitsForTheFirstRequestOfAFreshConnectionAndAnswersItWithClose() throws Exception {
        scripted("b1", head -> new HttpFixtureBackend.Reply(OK, false));
        startProxy(HttpProxySettings.DEFAULT);
        Client fresh = client();
        await().atMost(WAIT).until(() -> proxy.openConnections() == 1);

        proxy.drain();
        // Tasks queued after the drain's on every event loop: once they ran, the connection heard of it.
        for (EventExecutor loop : group) {
            loop.submit(() -> { }).syncUninterruptibly();
        }
        // Its client connected to send this; a close now would reach it as a reset it cannot retry.
        fresh.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertOkWithCloseThenClosed(fresh);
    }

    @Test
    void drainingClosesAFreshConnectionThatSendsNothingAfterItsWait() throws Exception {
        scripted("b1", head -> new HttpFixtureBackend.Reply(OK, false));
        startProxy(HttpProxySettings.DEFAULT);
        Client idle = client();
        await().atMost(WAIT).until(() -> proxy.openConnections() == 1);

        proxy.drain();

        // Not held until the 30 s head timeout: a browser's speculative connect would hold a stop up so.
        assertThat(idle.readToEof()).as("closed without a byte").isEmpty();
        await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
    }

    // ---- response framing ----

    private static final String CHUNKED_RESPONSE = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n"
            + "Keep-Alive: timeout=5\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\nX-Keep: 2\r\n\r\n"
            + "5;ext=1\r\nhello\r\n0\r\nX-T: t\r\n\r\n";

    @Test
    void relaysAChunkedResponseAsItCameWithoutHopByHopFields() throws IOException {
        HttpFixtureBackend b1 = scripted("b1", head -> new HttpFixtureBackend.Reply(CHUNKED_RESPONSE, false));
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        for (int i = 0; i < 2; i++) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            // Trailer is end-to-end: it announces the trailer fields that pass with the chunks.
            String expected = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\nX-Keep: 2\r\n\r\n"
                    + "5;ext=1\r\nhello\r\n0\r\nX-T: t\r\n\r\n";
            assertThat(new String(c.in.readNBytes(expected.length()), StandardCharsets.ISO_8859_1)).isEqualTo(expected);
        }
        assertThat(b1.connections()).as("the backend connection was reused").isEqualTo(1);
        assertNothingInFlight();
    }

    @Test
    void dechunksAResponseForAnHttp10Client() throws IOException {
        scripted("b1", head -> new HttpFixtureBackend.Reply(CHUNKED_RESPONSE, false));
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET / HTTP/1.0\r\n\r\n");
        assertThat(new String(c.readToEof(), StandardCharsets.ISO_8859_1))
                .isEqualTo("HTTP/1.1 200 OK\r\nX-Keep: 2\r\nconnection: close\r\n\r\nhello");
        assertNothingInFlight();
    }

    /** A transfer coding besides chunked cannot reach an HTTP/1.0 client, which would take gzip bytes for the body. */
    @ParameterizedTest
    @ValueSource(strings = {"gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "gzip\r\n\r\nhello"})
    void refusesAnHttp10ClientABodyInAnotherTransferCoding(String codingAndBody) throws IOException {
        scripted("b1", head -> new HttpFixtureBackend.Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + codingAndBody,
                codingAndBody.startsWith("gzip\r")));
        startProxy(HttpProxySettings.DEFAULT);
        Client old = client();
        // A POST, so that no retry on another attempt adds to the count.
        old.send("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(new String(old.readToEof(), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 502 Bad Gateway\r\n");
        assertThat(backend("b1").errors(ErrorKind.PROTOCOL)).isEqualTo(1);
        Client current = client();
        current.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(current.readHead()).as("an HTTP/1.1 client gets it as it came")
                .startsWith("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip");
        current.close();
        assertNothingInFlight();
    }

    /** A backend named {@code name} that answers with its own, spoofed, instance fields. */
    private void namedSpoofer(String id, String name) throws IOException {
        HttpFixtureBackend f = new HttpFixtureBackend(id, head -> new HttpFixtureBackend.Reply(
                "HTTP/1.1 200 OK\r\nX-Herd-Instance: spoofed\r\nContent-Length: 2\r\nx-herd-instance: again\r\n\r\nok", false));
        closeables.add(f);
        backends.add(new Backend(id, name, f.address(), 1, AdminState.READY, 0, 1_000_000_000L));
    }

    @Test
    void namesTheInstanceInEveryResponseInPlaceOfTheBackendsOwnField() throws IOException {
        namedSpoofer("b1", "3");
        fixture("b2", HttpFixtureBackend.Behaviour.NORMAL);
        startProxy(HttpProxySettings.DEFAULT.withInstanceHeader("X-Herd-Instance"));
        Client c = client();
        for (int i = 0; i < 2; i++) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(c.readHead()).as("the named backend, kept alive")
                    .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Herd-Instance: 3\r\n\r\n");
            assertThat(new String(c.in.readNBytes(2), StandardCharsets.US_ASCII)).isEqualTo("ok");
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            Response unnamed = c.read();
            assertThat(unnamed.body()).isEqualTo("b2");
            assertThat(unnamed.headers()).as("a backend without a name").doesNotContainKey("x-herd-instance");
        }
        assertNothingInFlight();
    }

    @Test
    void addsNoInstanceHeaderByDefault() throws IOException {
        namedSpoofer("b1", "3");
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");

        assertThat(c.readHead()).isEqualTo(
                "HTTP/1.1 200 OK\r\nX-Herd-Instance: spoofed\r\nContent-Length: 2\r\nx-herd-instance: again\r\n\r\n");
    }

    @Test
    void refusesAnInstanceHeaderThatWouldChangeTheFraming() {
        assertThatThrownBy(() -> HttpProxySettings.DEFAULT.withInstanceHeader("Content-Length"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("framed");
        assertThatThrownBy(() -> HttpProxySettings.DEFAULT.withInstanceHeader("X Instance"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a header name");
        assertThatThrownBy(() -> new Balancer.BackendAddress("127.0.0.1", 9000, 1, "3\r\nX-Evil: 1"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rechunksACloseDelimitedResponseAndKeepsTheClient() throws IOException {
        HttpFixtureBackend b1 = scripted("b1", head -> new HttpFixtureBackend.Reply(
                "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nhello world", true));
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        for (int i = 0; i < 2; i++) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            Response r = c.read();
            assertThat(r.status()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(r.headers()).containsEntry("x-a", "1").containsEntry("transfer-encoding", "chunked")
                    .doesNotContainKey("connection");
            assertThat(r.body()).isEqualTo("hello world");
        }
        assertThat(b1.connections()).as("a close-delimited response ends its connection").isEqualTo(2);
        assertNothingInFlight();
    }

    @Test
    void closesTheClientAfterACloseDelimitedResponseToHttp10() throws IOException {
        scripted("b1", head -> new HttpFixtureBackend.Reply("HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nhello world", true));
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertThat(new String(c.readToEof(), StandardCharsets.ISO_8859_1))
                .isEqualTo("HTTP/1.1 200 OK\r\nX-A: 1\r\nconnection: close\r\n\r\nhello world");
        assertNothingInFlight();
    }

    @Test
    void headAndNoContentResponsesEndAtTheirHeads() throws IOException {
        HttpFixtureBackend b1 = scripted("b1", head -> new HttpFixtureBackend.Reply(head.startsWith("HEAD")
                ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                : "HTTP/1.1 204 No Content\r\n\r\n", false));
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.readHead()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
        c.send("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.readHead()).isEqualTo("HTTP/1.1 204 No Content\r\n\r\n");
        c.send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.readHead()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
        assertThat(b1.connections()).isEqualTo(1);
        assertNothingInFlight();
    }

    @Test
    void relaysInterimResponsesBeforeTheFinalOne() throws IOException {
        scripted("b1", head -> new HttpFixtureBackend.Reply("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false));
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.readHead()).isEqualTo("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n");
        Response r = c.read();
        assertThat(r.status()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(r.body()).isEqualTo("ok");
        assertNothingInFlight();
    }

    @Test
    void aClientOnHttp10GetsNoInterimResponse() throws IOException {
        scripted("b1", head -> new HttpFixtureBackend.Reply("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false));
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("GET / HTTP/1.0\r\n\r\n");
        assertThat(new String(c.readToEof(), StandardCharsets.ISO_8859_1))
                .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nconnection: close\r\n\r\nok");
        assertNothingInFlight();
    }

    static Stream<Arguments> malformedResponses() {
        return Stream.of(
                Arguments.of("Content-Length and Transfer-Encoding",
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"),
                Arguments.of("length with a sign", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok"),
                Arguments.of("obs-fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"),
                Arguments.of("space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"),
                Arguments.of("bad status line", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("not HTTP", "SSH-2.0-OpenSSH\r\n\r\n"),
                Arguments.of("101 to a plain request", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedResponses")
    void answers502ToAMalformedResponse(String name, String response) throws IOException {
        scripted("b1", head -> new HttpFixtureBackend.Reply(response, false));
        startProxy(HttpProxySettings.DEFAULT);
        Client c = client();
        c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
        Response r = c.read();
        assertThat(r.status()).isEqualTo("HTTP/1.1 502 Bad Gateway");
        assertThat(backend("b1").errors(ErrorKind.PROTOCOL)).isEqualTo(1);
        assertNothingInFlight();
    }

    // ---- raw-socket client ----

    /** One HTTP response as the client saw it. */
    record Response(String status, Map<String, String> headers, byte[] bytes) {
        String body() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(15_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        String readHead() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                String s = head.toString(StandardCharsets.ISO_8859_1);
                if (s.endsWith("\r\n\r\n")) {
                    return s;
                }
            }
            throw new IOException("eof in head: " + head.toString(StandardCharsets.ISO_8859_1));
        }

        Response read() throws IOException {
            String head = readHead();
            String[] lines = head.split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).toLowerCase(), lines[i].substring(colon + 1).strip());
            }
            byte[] body;
            if (headers.containsKey("content-length")) {
                int n = Integer.parseInt(headers.get("content-length"));
                body = in.readNBytes(n);
                if (body.length < n) {
                    throw new IOException("eof in body");
                }
            } else if ("chunked".equals(headers.get("transfer-encoding"))) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                while (true) {
                    int size = Integer.parseInt(line().split(";")[0], 16);
                    if (size == 0) {
                        while (!line().isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    b.write(in.readNBytes(size));
                    line();
                }
                body = b.toByteArray();
            } else {
                body = in.readAllBytes();
            }
            return new Response(lines[0], headers, body);
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                sb.append((char) b);
            }
            return sb.toString().strip();
        }

        byte[] readToEof() throws IOException {
            return in.readAllBytes();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
