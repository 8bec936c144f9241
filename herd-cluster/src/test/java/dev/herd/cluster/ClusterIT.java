package dev.herd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.BindException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.cluster.ClusterApp.Member;
import dev.herd.cluster.ClusterApp.Outcome;
import dev.herd.cluster.ClusterApp.Place;
import dev.herd.balancer.TrafficStats;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.ProcessTree;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.Scheduler;
import dev.herd.supervisor.ProcessLauncher;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.StopPolicy;
import dev.herd.supervisor.Supervisor;
import dev.herd.supervisor.Ticker;
import dev.herd.supervisor.logs.LogRegistry;

/** Cluster mode with real node instances, a real balancer on a real public port, and real clients. */
class ClusterIT {

    /** Answers with its pid; {@code /slow} after 2 s; finishes what is in flight on SIGTERM. */
    private static final String SERVER = """
            const http = require('http');
            const server = http.createServer((req, res) => {
              const answer = () => { res.writeHead(200); res.end('Hello from process ' + process.pid + '\\n'); };
              if (req.url === '/slow') setTimeout(answer, 2000); else answer();
            });
            server.listen(process.env.PORT, '127.0.0.1');
            process.on('SIGTERM', () => server.close(() => process.exit(0)));
            """;

    @TempDir
    Path dir;

    private LogRegistry logs;
    private Supervisor supervisor;
    private ProbeReadiness readiness;
    private NotifySockets notify;
    private final List<ClusterApp> apps = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void setUp() {
        logs = new LogRegistry();
        readiness = new ProbeReadiness();
        notify = new NotifySockets(dir.resolve("notify"));
        supervisor = new Supervisor(ProcessLauncher.system(), logs, Ticker.system(), System::currentTimeMillis, Math::random,
                e -> apps.forEach(a -> a.onInstanceEvent(e)));
    }

    @AfterEach
    void tearDown() {
        supervisor.close();
        apps.forEach(a -> a.close().join());
        readiness.close();
        notify.close();
        logs.close();
    }

    private AppSpec node(String name, String source, int instances) throws IOException {
        return node(name, name + ".js", source, instances);
    }

    private AppSpec node(String name, String file, String source, int instances) throws IOException {
        Path script = dir.resolve(file);
        Files.writeString(script, source);
        Map<String, String> env = new HashMap<>(System.getenv());
        return new AppSpec(name, script, Path.of("/usr/bin/env"), List.of("node"), List.of(), dir, env, instances,
                RestartPolicy.DEFAULT, new StopPolicy(Signal.SIGTERM, Duration.ofSeconds(5)),
                new LogPolicy(dir.resolve(name + "-out.log"), dir.resolve(name + "-error.log"), false, null, 0, 0));
    }

    private ClusterApp cluster(AppSpec spec, int publicPort, Duration listenTimeout) {
        ClusterSpec cs = new ClusterSpec("127.0.0.1", publicPort, BalancerSettings.DEFAULT, listenTimeout,
                ClusterSpec.DEFAULT_DRAIN_TIMEOUT, 1);
        ClusterApp app = new ClusterApp(spec, cs, new ClusterApp.Services(supervisor, BalancerPool.factory(),
                PortAllocator.forThisMachine(), readiness, notify, Scheduler.singleThread("cluster-" + spec.name()),
                Ticker.system()));
        apps.add(app);
        return app;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private String get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("status " + r.statusCode() + ": " + r.body());
        }
        return r.body().trim();
    }

    private void awaitAllReady(ClusterApp app, int count) {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            List<Member> m = app.members().join();
            return m.size() == count && m.stream().allMatch(x -> x.place() == Place.READY);
        });
    }

    /** Requests in a loop on a few threads until stopped, counting answers by body and failures. */
    private final class Load implements AutoCloseable {
        final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> threads = new ArrayList<>();

        Load(int port, int threadCount, long maxMillis) {
            long end = System.nanoTime() + maxMillis * 1_000_000L;
            for (int i = 0; i < threadCount; i++) {
                Thread t = new Thread(() -> {
                    while (running.get() && System.nanoTime() - end < 0) {
                        try {
                            answers.computeIfAbsent(get(port, "/"), k -> new AtomicInteger()).incrementAndGet();
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                });
                t.start();
                threads.add(t);
            }
        }

        int total() {
            return answers.values().stream().mapToInt(AtomicInteger::get).sum();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    @Test
    void threeInstancesShareOnePublicPort() throws Exception {
        int port = freePort();
        ClusterApp app = cluster(node("hello", SERVER, 3), port, Duration.ofSeconds(10));
        app.start(true).join();
        awaitAllReady(app, 3);

        Set<String> seen = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 30; i++) {
            seen.add(get(port, "/"));
        }

        assertThat(seen).hasSize(3).allMatch(s -> s.startsWith("Hello from process "));
        assertThat(app.members().join()).extracting(Member::port).doesNotHaveDuplicates().doesNotContain(port);
    }

    @Test
    void eachInstancesTrafficIsMeasuredAndTheTotalsKeepWhatRemovedInstancesServed() throws Exception {
        int port = freePort();
        ClusterApp app = cluster(node("hello", SERVER, 2), port, Duration.ofSeconds(10));
        app.start(true).join();
        awaitAllReady(app, 2);
        for (int i = 0; i < 40; i++) {
            get(port, "/");
        }

        app.sampleTraffic().join();

        Map<Integer, TrafficStats> traffic = app.traffic().join();
        assertThat(traffic).hasSize(2);
        assertThat(traffic.values()).allSatisfy(t -> {
            assertThat(t.requests()).isEqualTo(20);
            assertThat(t.requestsPerSecond()).isPositive();
            assertThat(t.p99Millis()).isPositive();
            assertThat(t.errorCount()).isZero();
        });
        assertThat(app.totals().join().latencyMicros().getTotalCount()).isEqualTo(40);

        Outcome o = app.scale(1, p -> { }).join();
        assertThat(o.succeeded()).isTrue();
        app.sampleTraffic().join();
        TrafficTotals totals = app.totals().join();
        assertThat(app.traffic().join()).hasSize(1);
        assertThat(totals.requests()).as("the removed instance's requests stay counted").isEqualTo(40);
        assertThat(totals.latencyMicros().getTotalCount()).isEqualTo(40);
        assertThat(totals.unavailable()).isZero();
    }

    @Test
    void aReloadUnderLoadFailsNoRequestAndReplacesEveryProcess() throws Exception {
        int port = freePort();
        AppSpec spec = node("hello", SERVER, 2);
        ClusterApp app = cluster(spec, port, Duration.ofSeconds(10));
        app.start(true).join();
        awaitAllReady(app, 2);
        Set<Long> before = Set.copyOf(supervisor.list().stream().map(i -> i.pid()).toList());
        List<String> steps = new CopyOnWriteArrayList<>();
        String slow;

        try (Load load = new Load(port, 4, 60_000)) {
            var slowRequest = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(10)).until(() -> load.total() > 50);
            Outcome outcome = app.reload(spec, p -> steps.add(p.text())).join();
            assertThat(outcome.succeeded()).as(String.join("\n", steps)).isTrue();
            int after = load.total();
            await().atMost(Duration.ofSeconds(10)).until(() -> load.total() > after + 50);
            slow = slowRequest.join().body();
            load.close();
            assertThat(load.failures).isEmpty();
        }

        assertThat(slow).startsWith("Hello from process ");
        Set<Long> now = Set.copyOf(supervisor.list().stream().map(i -> i.pid()).toList());
        assertThat(now).hasSize(2).doesNotContainAnyElementsOf(before);
        before.forEach(pid -> assertThat(ProcessTree.stat(pid).filter(s -> !s.isZombie())).isEmpty());
        assertThat(steps).anyMatch(s -> s.matches("instance 0: new pid \\d+ ready in .*"));
    }

    @Test
    void aNewVersionThatNeverListensFailsTheReloadAndTheOldOnesServe() throws Exception {
        int port = freePort();
        AppSpec spec = node("hello", SERVER, 2);
        ClusterApp app = cluster(spec, port, Duration.ofSeconds(2));
        app.start(true).join();
        awaitAllReady(app, 2);
        AppSpec broken = node("hello", "broken.js", "setInterval(() => {}, 1000);\n", 2);

        try (Load load = new Load(port, 2, 60_000)) {
            Outcome outcome = app.reload(broken, p -> { }).join();
            load.close();
            assertThat(outcome.failure()).contains("not ready within listen_timeout (2.00 s)");
            assertThat(load.failures).isEmpty();
            assertThat(load.total()).isPositive();
        }
        assertThat(app.members().join()).hasSize(2).extracting(Member::place).containsOnly(Place.READY);
        assertThat(get(port, "/")).startsWith("Hello from process ");
    }

    @Test
    void aNewVersionThatCrashesAtStartFailsTheReloadAndTheOldOnesServe() throws Exception {
        int port = freePort();
        ClusterApp app = cluster(node("hello", SERVER, 2), port, Duration.ofSeconds(10));
        app.start(true).join();
        awaitAllReady(app, 2);
        AppSpec crashing = node("hello", "crash.js", "console.error('no config'); process.exit(1);\n", 2);

        try (Load load = new Load(port, 2, 60_000)) {
            Outcome outcome = app.reload(crashing, p -> { }).join();
            load.close();
            assertThat(outcome.failure()).contains("instance 0").contains("exited with code 1");
            assertThat(load.failures).isEmpty();
        }
        assertThat(app.members().join()).hasSize(2).extracting(Member::place).containsOnly(Place.READY);
        assertThat(supervisor.list()).hasSize(2);
    }

    @Test
    void aKilledInstanceLeavesThePoolAndNoRequestFails() throws Exception {
        int port = freePort();
        ClusterApp app = cluster(node("hello", SERVER, 2), port, Duration.ofSeconds(10));
        app.start(true).join();
        awaitAllReady(app, 2);
        long victim = supervisor.list().get(0).pid();

        try (Load load = new Load(port, 4, 60_000)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.total() > 50);
            Posix.kill(victim, Signal.SIGKILL);
            await().atMost(Duration.ofSeconds(20)).until(() -> supervisor.list().get(0).pid() != victim
                    && app.members().join().stream().allMatch(m -> m.place() == Place.READY));
            int after = load.total();
            await().atMost(Duration.ofSeconds(10)).until(() -> load.total() > after + 50);
            load.close();
            assertThat(load.failures).isEmpty();
        }
    }

    @Test
    void scaleUpThenDownUnderLoadFailsNoRequest() throws Exception {
        int port = freePort();
        ClusterApp app = cluster(node("hello", SERVER, 2), port, Duration.ofSeconds(10));
        app.start(true).join();
        awaitAllReady(app, 2);

        try (Load load = new Load(port, 4, 60_000)) {
            assertThat(app.scale(4, p -> { }).join().succeeded()).isTrue();
            assertThat(app.members().join()).hasSize(4);
            assertThat(app.scale(1, p -> { }).join().succeeded()).isTrue();
            int after = load.total();
            await().atMost(Duration.ofSeconds(10)).until(() -> load.total() > after + 20);
            load.close();
            assertThat(load.failures).isEmpty();
            assertThat(load.answers).hasSizeGreaterThanOrEqualTo(3);
        }
        assertThat(app.members().join()).hasSize(1);
        assertThat(supervisor.list()).hasSize(1);
    }

    @Test
    void aWaitReadyInstanceGetsNoTrafficBeforeItSaysReady() throws Exception {
        // Binds at once, says READY=1 on NOTIFY_SOCKET (as sd_notify does) only once its file "warm" exists.
        Path server = dir.resolve("notify.py");
        Files.writeString(server, """
                import http.server, os, socket, threading, time
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        body = ('warm' if os.path.exists('warm') else 'cold').encode()
                        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()
                        self.wfile.write(body)
                    def log_message(self, *a): pass
                s = http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H)
                threading.Thread(target=s.serve_forever, daemon=True).start()
                while not os.path.exists('warm'): time.sleep(0.05)
                n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                n.sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])
                while True: time.sleep(1)
                """);
        AppSpec spec = new AppSpec("notified", server, Path.of("/usr/bin/env"), List.of("python3"), List.of(), dir,
                new HashMap<>(System.getenv()), 1, RestartPolicy.DEFAULT, StopPolicy.DEFAULT,
                new LogPolicy(dir.resolve("n-out.log"), dir.resolve("n-error.log"), false, null, 0, 0));
        int port = freePort();
        ClusterSpec cs = new ClusterSpec("127.0.0.1", port, BalancerSettings.DEFAULT, Duration.ofSeconds(20),
                ClusterSpec.DEFAULT_DRAIN_TIMEOUT, 1, true);
        ClusterApp app = new ClusterApp(spec, cs, new ClusterApp.Services(supervisor, BalancerPool.factory(),
                PortAllocator.forThisMachine(), readiness, notify, Scheduler.singleThread("cluster-notified"),
                Ticker.system()));
        apps.add(app);
        app.start(true).join();
        Member m = app.members().join().get(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> readiness.probe(m.port(), null).join());

        assertThat(app.members().join().get(0).place()).isEqualTo(Place.STARTING);
        HttpResponse<String> early = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(early.statusCode()).isEqualTo(503);

        Files.writeString(dir.resolve("warm"), "");
        awaitAllReady(app, 1);
        assertThat(get(port, "/")).isEqualTo("warm");
    }

    @Test
    void aTakenPublicPortIsAnErrorAndNothingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            ClusterApp app = cluster(node("hello", SERVER, 2), taken.getLocalPort(), Duration.ofSeconds(10));

            assertThatThrownBy(() -> app.start(true).join()).cause().isInstanceOf(BindException.class)
                    .hasMessageContaining("in use");
        }
        assertThat(supervisor.list()).isEmpty();
    }
}
