package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.sun.net.httpserver.HttpServer;

import dev.herd.balancer.AdminState;
import dev.herd.balancer.Backend;
import dev.herd.balancer.Health;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;

@Timeout(60)
class HealthCheckerTest {

    private static final Duration FAST = Duration.ofMillis(50);

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void anHttpCheckFollowsTheStatusBothWays() throws Exception {
        AtomicInteger status = new AtomicInteger(200);
        List<String> requests = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/health", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " host=" + exchange.getRequestHeaders().getFirst("Host")
                    + " connection=" + exchange.getRequestHeaders().getFirst("Connection"));
            byte[] body = "ok".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(status.get(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        closeables.add(() -> server.stop(0));
        Backend backend = backend(server.getAddress());
        HealthChecker checker = checker(new HealthCheckSettings("/health", FAST, Duration.ofSeconds(1), 2, 3));

        checker.start(() -> List.of(backend));

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.HEALTHY);
        status.set(500);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.UNHEALTHY);
        status.set(301);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.HEALTHY);
        int port = server.getAddress().getPort();
        assertThat(requests).first().isEqualTo("GET /health host=" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port + " connection=close");
    }

    @Test
    void aTcpCheckPassesOnAListeningPort() throws Exception {
        ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(listening);
        Backend backend = backend((InetSocketAddress) listening.getLocalSocketAddress());
        HealthChecker checker = checker(new HealthCheckSettings(null, FAST, Duration.ofSeconds(1), 2, 3));

        checker.start(() -> List.of(backend));

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.HEALTHY);
    }

    @Test
    void aTcpCheckOfAClosedPortGoesUnhealthy() throws Exception {
        Backend backend = backend(TcpFixtureServer.deadAddress());
        backend.setHealth(Health.HEALTHY);
        HealthChecker checker = checker(new HealthCheckSettings(null, FAST, Duration.ofSeconds(1), 2, 3));

        checker.start(() -> List.of(backend));

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.UNHEALTHY);
    }

    @Test
    void anHttpCheckThatGetsNoAnswerTimesOut() throws Exception {
        // Connections complete in the backlog but nobody ever reads or answers.
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(silent);
        Backend backend = backend((InetSocketAddress) silent.getLocalSocketAddress());
        HealthChecker checker = checker(new HealthCheckSettings("/", FAST, Duration.ofMillis(100), 1, 1));

        checker.start(() -> List.of(backend));

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.UNHEALTHY);
    }

    @Test
    void closeStopsTheChecks() throws Exception {
        AtomicInteger hits = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            hits.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        closeables.add(() -> server.stop(0));
        Backend backend = backend(server.getAddress());
        HealthChecker checker = checker(new HealthCheckSettings("/", FAST, Duration.ofSeconds(1), 1, 1));
        checker.start(() -> List.of(backend));
        await().atMost(Duration.ofSeconds(10)).until(() -> hits.get() >= 2);

        checker.close();
        int afterClose = hits.get();

        // At most the check in flight when it closed still reaches the server.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> hits.get() <= afterClose + 1);
        assertThatThrownBy(() -> checker.start(() -> List.of(backend))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aBackendInMaintenanceIsNotCheckedUntilAdmittedAndTheListenerHearsEachChangeOnce() throws Exception {
        AtomicInteger hits = new AtomicInteger();
        AtomicInteger status = new AtomicInteger(200);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            hits.incrementAndGet();
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        server.start();
        closeables.add(() -> server.stop(0));
        InetSocketAddress address = server.getAddress();
        Backend backend = new Backend("b", null, address, 1, AdminState.MAINTENANCE, 0, 1);
        List<String> changes = new CopyOnWriteArrayList<>();
        HealthChecker checker = new HealthChecker(group, NioSocketChannel::new,
                new HealthCheckSettings("/", FAST, Duration.ofSeconds(1), 1, 2), System::nanoTime,
                (b, from, to) -> changes.add(b.id() + " " + from + " -> " + to));
        closeables.add(checker);
        checker.start(() -> List.of(backend));

        await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2)).until(() -> hits.get() == 0);
        backend.setAdmin(AdminState.READY, System.nanoTime());
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.HEALTHY);
        status.set(503);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.UNHEALTHY);
        // Failing checks go on; the change was told once.
        int seen = hits.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> hits.get() >= seen + 3);

        assertThat(changes).containsExactly("b UNKNOWN -> HEALTHY", "b HEALTHY -> UNHEALTHY");
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheChecks() throws Exception {
        ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(listening);
        Backend backend = backend((InetSocketAddress) listening.getLocalSocketAddress());
        AtomicInteger calls = new AtomicInteger();
        HealthChecker checker = new HealthChecker(group, NioSocketChannel::new,
                new HealthCheckSettings(null, FAST, Duration.ofSeconds(1), 1, 1), System::nanoTime, (b, from, to) -> {
                    calls.incrementAndGet();
                    throw new IllegalStateException("a listener's bug");
                });
        closeables.add(checker);
        checker.start(() -> List.of(backend));
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.HEALTHY);

        listening.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.health() == Health.UNHEALTHY);
        assertThat(calls).hasValue(2);
    }

    @Test
    void rejectsInvalidSettings() {
        assertThatThrownBy(() -> new HealthCheckSettings("health", FAST, FAST, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HealthCheckSettings("/a b", FAST, FAST, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HealthCheckSettings(null, Duration.ZERO, FAST, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HealthCheckSettings(null, FAST, FAST, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsesStatusLines() {
        assertThat(HealthProbe.passes("HTTP/1.1 200 OK")).isTrue();
        assertThat(HealthProbe.passes("HTTP/1.0 302 Found")).isTrue();
        assertThat(HealthProbe.passes("HTTP/1.1 204")).isTrue();
        assertThat(HealthProbe.passes("HTTP/1.1 404 Not Found")).isFalse();
        assertThat(HealthProbe.passes("HTTP/1.1 503 Unavailable")).isFalse();
        assertThat(HealthProbe.passes("HTTP/1.1 199 Weird")).isFalse();
        assertThat(HealthProbe.passes("SSH-2.0-OpenSSH_9.6")).isFalse();
        assertThat(HealthProbe.passes("HTTP/1.1 2x0 OK")).isFalse();
        assertThat(HealthProbe.passes("HTTP/1.1 302 Found", false)).as("readiness wants 2xx").isFalse();
        assertThat(HealthProbe.passes("HTTP/1.1 204", false)).isTrue();
        assertThat(HealthProbe.hostHeader(new InetSocketAddress("::1", 8080))).isEqualTo("[0:0:0:0:0:0:0:1]:8080");
    }

    private HealthChecker checker(HealthCheckSettings settings) {
        HealthChecker checker = new HealthChecker(group, NioSocketChannel::new, settings, System::nanoTime);
        closeables.add(checker);
        return checker;
    }

    private static Backend backend(InetSocketAddress address) {
        return new Backend(address.getHostString() + ":" + address.getPort(), address, 1, 0, 1);
    }

}
