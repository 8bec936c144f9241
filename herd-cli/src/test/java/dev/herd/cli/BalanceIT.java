package dev.herd.cli;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code herd balance} as a user runs it. */
class BalanceIT {

    @TempDir
    Path tmp;

    /** The port each balancer started by {@link #balance} listens on. */
    private final Map<Process, Integer> ports = new HashMap<>();

    @Test
    void balancesAndStopsGracefullyOnSigterm() throws Exception {
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        backend.createContext("/", ex -> {
            byte[] body = "fixture".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        backend.start();
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.addAll(List.of("balance", "--listen", "127.0.0.1:" + port,
                "--backend", "127.0.0.1:" + backend.getAddress().getPort()));
        Path out = tmp.resolve("balance.out");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            HttpClient client = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                        .version(HttpClient.Version.HTTP_1_1).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).isEqualTo("fixture");
            });
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(Files.readString(out)).isZero();
            assertThat(Files.readString(out)).contains("herd: balancer stopped");
        } finally {
            p.destroyForcibly();
            backend.stop(0);
        }
    }

    /** HAProxy's roundrobin is weighted, and so is herd's: weight 3 gets three turns in four, spread out. */
    @Test
    void roundRobinFollowsTheWeights() throws Exception {
        List<HttpServer> backends = new ArrayList<>();
        for (String id : List.of("a", "b")) {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.createContext("/", ex -> {
                byte[] body = id.getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            backends.add(server);
        }
        Process p = balance("--algorithm", "round-robin",
                "--backend", "127.0.0.1:" + backends.get(0).getAddress().getPort() + ",weight=3",
                "--backend", "127.0.0.1:" + backends.get(1).getAddress().getPort());
        try {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI uri = URI.create("http://127.0.0.1:" + ports.get(p) + "/");
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body());
            }
            // Any 4 turns in a row of a, a, b, a hold one b: never two b's, never a burst of a's longer than 3.
            assertThat(answers.stream().filter("a"::equals).count()).as("%s", answers).isEqualTo(6);
            assertThat(String.join("", answers)).doesNotContain("bb").doesNotContain("aaaa");
        } finally {
            p.destroyForcibly();
            backends.forEach(s -> s.stop(0));
        }
    }

    @Test
    void aTakenPortNamesTheProcessThatHoldsIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Outcome run = herd("balance", "--listen", "127.0.0.1:" + taken.getLocalPort(), "--backend", "127.0.0.1:9");
            assertThat(run.exit()).isEqualTo(1);
            assertThat(run.text().strip()).isEqualTo("herd: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": the port is held by pid " + ProcessHandle.current().pid() + " (java)");
        }
    }

    @Test
    void badArgumentsAreOneLine() throws Exception {
        Outcome run = herd("balance", "--listen", "127.0.0.1:8000", "--backend", "127.0.0.1:9001,weight=zero");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.text().strip()).isEqualTo("herd: --backend 127.0.0.1:9001,weight=zero: expected weight=N (a whole number from 1), got 'weight=zero'");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--backend 127.0.0.1:9001 --backend 127.0.0.1:9001 | herd: --backend: backend 127.0.0.1:9001 is given twice",
        "--backend 127.0.0.1:9001 --max-retries -1 | herd: --max-retries: expected 0 or more, got -1",
        "--backend 127.0.0.1:9001 --connect-timeout 0 | herd: --connect-timeout: must be more than 0 and at most 24 days",
        "--backend 127.0.0.1:9001 --connect-timeout 5 | herd: --connect-timeout: '5' has no unit: write 5s for seconds or 5ms"
            + " for milliseconds",
        "--backend 127.0.0.1:9001 --slow-start 30 | herd: --slow-start: '30' has no unit: write 30s for seconds or 30ms"
            + " for milliseconds",
        "--backend 127.0.0.1:9001 --threads 0 | herd: --threads: expected 1 to 256, got 0",
        "--backend 127.0.0.1:9001 --threads 100000 | herd: --threads: expected 1 to 256, got 100000",
        "--backend 127.0.0.1:9001 --trusted-forward-header bad:name | herd: --trusted-forward-header: 'bad:name' is not a header name",
        "--backend 127.0.0.1:9001 --idle-timeout 0 | herd: --idle-timeout: must be more than 0",
        "--backend 127.0.0.1:9001 --health-check health | herd: --health-check: expected a path starting with '/', got 'health'",
        "--backend 127.0.0.1:9001 --health-check --health-fall 0 | herd: --health-fall: expected 1 or more, got 0",
        "--backend 127.0.0.1:9001 --health-rise 1 | herd: --health-interval, --health-timeout, --health-rise and"
            + " --health-fall need --health-check",
        "--backend 127.0.0.1:9001 --mode tcp --response-timeout 5s | herd: --no-forwarded-headers, --trusted-forward-header,"
            + " --header-timeout and --response-timeout are for --mode http",
    })
    void badNumbersAndRepeatedBackendsAreOneLine(String args, String expected) throws Exception {
        List<String> argv = new ArrayList<>(List.of("balance", "--listen", "127.0.0.1:8000"));
        argv.addAll(List.of(args.split(" ")));
        Outcome run = herd(argv.toArray(String[]::new));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.text().strip()).isEqualTo(expected);
    }

    /** The timeouts reach the balancer: a tcp connection idle for --idle-timeout, an unfinished head after --header-timeout. */
    @Test
    void theTimeoutOptionsTakeEffect() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            Process tcp = balance("--mode", "tcp", "--idle-timeout", "1s", "--backend", "127.0.0.1:" + backend.getLocalPort());
            Process http = balance("--header-timeout", "1s", "--backend", "127.0.0.1:" + backend.getLocalPort());
            try {
                try (Socket idle = connect(tcp)) {
                    idle.setSoTimeout(15_000);
                    assertThat(idle.getInputStream().read()).as("closed for idleness, without a byte").isEqualTo(-1);
                }
                try (Socket slow = connect(http)) {
                    slow.getOutputStream().write("GET / HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
                    slow.setSoTimeout(15_000);
                    String reply = new String(slow.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                    assertThat(reply).startsWith("HTTP/1.1 408 ");
                }
            } finally {
                tcp.destroyForcibly();
                http.destroyForcibly();
            }
        }
    }

    /** A fast check with fall 1 marks a dead backend unhealthy at its first probe, not after the default 3 x 2 s. */
    @Test
    void theHealthCheckOptionsTakeEffect() throws Exception {
        int dead;
        try (ServerSocket probe = new ServerSocket(0)) {
            dead = probe.getLocalPort();
        }
        Process p = balance("--health-check", "--health-interval", "100ms", "--health-fall", "1", "--backend", "127.0.0.1:" + dead);
        try {
            Path out = tmp.resolve("balance-" + ports.get(p) + ".out");
            long started = System.nanoTime();
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(out).contains("herd: balancing"));
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(out).contains("is now unhealthy"));
            assertThat(Files.readString(out)).contains("Backend 127.0.0.1:" + dead + " is now unhealthy (was unknown");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the defaults would take 6 s")
                    .isLessThan(Duration.ofSeconds(5));
        } finally {
            p.destroyForcibly();
        }
    }

    /** What a herd command that ran to its end printed (stdout and stderr together), and its exit code. */
    private record Outcome(int exit, String text) {
    }

    private static Outcome herd(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Outcome(p.waitFor(), text);
    }

    private Process balance(String... args) throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.addAll(List.of("balance", "--listen", "127.0.0.1:" + port));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("balance-" + port + ".out").toFile()).start();
        ports.put(p, port);
        return p;
    }

    /** A connection to the balancer once it listens. */
    private Socket connect(Process balancer) {
        int port = ports.get(balancer);
        return await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> new Socket("127.0.0.1", port),
                s -> s != null);
    }

    @Test
    void anUnresolvableListenHostIsNamed() throws Exception {
        Outcome run = herd("balance", "--listen", "no-such-host.invalid:8000", "--backend", "127.0.0.1:9001");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.text().strip()).isEqualTo("herd: --listen: cannot resolve host 'no-such-host.invalid'");
    }

    @Test
    void helpListsTheTransports() throws Exception {
        Outcome run = herd("balance", "--help");
        assertThat(run.exit()).as(run.text()).isZero();
        assertThat(run.text()).contains("--transport=epoll|io_uring|nio");
    }

    @Test
    void aBadTransportIsOneLine() throws Exception {
        Outcome run = herd("balance", "--listen", "127.0.0.1:8000", "--backend", "127.0.0.1:9001", "--transport", "kqueue");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.text().strip()).isEqualTo("herd: --transport: expected epoll, io_uring or nio, got 'kqueue'");
    }
}
