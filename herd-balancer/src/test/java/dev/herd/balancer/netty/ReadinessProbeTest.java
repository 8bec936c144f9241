package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.sun.net.httpserver.HttpServer;

/** The one-shot probe against real listeners: one that accepts, a closed port, an HTTP fixture. */
@Timeout(60)
class ReadinessProbeTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final ReadinessProbe probe = ReadinessProbe.create();
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        probe.close();
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private static boolean answer(CompletableFuture<Boolean> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    @Test
    void aTcpProbeIsTrueWhenThePortAcceptsAndFalseWhenItRefuses() throws Exception {
        ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(listening);

        assertThat(answer(probe.probe((InetSocketAddress) listening.getLocalSocketAddress(), null, TIMEOUT))).isTrue();
        assertThat(answer(probe.probe(TcpFixtureServer.deadAddress(), null, TIMEOUT))).isFalse();
    }

    @Test
    void anHttpProbeIsTrueOnlyFor2xx() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            int status = switch (exchange.getRequestURI().getPath()) {
                case "/ready" -> 200;
                case "/moved" -> 302;
                default -> 503;
            };
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        closeables.add(() -> server.stop(0));
        InetSocketAddress address = server.getAddress();

        assertThat(answer(probe.probe(address, "/ready", TIMEOUT))).isTrue();
        assertThat(answer(probe.probe(address, "/starting", TIMEOUT))).isFalse();
        assertThat(answer(probe.probe(address, "/moved", TIMEOUT))).as("a redirect is no sign of readiness").isFalse();
        assertThat(answer(probe.probe(TcpFixtureServer.deadAddress(), "/ready", TIMEOUT))).isFalse();
    }

    @Test
    void aServerThatNeverAnswersIsFalseOnceTheTimeRunsOut() throws Exception {
        // Connections complete in the backlog, but nobody reads or answers.
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(silent);

        assertThat(answer(probe.probe((InetSocketAddress) silent.getLocalSocketAddress(), "/ready",
                Duration.ofMillis(200)))).isFalse();
    }

    @Test
    void aProbePendingWhenClosedAnswersFalseAndLaterOnesToo() throws Exception {
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(silent);
        InetSocketAddress address = (InetSocketAddress) silent.getLocalSocketAddress();
        CompletableFuture<Boolean> pending = probe.probe(address, "/ready", Duration.ofMinutes(5));

        probe.close();

        assertThat(answer(pending)).isFalse();
        assertThat(answer(probe.probe(address, null, TIMEOUT))).isFalse();
    }

    @Test
    void rejectsABadPathOrTimeoutAtOnce() {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 9);
        assertThatThrownBy(() -> probe.probe(any, "ready", TIMEOUT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> probe.probe(any, null, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }
}
