package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.hit.ErrorKind;
import dev.herd.hit.Exchange;
import dev.herd.hit.HitClient;
import dev.herd.hit.HitPlan;
import dev.herd.hit.HitSummary;

/** {@code herd hit} against real HTTP servers on loopback: in-process through its Java API, and as the herd command. */
class HitIT {

    static {
        // Without TCP_NODELAY each small response waits for a delayed ACK; read once, when the server class loads.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    private final List<HttpServer> servers = new ArrayList<>();
    private final List<ExecutorService> pools = new ArrayList<>();
    private final List<ServerSocket> closers = new ArrayList<>();
    /** Released when the test ends, so that a stalled handler lets its server stop. */
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stopServers() {
        release.countDown();
        servers.forEach(s -> s.stop(0));
        pools.forEach(ExecutorService::shutdownNow);
        for (ServerSocket s : closers) {
            try {
                s.close();
            } catch (IOException e) {
                // Closed already.
            }
        }
    }

    @Test
    void aSequentialRunAnswersInOrderAndTalliesEachWorker() throws Exception {
        AtomicInteger n = new AtomicInteger();
        URI url = serve(ex -> answer(ex, 200, "Hello from worker " + (4310 + n.getAndIncrement() % 3) + "\n"));
        List<Exchange> seen = Collections.synchronizedList(new ArrayList<>());
        HitSummary s = new HitClient(HitPlan.sequential(url, 30)).run(seen::add);
        assertThat(seen).extracting(Exchange::number).containsExactlyElementsOf(range(1, 30));
        assertThat(seen.get(0).firstLine()).isEqualTo("Hello from worker 4310");
        assertThat(seen.get(1).instance()).isEqualTo("4311");
        assertThat(s.requests()).isEqualTo(30);
        assertThat(s.errors().total()).isZero();
        assertThat(s.instances()).containsExactlyInAnyOrder(new HitSummary.InstanceShare("4310", 10, 1.0 / 3),
                new HitSummary.InstanceShare("4311", 10, 1.0 / 3), new HitSummary.InstanceShare("4312", 10, 1.0 / 3));
    }

    @Test
    void theInstanceHeaderWinsAndKeepAliveDecidesTheConnections() throws Exception {
        AtomicInteger n = new AtomicInteger();
        Set<Integer> ports = Collections.synchronizedSet(new HashSet<>());
        List<String> connectionHeaders = Collections.synchronizedList(new ArrayList<>());
        URI url = serve(ex -> {
            ports.add(ex.getRemoteAddress().getPort());
            connectionHeaders.add(String.valueOf(ex.getRequestHeaders().getFirst("Connection")));
            ex.getResponseHeaders().set("X-Herd-Instance", n.getAndIncrement() % 2 == 0 ? "a" : "b");
            answer(ex, 200, "Hello from worker 99\n");
        });
        HitSummary kept = new HitClient(plan(url, 4, 200, 0, true, TIMEOUT)).run(e -> { });
        assertThat(kept.errors().total()).isZero();
        assertThat(kept.instances()).extracting(HitSummary.InstanceShare::instance, HitSummary.InstanceShare::requests)
                .containsExactlyInAnyOrder(tuple("a", 100L), tuple("b", 100L));
        assertThat(ports).as("4 kept-alive connections").hasSizeLessThanOrEqualTo(4);
        assertThat(connectionHeaders).containsOnly("null");

        ports.clear();
        connectionHeaders.clear();
        HitSummary fresh = new HitClient(plan(url, 4, 200, 0, false, TIMEOUT)).run(e -> { });
        assertThat(fresh.requests()).isEqualTo(200);
        assertThat(fresh.errors().total()).isZero();
        assertThat(ports).as("a new connection per request").hasSize(200);
        assertThat(connectionHeaders).hasSize(200).containsOnly("close");
    }

    @Test
    void errorsAreCountedByKind() throws Exception {
        HitSummary refused = new HitClient(HitPlan.sequential(closedPort(), 3)).run(e -> { });
        assertThat(refused.errors()).isEqualTo(new HitSummary.Errors(3, 3, 0, 0, 0, 0, Map.of()));

        URI failing = serve(ex -> answer(ex, 500, "boom\n"));
        List<Exchange> seen = Collections.synchronizedList(new ArrayList<>());
        HitSummary non2xx = new HitClient(HitPlan.sequential(failing, 4)).run(seen::add);
        assertThat(non2xx.errors()).isEqualTo(new HitSummary.Errors(4, 0, 0, 0, 4, 0, Map.of(500, 4L)));
        assertThat(seen).extracting(Exchange::status, Exchange::firstLine).containsOnly(tuple(500, "boom"));
        assertThat(non2xx.instances()).isEmpty();

        URI stalled = serve(ex -> {
            awaitRelease();
            answer(ex, 200, "late\n");
        });
        HitSummary timedOut = new HitClient(plan(stalled, 1, 2, 0, true, Duration.ofMillis(300))).run(seen::add);
        assertThat(timedOut.errors()).isEqualTo(new HitSummary.Errors(2, 0, 0, 2, 0, 0, Map.of()));
        assertThat(seen.subList(4, 6)).extracting(Exchange::error).containsOnly(ErrorKind.TIMEOUT);

        URI hangingUp = serve(ex -> ex.getHttpContext().getServer().stop(0));
        HitSummary reset = new HitClient(HitPlan.sequential(hangingUp, 1)).run(e -> { });
        assertThat(reset.errors().total()).isEqualTo(1);
        assertThat(reset.errors().reset()).isEqualTo(1);
    }

    /**
     * A server that answers the first request of each connection, kept alive, and closes the
     * connection without a word when the next one arrives: the race of a connection closed as idle
     * just as a request goes out on it.
     */
    private URI closesKeptAliveConnections() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ExecutorService pool = Executors.newCachedThreadPool();
        pools.add(pool);
        pool.execute(() -> {
            while (!server.isClosed()) {
                try {
                    java.net.Socket c = server.accept();
                    pool.execute(() -> {
                        try (c) {
                            java.io.BufferedReader in = new java.io.BufferedReader(
                                    new java.io.InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII));
                            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                                // The first request's head.
                            }
                            c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfirst\n"
                                    .getBytes(StandardCharsets.US_ASCII));
                            in.readLine();
                        } catch (IOException e) {
                            // The client went away.
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        closers.add(server);
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/");
    }

    @Test
    void aKeptAliveConnectionClosedUnderAnIdempotentRequestIsRetriedOnceOnANewOneAndCounted() throws Exception {
        URI racy = closesKeptAliveConnections();

        HitSummary retried = new HitClient(new HitPlan(racy, 1, 3, null, 0, true, TIMEOUT, "GET", List.of(), null, true))
                .run(e -> { });
        assertThat(retried.ok()).isEqualTo(3);
        assertThat(retried.errors().total()).isZero();
        assertThat(retried.retried()).as("requests 2 and 3 went on a kept-alive connection first").isEqualTo(2);
        Outcome cli = herd("hit", racy.toString(), "-n", "3", "-q", "--retry");
        assertThat(cli.exit()).isZero();
        assertThat(cli.out()).contains("3 requests in").contains(", 0 failed")
                .contains("retried 2: a kept-alive connection closed before any byte of the answer");

        HitSummary strict = new HitClient(HitPlan.sequential(racy, 3)).run(e -> { });
        assertThat(strict.retried()).isZero();
        assertThat(strict.errors().reset()).as("without --retry they fail, as wrk counts them").isEqualTo(1);

        HitSummary post = new HitClient(new HitPlan(racy, 1, 2, null, 0, true, TIMEOUT, "POST", List.of(), "x", true))
                .run(e -> { });
        assertThat(post.retried()).as("POST is not idempotent").isZero();
        assertThat(post.errors().reset()).isEqualTo(1);
    }

    /**
     * The second request stalls 1.5 s at 20 requests/s: the open loop charges the stall to each of
     * the ~30 requests due during it, from its due time, instead of one slow request among fast ones.
     */
    @Test
    void anOpenLoopCountsTheStallInEveryRequestItDelayed() throws Exception {
        AtomicInteger n = new AtomicInteger();
        URI url = serve(ex -> {
            if (n.incrementAndGet() == 2) {
                sleep(1500);
            }
            answer(ex, 200, "Hello from worker 1\n");
        });
        List<Exchange> seen = Collections.synchronizedList(new ArrayList<>());
        HitSummary s = new HitClient(plan(url, 1, 40, 20, true, TIMEOUT)).run(seen::add);
        assertThat(s.requests()).isEqualTo(40);
        assertThat(s.errors().total()).isZero();
        assertThat(s.rate()).isEqualTo(20.0);
        // Request 3 was due 50 ms after request 2 and could only go once request 2 was answered.
        assertThat(seen.get(1).latencyNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(1500).toNanos());
        assertThat(seen.get(2).latencyNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(1400).toNanos());
        assertThat(seen.get(10).latencyNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(1000).toNanos());
        // 30 of 40 requests were held up, by 50 ms to 1.5 s: without correction p50 and p90 would be the fast ones'.
        assertThat(s.latency().p50()).isGreaterThanOrEqualTo(450.0);
        assertThat(s.latency().p90()).isGreaterThanOrEqualTo(1000.0);
        assertThat(s.latency().max()).isGreaterThanOrEqualTo(1500.0);
    }

    @Test
    void herdHitPrintsEachAnswerThenTheTallyAndExitsZero() throws Exception {
        AtomicInteger n = new AtomicInteger();
        URI url = serve(ex -> answer(ex, 200, "Hello from worker " + (4310 + n.getAndIncrement() % 3) + "\n"));
        Outcome run = herd("hit", url.toString(), "-n", "6", "--report", tmp.resolve("hit.html").toString());
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.subList(0, 6)).containsExactly("Response #1: Hello from worker 4310",
                "Response #2: Hello from worker 4311", "Response #3: Hello from worker 4312",
                "Response #4: Hello from worker 4310", "Response #5: Hello from worker 4311",
                "Response #6: Hello from worker 4312");
        assertThat(lines.get(6)).startsWith("6 requests in ").endsWith(", 0 failed");
        assertThat(run.out()).contains("3 instances answered:").containsPattern("\\n  4310 +2 +33\\.3%");
        String html = Files.readString(tmp.resolve("hit.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg ", "4310", "33.3%");
    }

    @Test
    void herdHitSaysWhatFailedAsJsonAndExitsNonZero() throws Exception {
        Outcome refused = herd("hit", closedPort().toString(), "-n", "2", "--json");
        assertThat(refused.exit()).isEqualTo(1);
        JsonNode json = new ObjectMapper().readTree(refused.out());
        assertThat(json.path("requests").asLong()).isEqualTo(2);
        assertThat(json.path("errors").path("refused").asLong()).isEqualTo(2);

        URI url = serve(ex -> answer(ex, 200, "{\"pid\": 7, \"uptime\": 3}\n"));
        Outcome paced = herd("hit", url.toString(), "--rate", "50", "-d", "1s", "-c", "2", "--json");
        assertThat(paced.exit()).as(paced.err()).isZero();
        JsonNode p = new ObjectMapper().readTree(paced.out());
        assertThat(p.path("requests").asLong()).as("due at 0, 20 ms, ... 980 ms").isEqualTo(50);
        assertThat(p.path("instances").get(0).path("instance").asText()).isEqualTo("7");

        Outcome bad = herd("hit", url.toString(), "-d", "20");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err().strip()).isEqualTo("herd: -d: expected a duration with a unit such as 500ms, 20s or 2m, got '20'");
    }

    /** Ctrl-C and SIGTERM go through the same shutdown hook: stop sending, print what was counted. */
    @Test
    void aStoppedRunPrintsTheSummarySoFar() throws Exception {
        AtomicInteger n = new AtomicInteger();
        URI url = serve(ex -> {
            n.incrementAndGet();
            answer(ex, 200, "Hello from worker 5\n");
        });
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.addAll(List.of("hit", url.toString(), "-d", "60s", "--rate", "100"));
        Path out = tmp.resolve("stopped.out");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            // One connection: the 21st request is sent only once the 20th answer was counted.
            await().atMost(Duration.ofSeconds(30)).until(() -> n.get() >= 21);
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        List<String> lines = Files.readAllLines(out);
        assertThat(lines.get(0)).as(String.join("\n", lines)).startsWith("stopped: ").endsWith(", 0 failed");
        assertThat(lines).contains("1 instance answered:");
        long counted = Long.parseLong(lines.get(0).split(" ")[1]);
        assertThat(counted).isBetween(20L, (long) n.get());
    }

    /** examples/Client.java runs on a plain JDK, as the README says. */
    @Test
    void theExampleClientRunsWithoutABuild() throws Exception {
        AtomicInteger n = new AtomicInteger();
        URI url = serve(ex -> answer(ex, 200, "Hello from worker " + (1 + n.getAndIncrement() % 2) + "\n"));
        Path client = Path.of(System.getProperty("user.dir")).resolveSibling("examples").resolve("Client.java");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                client.toString(), url.toString(), "4").redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text.lines().toList()).containsExactly("Response #1: Hello from worker 1",
                "Response #2: Hello from worker 2", "Response #3: Hello from worker 1", "Response #4: Hello from worker 2",
                "Load balancer test completed: 4 of 4 answered 2xx.", "  worker 1: 2", "  worker 2: 2");
    }

    /** What a herd command printed and returned. */
    private record Outcome(int exit, String out, String err) {
    }

    private Outcome herd(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("herd " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Outcome(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static HitPlan plan(URI url, int connections, long count, double rate, boolean keepAlive, Duration timeout) {
        return new HitPlan(url, connections, count, null, rate, keepAlive, timeout, "GET", List.of(), null);
    }

    private URI serve(HttpHandler handler) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/", handler);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        server.setExecutor(pool);
        server.start();
        servers.add(server);
        pools.add(pool);
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static URI closedPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + probe.getLocalPort() + "/");
        }
    }

    private void awaitRelease() {
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The server's own stall, the behaviour under test, not a wait in the test. */
    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }
}
