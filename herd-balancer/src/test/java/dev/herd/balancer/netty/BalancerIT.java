package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import dev.herd.balancer.AdminState;
import dev.herd.balancer.Algorithm;
import dev.herd.balancer.Backend;
import dev.herd.balancer.Health;
import io.netty.channel.uring.IoUring;

/**
 * The facade as a user embeds it: real fixture servers that answer with their id, real clients;
 * on the default transport and on io_uring.
 */
@ParameterizedClass
@EnumSource(value = Balancer.Transport.class, names = {"EPOLL", "IO_URING"})
class BalancerIT {

    @Parameter
    Balancer.Transport transport;

    private final List<HttpServer> servers = new ArrayList<>();
    private final List<Balancer> balancers = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void needsTheTransport() {
        // Balancer would fall back to epoll (with a log line), and the io_uring run would test nothing new.
        if (transport == Balancer.Transport.IO_URING) {
            Assumptions.assumeTrue(IoUring.isAvailable(), () -> "io_uring not available here: " + IoUring.unavailabilityCause());
        }
    }

    @AfterEach
    void tearDown() {
        balancers.forEach(Balancer::close);
        servers.forEach(s -> s.stop(0));
    }

    private int fixture(String id, CountDownLatch hold) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/", exchange -> {
            if (hold != null && exchange.getRequestURI().getPath().equals("/slow")) {
                try {
                    hold.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = id.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        servers.add(server);
        return server.getAddress().getPort();
    }

    private Balancer start(Balancer.Builder b) throws IOException, InterruptedException {
        Balancer balancer = b.listen(new InetSocketAddress("127.0.0.1", 0)).transport(transport).threads(2).start();
        balancers.add(balancer);
        assertRunsOnIoUringWhenAsked(balancer);
        return balancer;
    }

    /** io_uring is available (see needsTheTransport) and, unlike epoll, serves tcp mode too: no fallback. */
    private void assertRunsOnIoUringWhenAsked(Balancer balancer) {
        if (transport == Balancer.Transport.IO_URING) {
            assertThat(balancer.transport()).isEqualTo(Balancer.Transport.IO_URING);
        }
    }

    private HttpResponse<String> get(Balancer balancer, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + balancer.localAddress().getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void roundRobinAnswersFromEachBackendInTurn() throws Exception {
        Balancer.Builder b = Balancer.builder().algorithm(Algorithm.ROUND_ROBIN);
        for (String id : List.of("a", "b", "c")) {
            b.backend(new Balancer.BackendAddress("127.0.0.1", fixture(id, null), 1));
        }
        Balancer balancer = start(b);
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            HttpResponse<String> r = get(balancer, "/");
            assertThat(r.statusCode()).isEqualTo(200);
            answers.add(r.body());
        }
        assertThat(answers.subList(0, 3)).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(answers.subList(3, 6)).isEqualTo(answers.subList(0, 3));
        assertThat(answers.subList(6, 9)).isEqualTo(answers.subList(0, 3));
        await().atMost(Duration.ofSeconds(5)).until(() -> balancer.backends().stream().allMatch(x -> x.active() == 0));
        assertThat(balancer.backends()).allSatisfy(x -> assertThat(x.requests()).isEqualTo(3));
    }

    @Test
    void noBackendAvailableIsAFast503() throws Exception {
        Balancer balancer = start(Balancer.builder().backend(new Balancer.BackendAddress("127.0.0.1", fixture("a", null), 1)));
        balancer.drain("127.0.0.1:" + servers.get(0).getAddress().getPort()).get(5, TimeUnit.SECONDS);
        HttpResponse<String> r = get(balancer, "/");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).containsIgnoringCase("no backend");
        assertThat(balancer.unavailable()).as("counted apart from the backends' errors").isEqualTo(1);
        assertThat(balancer.backends().get(0).stats().errors().values()).containsOnly(0L);
    }

    @Test
    void drainingWaitsForInFlightRequestsAndSendsNoNewOnes() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        int slowPort = fixture("slow", hold);
        int otherPort = fixture("other", null);
        Balancer balancer = start(Balancer.builder().algorithm(Algorithm.ROUND_ROBIN)
                .backend(new Balancer.BackendAddress("127.0.0.1", slowPort, 1))
                .backend(new Balancer.BackendAddress("127.0.0.1", otherPort, 1)));
        String slowId = "127.0.0.1:" + slowPort;
        // Round-robin: of two requests for /slow, one lands on the held backend and stays in flight.
        CompletableFuture<HttpResponse<String>> inFlight = null;
        for (int i = 0; i < 2 && inFlight == null; i++) {
            CompletableFuture<HttpResponse<String>> f = client.sendAsync(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + balancer.localAddress().getPort() + "/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(5)).until(() -> f.isDone() || activeOf(balancer, slowId) == 1);
            if (!f.isDone()) {
                inFlight = f;
            }
        }
        assertThat(inFlight).as("a request held by the slow backend").isNotNull();
        CompletableFuture<Void> drained = balancer.drain(slowId);
        assertThat(drained).isNotDone();
        for (int i = 0; i < 4; i++) {
            assertThat(get(balancer, "/").body()).isEqualTo("other");
        }
        hold.countDown();
        drained.get(10, TimeUnit.SECONDS);
        assertThat(inFlight.get(10, TimeUnit.SECONDS).body()).isEqualTo("slow");
    }

    @Test
    void aCallerGivingUpOnADrainLeavesTheDrainAndTheRemovalGoing() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        int slowPort = fixture("slow", hold);
        Balancer balancer = start(Balancer.builder().backend(new Balancer.BackendAddress("127.0.0.1", slowPort, 1)));
        String slowId = "127.0.0.1:" + slowPort;
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + balancer.localAddress().getPort() + "/slow")).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> activeOf(balancer, slowId) == 1);

        // What a cluster manager with a deadline writes; orTimeout completes the future it is given.
        CompletableFuture<Void> gaveUp = balancer.drain(slowId).orTimeout(1, TimeUnit.MILLISECONDS);
        await().atMost(Duration.ofSeconds(5)).until(gaveUp::isDone);
        CompletableFuture<Void> removed = balancer.removeBackend(slowId);
        assertThat(removed).isNotDone();
        hold.countDown();

        removed.get(10, TimeUnit.SECONDS);
        assertThat(balancer.backends()).isEmpty();
        assertThat(inFlight.get(10, TimeUnit.SECONDS).body()).isEqualTo("slow");
    }

    @Test
    void gracefulShutdownFinishesInFlightRequestsAndRefusesNewConnections() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        Balancer balancer = Balancer.builder().listen(new InetSocketAddress("127.0.0.1", 0)).transport(transport).threads(1)
                .backend(new Balancer.BackendAddress("127.0.0.1", fixture("only", hold), 1)).start();
        balancers.add(balancer);
        assertRunsOnIoUringWhenAsked(balancer);
        int port = balancer.localAddress().getPort();
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/slow")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> balancer.backends().get(0).active() == 1);

        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> balancer.shutdownGracefully(Duration.ofSeconds(20)));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            try (java.net.Socket s = new java.net.Socket()) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.1", port), 500))
                        .isInstanceOf(IOException.class);
            }
        });
        assertThat(shutdown).isNotDone();
        hold.countDown();
        assertThat(inFlight.get(10, TimeUnit.SECONDS).body()).isEqualTo("only");
        shutdown.get(10, TimeUnit.SECONDS);
    }

    /**
     * A tcp connection still connecting to its backend when the stop begins is waited for: the
     * backend's accept queue is full, so the connect hangs until the test makes room and the
     * kernel's SYN retransmission gets through.
     */
    @Test
    void tcpGracefulShutdownWaitsForAConnectionStillConnecting() throws Exception {
        ServerSocket backend = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", backend.getLocalPort());
        List<Socket> fillers = AcceptQueue.fill(address);
        try (backend) {
            Balancer balancer = start(Balancer.builder().mode(Balancer.Mode.TCP)
                    .backend(new Balancer.BackendAddress("127.0.0.1", address.getPort(), 1)));
            try (Socket client = new Socket("127.0.0.1", balancer.localAddress().getPort())) {
                client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                // Accepted, not just queued: closing the listener would reset a queued connection.
                await().atMost(Duration.ofSeconds(5)).until(() -> balancer.openConnections() == 1);
                CompletableFuture<Void> shutdown = CompletableFuture.runAsync(
                        () -> balancer.shutdownGracefully(Duration.ofSeconds(20)));
                // Nothing is connected yet, but a client waits.
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !shutdown.isDone());
                backend.setSoTimeout(10_000);
                for (Socket f : fillers) {
                    backend.accept().close();
                    f.close();
                }
                try (Socket relayed = backend.accept()) {
                    relayed.getOutputStream().write(relayed.getInputStream().readNBytes(5));
                }
                client.setSoTimeout(10_000);
                assertThat(new String(client.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("hello");
                client.close();
                shutdown.get(10, TimeUnit.SECONDS);
            }
        } finally {
            for (Socket f : fillers) {
                f.close();
            }
        }
    }

    @Test
    void tcpModeRelaysPerConnection() throws Exception {
        Balancer balancer = start(Balancer.builder().mode(Balancer.Mode.TCP)
                .backend(new Balancer.BackendAddress("127.0.0.1", fixture("t1", null), 1))
                .backend(new Balancer.BackendAddress("127.0.0.1", fixture("t2", null), 1)));
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            // A new client per request: tcp mode balances connections, not requests.
            HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            answers.add(fresh.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + balancer.localAddress().getPort() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        }
        assertThat(answers).containsOnly("t1", "t2").contains("t1", "t2");
    }

    @Test
    void activeHealthChecksProbeOverTheBalancersTransport() throws Exception {
        // A probe channel of another transport than the workers' cannot register: it would never pass.
        Balancer balancer = start(Balancer.builder()
                .backend(new Balancer.BackendAddress("127.0.0.1", fixture("h", null), 1))
                .healthCheck(new HealthCheckSettings("/health", Duration.ofMillis(100), Duration.ofSeconds(1), 1, 1)));
        await().atMost(Duration.ofSeconds(5)).until(() -> balancer.backends().get(0).health() == Health.HEALTHY);
    }

    @Test
    void aBackendInMaintenanceGetsNoRequestsUntilAdmittedAndNoneOnceTakenOutAgain() throws Exception {
        Balancer balancer = start(Balancer.builder().algorithm(Algorithm.ROUND_ROBIN)
                .http(HttpProxySettings.DEFAULT.withInstanceHeader("X-Herd-Instance"))
                .backend(new Balancer.BackendAddress("127.0.0.1", fixture("a", null), 1, "0")));
        Balancer.BackendAddress address = new Balancer.BackendAddress("127.0.0.1", fixture("b", null), 1, "1");
        Backend b = balancer.addBackend(address, AdminState.MAINTENANCE);

        assertThat(answers(balancer, 6)).containsOnly("a");
        assertThat(b.requests()).isZero();

        balancer.admit(address.id());
        assertThat(answers(balancer, 6)).containsExactlyInAnyOrder("a", "b", "a", "b", "a", "b");
        HttpResponse<String> named = get(balancer, "/");
        assertThat(named.headers().firstValue("X-Herd-Instance")).hasValue(named.body().equals("a") ? "0" : "1");

        balancer.maintain(address.id());
        assertThat(answers(balancer, 6)).containsOnly("a");
        await().atMost(Duration.ofSeconds(5)).until(() -> b.active() == 0);
        long served = b.requests();
        CompletableFuture<Void> removed = balancer.removeBackend(address.id());
        assertThat(removed).as("nothing in flight in maintenance: removed at once").isCompleted();
        assertThat(balancer.backends()).extracting(Backend::id).doesNotContain(address.id());
        assertThat(b.stats().requests()).isEqualTo(served);
        assertThat(b.stats().admin()).isEqualTo(AdminState.MAINTENANCE);
    }

    @Test
    void aBackendInMaintenanceIsNotHealthCheckedUntilAdmitted() throws Exception {
        List<String> changes = new CopyOnWriteArrayList<>();
        InetSocketAddress dead = TcpFixtureServer.deadAddress();
        Balancer balancer = start(Balancer.builder().algorithm(Algorithm.ROUND_ROBIN)
                .listener((backend, from, to) -> changes.add(backend.id() + " " + from + " -> " + to))
                .healthCheck(new HealthCheckSettings(null, Duration.ofMillis(50), Duration.ofSeconds(1), 1, 1))
                .backend(new Balancer.BackendAddress("127.0.0.1", fixture("a", null), 1)));
        String deadId = "127.0.0.1:" + dead.getPort();
        Backend deadBackend = balancer.addBackend(new Balancer.BackendAddress("127.0.0.1", dead.getPort(), 1),
                AdminState.MAINTENANCE);
        String liveId = balancer.backends().get(0).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> changes.contains(liveId + " UNKNOWN -> HEALTHY"));

        // Checks every 50 ms, one failure enough: checked, it would be unhealthy within a round or two.
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> deadBackend.health() == Health.UNKNOWN);

        balancer.admit(deadId);
        await().atMost(Duration.ofSeconds(10)).until(() -> deadBackend.health() == Health.UNHEALTHY);
        assertThat(changes).containsExactly(liveId + " UNKNOWN -> HEALTHY", deadId + " UNKNOWN -> UNHEALTHY");
    }

    @Test
    void aPassiveCoolDownIsToldOnceAsAChangeToUnhealthy() throws Exception {
        List<String> changes = new CopyOnWriteArrayList<>();
        InetSocketAddress dead = TcpFixtureServer.deadAddress();
        Balancer balancer = start(Balancer.builder().algorithm(Algorithm.ROUND_ROBIN)
                .listener((backend, from, to) -> changes.add(backend.id() + " " + from + " -> " + to))
                .backend(new Balancer.BackendAddress("127.0.0.1", fixture("a", null), 1))
                .backend(new Balancer.BackendAddress("127.0.0.1", dead.getPort(), 1)));

        // The refused connects are retried on the live backend; the cool-down keeps the dead one out after.
        assertThat(answers(balancer, 4)).containsOnly("a");

        assertThat(changes).containsExactly("127.0.0.1:" + dead.getPort() + " UNKNOWN -> UNHEALTHY");
    }

    private List<String> answers(Balancer balancer, int n) throws Exception {
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = get(balancer, "/");
            assertThat(r.statusCode()).isEqualTo(200);
            answers.add(r.body());
        }
        return answers;
    }

    private static int activeOf(Balancer balancer, String id) {
        return balancer.backends().stream().filter(b -> b.id().equals(id)).mapToInt(x -> x.active()).sum();
    }
}
