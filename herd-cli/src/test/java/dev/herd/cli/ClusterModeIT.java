package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.daemon.Protocol;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * Cluster mode as a user drives it: the real herd command and daemon, node instances behind one
 * public port, {@code herd hit} as the client, reloads, scales and a SIGKILL while it runs.
 */
class ClusterModeIT {

    /** Answers with its pid; {@code /slow} after 2 s; finishes what is in flight on SIGTERM. */
    private static final String SERVER = """
            const http = require('http');
            const server = http.createServer((req, res) => {
              const answer = () => { res.writeHead(200); res.end('Hello from worker ' + process.pid + '\\n'); };
              if (req.url === '/slow') setTimeout(answer, 2000); else answer();
            });
            server.listen(process.env.PORT, '127.0.0.1');
            process.on('SIGTERM', () => server.close(() => process.exit(0)));
            """;

    /**
     * As {@link #SERVER}; the one instance that takes the file {@code grow} starts holding 16 MB
     * more every 100 ms once it has served 20 requests, up to 640 MB.
     */
    private static final String HOG = """
            const http = require('http'), fs = require('fs');
            let mine = false, served = 0;
            try { fs.unlinkSync('grow'); mine = true; } catch (e) {}
            const hog = [];
            const server = http.createServer((req, res) => {
              if (mine && ++served === 20) setInterval(() => { if (hog.length < 40) hog.push(Buffer.alloc(16 << 20, 1)); }, 100);
              res.writeHead(200); res.end('Hello from worker ' + process.pid + '\\n');
            });
            server.listen(process.env.PORT, '127.0.0.1');
            process.on('SIGTERM', () => server.close(() => process.exit(0)));
            """;

    @TempDir
    Path tmp;

    private Herd herd;
    private final List<Process> background = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
        herd.script("server.js", SERVER);
    }

    @AfterEach
    void tearDown() throws Exception {
        background.forEach(Process::destroyForcibly);
        herd.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Path ecosystem(int port, int instances, String script, int listenTimeoutMillis) throws IOException {
        return herd.script("eco.yml", """
                apps:
                  - name: api
                    script: %s
                    exec_mode: cluster
                    instances: %d
                    port: %d
                    listen_timeout: %d
                    balancer: {host: 127.0.0.1, instance_header: true}
                """.formatted(script, instances, port, listenTimeoutMillis));
    }

    /** A {@code herd hit} running in the background, and where its JSON summary goes. */
    private record Hit(Process process, Path out) {
    }

    /** Starts {@code herd hit} in the background with a JSON summary. */
    private Hit hit(String... args) throws IOException {
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.add("hit");
        argv.addAll(List.of(args));
        argv.add("--json");
        Path out = Files.createTempFile(tmp, "hit", ".json");
        Process p = new ProcessBuilder(argv).directory(herd.work.toFile()).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        background.add(p);
        return new Hit(p, out);
    }

    private JsonNode summary(Hit hit) throws Exception {
        assertThat(hit.process().waitFor(120, TimeUnit.SECONDS)).as("herd hit ended").isTrue();
        return Protocol.json().readTree(Files.readString(hit.out()));
    }

    private List<Long> pids() throws Exception {
        List<Long> pids = new ArrayList<>();
        herd.list().forEach(i -> pids.add(i.path("pid").asLong()));
        return pids;
    }

    private void awaitReady(int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode list = herd.list();
            int ready = 0;
            for (JsonNode i : list) {
                ready += "ready".equals(i.path("cluster").path("pool").asText()) ? 1 : 0;
            }
            return list.size() == count && ready == count;
        });
    }

    /** Long requests in a loop until stopped; each must answer 200. */
    private final class SlowRequests implements AutoCloseable {
        final AtomicInteger completed = new AtomicInteger();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;

        SlowRequests(int port) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/slow")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            completed.incrementAndGet();
                        } else {
                            failures.add("status " + r.statusCode());
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            });
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }
    }

    @Test
    void reloadsAndAKilledInstanceUnderLoadFailNoRequest() throws Exception {
        int port = freePort();
        herd.run("start", ecosystem(port, 3, "server.js", 10_000).toString()).ok();
        awaitReady(3);
        List<Long> before = pids();
        String url = "http://127.0.0.1:" + port + "/";

        // The load outlasts the reloads however slow the machine is; it is stopped once they are done.
        Hit keepAlive = hit(url, "--rate", "200", "-c", "8", "-d", "300s");
        Hit fresh = hit(url, "--rate", "50", "-c", "4", "-d", "300s", "--no-keep-alive");
        Set<String> everyInstance = new java.util.TreeSet<>();
        try (SlowRequests slow = new SlowRequests(port)) {
            for (int i = 0; i < 5; i++) {
                Herd.Result r = herd.run("reload", "api");
                assertThat(r.code()).as(r.out() + r.err()).isZero();
                if (i == 2) {
                    Posix.kill(pids().get(0), Signal.SIGKILL);
                    awaitReady(3);
                }
                herd.list().forEach(instance -> everyInstance.add(instance.path("id").asText()));
            }
            // Sequential round-robin requests reach every instance of the last reload, while the load goes on.
            herd.run("hit", url, "-n", "30", "-q").ok();
            Posix.kill(keepAlive.process().pid(), Signal.SIGTERM);
            Posix.kill(fresh.process().pid(), Signal.SIGTERM);
            JsonNode a = summary(keepAlive);
            JsonNode b = summary(fresh);
            slow.close();
            assertThat(a.path("errors").path("total").asLong()).as(a.toString()).isZero();
            assertThat(b.path("errors").path("total").asLong()).as(b.toString()).isZero();
            assertThat(a.path("ok").asLong()).isGreaterThan(500);
            assertThat(slow.failures).isEmpty();
            assertThat(slow.completed.get()).isPositive();
            Set<String> answered = new java.util.TreeSet<>();
            a.path("instances").forEach(i -> answered.add(i.path("instance").asText()));
            b.path("instances").forEach(i -> answered.add(i.path("instance").asText()));
            assertThat(answered).containsAll(everyInstance);
        }
        List<Long> after = pids();
        assertThat(after).hasSize(3).doesNotContainAnyElementsOf(before);
        before.forEach(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty());
    }

    @Test
    void listAndDescribeShowWhatTheBalancerMeasuredOfEachInstance() throws Exception {
        int port = freePort();
        herd.run("start", ecosystem(port, 2, "server.js", 10_000).toString()).ok();
        awaitReady(2);

        herd.run("hit", "http://127.0.0.1:" + port + "/", "-n", "40", "-q").ok();

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(herd.list()).allSatisfy(i -> {
            JsonNode t = i.path("cluster").path("traffic");
            assertThat(t.path("requests").asLong()).isEqualTo(20);
            assertThat(t.path("requestsPerSecond").asDouble()).isPositive();
            assertThat(t.path("p99Millis").asDouble()).isPositive();
            assertThat(t.path("errors").asLong()).isZero();
        }));
        String table = herd.run("list").ok().out();
        assertThat(table.lines().findFirst().orElseThrow()).contains("pool", "req/s", "active", "errors", "p99");
        assertThat(herd.run("describe", "api").ok().out()).contains("20 (0 in flight, 0 failed)").contains("req/s, ")
                .contains(", p99 ");
    }

    @Test
    void anInstanceOverItsMemoryLimitIsReplacedWithoutAFailedRequest() throws Exception {
        int port = freePort();
        herd.script("hog.js", HOG);
        herd.script("grow", "");
        herd.script("eco.yml", """
                apps:
                  - name: api
                    script: hog.js
                    exec_mode: cluster
                    instances: 2
                    port: %d
                    max_memory_restart: 150M
                    memory_check_interval: 1s
                    balancer: {host: 127.0.0.1, instance_header: true}
                """.formatted(port));
        herd.run("start", "eco.yml").ok();
        awaitReady(2);
        List<Long> before = pids();

        Hit load = hit("http://127.0.0.1:" + port + "/", "--rate", "100", "-c", "4", "-d", "300s");
        await().atMost(Duration.ofSeconds(90)).until(() -> herd.run("describe", "api").out()
                .contains("replacement of instance"));
        await().atMost(Duration.ofSeconds(60)).until(() -> herd.run("describe", "api").out().contains(") of api done"));
        herd.run("hit", "http://127.0.0.1:" + port + "/", "-n", "20", "-q").ok();
        Posix.kill(load.process().pid(), Signal.SIGTERM);
        JsonNode summary = summary(load);

        assertThat(summary.path("errors").path("total").asLong()).as(summary.toString()).isZero();
        assertThat(summary.path("ok").asLong()).isPositive();
        String describe = herd.run("describe", "api").ok().out();
        assertThat(describe).containsPattern("replacement of instance \\d \\(memory \\d+\\.\\dmb over "
                + "max_memory_restart 150\\.0mb\\) of api done").containsPattern("memory limit +150\\.0mb");
        List<Long> after = pids();
        assertThat(after).hasSize(2);
        assertThat(before.stream().filter(after::contains)).as("exactly one instance was replaced").hasSize(1);
        assertThat(herd.list()).allSatisfy(i -> assertThat(i.path("memoryBytes").asLong()).isLessThan(150L << 20));
    }

    @Test
    void aNewVersionThatNeverListensFailsTheReloadAndTheOldOnesServe() throws Exception {
        int port = freePort();
        Path eco = ecosystem(port, 2, "server.js", 3000);
        herd.run("start", eco.toString()).ok();
        awaitReady(2);
        List<Long> before = pids();
        herd.script("broken.js", "setInterval(() => {}, 1000);\n");
        ecosystem(port, 2, "broken.js", 3000);

        Hit load = hit("http://127.0.0.1:" + port + "/", "--rate", "100", "-c", "4", "-d", "8s");
        Herd.Result r = herd.run("reload", eco.toString());
        JsonNode s = summary(load);

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("not ready within listen_timeout (3.00 s)");
        assertThat(r.out()).contains("still serves");
        assertThat(herd.run("describe", "api").ok().out()).contains("last reload/scale")
                .contains("reload of api stopped: instance 0: not ready within listen_timeout (3.00 s)");
        assertThat(s.path("errors").path("total").asLong()).as(s.toString()).isZero();
        assertThat(pids()).containsExactlyElementsOf(before);
    }

    @Test
    void scaleUpThenDownUnderLoadFailsNoRequest() throws Exception {
        int port = freePort();
        herd.run("start", ecosystem(port, 2, "server.js", 10_000).toString()).ok();
        awaitReady(2);

        Hit load = hit("http://127.0.0.1:" + port + "/", "--rate", "150", "-c", "6", "-d", "10s");
        herd.run("scale", "api", "4").ok();
        assertThat(herd.list().size()).isEqualTo(4);
        herd.run("scale", "api", "1").ok();
        JsonNode s = summary(load);

        assertThat(s.path("errors").path("total").asLong()).as(s.toString()).isZero();
        assertThat(s.path("instances").size()).isGreaterThanOrEqualTo(4);
        assertThat(herd.list().size()).isEqualTo(1);
    }

    @Test
    void aPm2EcosystemFileWithEnvPortServesOnThatPort() throws Exception {
        int port = freePort();
        Path file = herd.script("ecosystem.config.js", """
                module.exports = {
                  apps: [{
                    name: 'pm2-cluster-app',
                    script: './server.js',
                    instances: 2,
                    exec_mode: 'cluster',
                    env: { PORT: %d },
                  }],
                };
                """.formatted(port));

        herd.run("start", file.toString()).ok();
        awaitReady(2);
        Herd.Result r = herd.run("hit", "http://127.0.0.1:" + port + "/", "-n", "6").ok();

        assertThat(r.out()).contains("Response #6: Hello from worker").contains("2 instances answered");
    }

    @Test
    void reloadStopAndDeleteTakeTheAppsScriptPathOrItsEcosystemFile() throws Exception {
        int port = freePort();
        Path eco = ecosystem(port, 2, "server.js", 10_000);
        herd.run("start", "eco.yml").ok();
        awaitReady(2);
        List<Long> before = pids();

        Herd.Result reload = herd.run("reload", "server.js").ok();
        assertThat(reload.out()).contains("api: instance 1: old pid");
        assertThat(pids()).doesNotContainAnyElementsOf(before);

        herd.run("stop", eco.getFileName().toString()).ok();
        assertThat(herd.list()).allSatisfy(i -> assertThat(i.path("status").asText()).isEqualTo("stopped"));
        Herd.Result unknown = herd.run("stop", "other.js");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("no app or id 'other.js' (known apps: api");
        herd.run("delete", "./server.js").ok();
        assertThat(herd.list()).isEmpty();
    }

    @Test
    void aCrashedDaemonsClusterAppComesBackWithItsIdsPortsAndStatesAndServes() throws Exception {
        int port = freePort();
        herd.run("start", ecosystem(port, 2, "server.js", 10_000).toString()).ok();
        awaitReady(2);
        herd.run("stop", "0").ok();
        JsonNode before = herd.list();
        long daemon = herd.daemonPid();

        Posix.kill(daemon, Signal.SIGKILL);
        await().atMost(Duration.ofSeconds(10)).until(() -> !ProcessHandle.of(daemon).map(ProcessHandle::isAlive)
                .orElse(false));
        JsonNode after = herd.list();

        assertThat(after.size()).isEqualTo(2);
        for (int i = 0; i < 2; i++) {
            assertThat(after.get(i).path("id").asInt()).isEqualTo(before.get(i).path("id").asInt());
            assertThat(after.get(i).path("mode").asText()).isEqualTo("cluster");
            assertThat(after.get(i).path("cluster").path("port").asInt())
                    .isEqualTo(before.get(i).path("cluster").path("port").asInt());
            assertThat(after.get(i).path("cluster").path("publicPort").asInt()).isEqualTo(port);
        }
        assertThat(after.get(0).path("status").asText()).isEqualTo("stopped");
        await().atMost(Duration.ofSeconds(30)).until(() -> "ready".equals(herd.list().get(1).path("cluster")
                .path("pool").asText()));
        assertThat(herd.run("hit", "http://127.0.0.1:" + port + "/", "-n", "3").ok().out())
                .contains("Response #3: Hello from worker");
    }

    @Test
    void saveAndResurrectKeepAClusterAppInClusterMode() throws Exception {
        int port = freePort();
        herd.run("start", ecosystem(port, 2, "server.js", 10_000).toString()).ok();
        awaitReady(2);
        herd.run("save").ok();
        herd.run("kill").ok();

        herd.run("resurrect").ok();
        awaitReady(2);

        assertThat(herd.list()).allSatisfy(i -> assertThat(i.path("cluster").path("publicPort").asInt()).isEqualTo(port));
        assertThat(herd.run("hit", "http://127.0.0.1:" + port + "/", "-n", "4").ok().out()).contains("2 instances answered");
    }

    @Test
    void aTakenPublicPortIsOneLineNamingItsHolderAndNothingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            Herd.Result r = herd.run("start", herd.work.resolve("server.js").toString(), "-i", "2", "--port",
                    Integer.toString(taken.getLocalPort()));

            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err().strip()).doesNotContain("\n").contains("the port is held by pid "
                    + ProcessHandle.current().pid());
        }
        assertThat(herd.list()).isEmpty();
    }

    @Test
    void startWithPortAndThePlaceholderPassesEachInstanceItsOwnPort() throws Exception {
        int port = freePort();
        herd.script("flag.js", """
                const http = require('http');
                const i = process.argv.indexOf('--listen');
                http.createServer((req, res) => res.end('port ' + process.argv[i + 1] + '\\n'))
                    .listen(Number(process.argv[i + 1]), '127.0.0.1');
                """);

        herd.run("start", "flag.js", "-i", "2", "--port", Integer.toString(port), "--", "--listen", "{port}").ok();
        awaitReady(2);

        Set<Integer> own = new java.util.HashSet<>();
        herd.list().forEach(i -> own.add(i.path("cluster").path("port").asInt()));
        Herd.Result r = herd.run("hit", "http://127.0.0.1:" + port + "/", "-n", "4").ok();
        own.forEach(p -> assertThat(r.out()).contains("port " + p));
    }
}
