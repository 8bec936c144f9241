package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.Posix;
import dev.herd.supervisor.ProcessTree;
import dev.herd.supervisor.Signal;

/**
 * Faults of the processes herd runs, and of the processes it might mistake for them: an instance
 * frozen by SIGSTOP with requests in flight, an app in a crash loop beside one that serves, an
 * instance that ignores its stop signal, and a pid file whose pid now names an unrelated process.
 * Real daemon, real children, real sockets on 127.0.0.1.
 */
class ProcessFaultsIT {

    /** Answers with its pid; {@code /slow} after 1.5 s; {@code /health} at once. */
    private static final String SERVER = """
            const http = require('http');
            const server = http.createServer((req, res) => {
              const answer = () => { res.writeHead(200); res.end('Hello from worker ' + process.pid + '\\n'); };
              if (req.url === '/slow') setTimeout(answer, 1500); else answer();
            });
            server.listen(process.env.PORT, '127.0.0.1');
            process.on('SIGTERM', () => server.close(() => process.exit(0)));
            """;

    @TempDir
    Path tmp;

    private Herd herd;
    private final List<Long> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
        herd.script("server.js", SERVER);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (long pid : started) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        herd.close();
    }

    private JsonNode instance(int id) throws Exception {
        for (JsonNode i : herd.list()) {
            if (i.path("id").asInt() == id) {
                return i;
            }
        }
        throw new AssertionError("no instance " + id + " in " + herd.list());
    }

    private int readyCount(String app) throws Exception {
        int ready = 0;
        for (JsonNode i : herd.list()) {
            ready += i.path("name").asText().equals(app) && "ready".equals(i.path("cluster").path("pool").asText()) ? 1 : 0;
        }
        return ready;
    }

    private HttpResponse<String> get(int port, String path, Duration timeout) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Starts app {@code api}, three instances of {@link #SERVER} behind the proxy with these balancer settings; its port. */
    private int startThreeBehindTheProxy(String balancer) throws Exception {
        int port = Herd.freePort();
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    instances: 3
                    port: %d
                    balancer: {host: 127.0.0.1, instance_header: true, %s}
                """.formatted(port, balancer)).toString()).ok();
        await().atMost(Duration.ofSeconds(30)).until(() -> readyCount("api") == 3);
        return port;
    }

    @Test
    void aSigstoppedClusterInstanceIsTimedOutMarkedUnhealthyAndSkippedWhileTheOthersServeThenServesAgainAfterSigcont()
            throws Exception {
        int port = startThreeBehindTheProxy("health_check: /health, health_interval: 1s, health_timeout: 500ms,"
                + " health_fall: 2, health_rise: 2, response_timeout: 3s");
        JsonNode victim = herd.list().get(0);
        int victimId = victim.path("id").asInt();
        long victimPid = victim.path("pid").asLong();

        // Two slow requests per instance in flight (round-robin), then the freeze.
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            inFlight.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> instance(victimId).path("cluster").path("traffic")
                .path("inFlight").asInt() > 0 || inFlight.stream().allMatch(CompletableFuture::isDone));
        long stoppedAt = System.nanoTime();
        Posix.kill(victimPid, Signal.SIGSTOP);
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> ProcessTree.stat(victimPid).orElseThrow().state() == 'T');
            List<Integer> statuses = new ArrayList<>();
            for (CompletableFuture<HttpResponse<String>> f : inFlight) {
                // Bounded: the response timeout (3 s) and the 1.5 s of /slow, with room to spare.
                statuses.add(f.get(15, TimeUnit.SECONDS).statusCode());
            }
            assertThat(statuses).as("in flight at the freeze: answered, or timed out with 504; none hangs")
                    .isSubsetOf(200, 504).contains(200);

            // Requests sent after the stop: within a bounded time (the health checks' fall), every
            // one succeeds on another instance.
            await().atMost(Duration.ofSeconds(15)).until(() -> "unhealthy".equals(instance(victimId).path("cluster")
                    .path("pool").asText()));
            Duration detected = Duration.ofNanos(System.nanoTime() - stoppedAt);
            System.out.println("SIGSTOPped instance reported unhealthy after " + detected.toMillis() + " ms");
            String described = herd.run("describe", Integer.toString(victimId)).ok().out();
            assertThat(described).contains("unhealthy");
            assertThat(herd.run("list").ok().out()).contains("unhealthy");
            List<String> answeredBy = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                HttpResponse<String> r = get(port, "/", Duration.ofSeconds(5));
                assertThat(r.statusCode()).as("request %d after the instance went unhealthy", i).isEqualTo(200);
                answeredBy.add(r.headers().firstValue("x-herd-instance").orElse("?"));
            }
            assertThat(answeredBy).doesNotContain(Integer.toString(victimId)).hasSize(30);
            assertThat(answeredBy.stream().distinct().count()).as("the two others share them").isEqualTo(2);
        } finally {
            Posix.kill(victimPid, Signal.SIGCONT);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> "ready".equals(instance(victimId).path("cluster").path("pool")
                .asText()));
        await().atMost(Duration.ofSeconds(10)).until(() -> get(port, "/", Duration.ofSeconds(5)).headers()
                .firstValue("x-herd-instance").orElse("?").equals(Integer.toString(victimId)));
        assertThat(instance(victimId).path("pid").asLong()).as("the same process, not a replacement").isEqualTo(victimPid);
    }

    @Test
    void aSigstoppedClusterInstanceWithNoHealthCheckGetsOneRequestAtATimeAfterItsFirstTimeoutWhileTheOthersServe()
            throws Exception {
        int port = startThreeBehindTheProxy("response_timeout: 2s");
        JsonNode victim = herd.list().get(0);
        String victimId = victim.path("id").asText();
        long victimPid = victim.path("pid").asLong();
        Posix.kill(victimPid, Signal.SIGSTOP);
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> ProcessTree.stat(victimPid).orElseThrow().state() == 'T');
            // Six clients, 50 requests each, one after another: round robin alone would send the
            // frozen instance a third of them, each waiting out the response timeout.
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger timedOut = new AtomicInteger();
            List<String> other = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                clients.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 50; i++) {
                        try {
                            HttpResponse<String> r = get(port, "/", Duration.ofSeconds(20));
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
                            } else if (r.statusCode() == 504) {
                                timedOut.incrementAndGet();
                            } else {
                                other.add(Integer.toString(r.statusCode()));
                            }
                        } catch (Exception e) {
                            other.add(e.toString());
                        }
                    }
                }));
            }
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            System.out.println("frozen instance, no health check: " + ok + " answered, " + timedOut + " timed out in "
                    + seconds + " s");

            assertThat(other).isEmpty();
            // Until its first timeout it took a request of each client at most (each then waits);
            // after, one at a time, with pauses of 1, 2, 4... s between probes that time out too.
            // Round robin alone: about 100, and the run some 35 s.
            assertThat(timedOut.get()).as("%d answered in %d s", ok.get(), seconds).isLessThanOrEqualTo(6 + 8);
            assertThat(ok.get() + timedOut.get()).isEqualTo(300);
        } finally {
            Posix.kill(victimPid, Signal.SIGCONT);
        }
        // Its probe answered once it runs again (after a pause of up to 32 s): its full share back.
        await().atMost(Duration.ofSeconds(60)).until(() -> get(port, "/", Duration.ofSeconds(5)).headers()
                .firstValue("x-herd-instance").orElse("?").equals(victimId));
        assertThat(Files.readString(herd.home.resolve("daemon.log")))
                .contains("did not answer within 2000 ms: one request at a time until it answers")
                .contains("answers again: back to its full share");
    }

    @Test
    void aCrashLoopingAppBacksOffAndEndsErroredWhileAnotherAppServesEveryRequestAndTheDaemonAnswers() throws Exception {
        int port = Herd.freePort();
        herd.script("crash.sh", "echo crashing; exit 1\n");
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: web
                    script: server.js
                    exec_mode: cluster
                    instances: 2
                    port: %d
                    balancer: {host: 127.0.0.1}
                  - name: crashy
                    script: crash.sh
                    max_restarts: 6
                    min_uptime: 5000
                    exp_backoff_restart_delay: 200
                """.formatted(port)).toString()).ok();
        await().atMost(Duration.ofSeconds(30)).until(() -> readyCount("web") == 2);

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger served = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        Thread load = new Thread(() -> {
            while (running.get()) {
                try {
                    HttpResponse<String> r = get(port, "/", Duration.ofSeconds(5));
                    if (r.statusCode() == 200) {
                        served.incrementAndGet();
                    } else {
                        failures.add("status " + r.statusCode());
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        });
        load.start();
        long slowestList = 0;
        try {
            JsonNode crashy;
            do {
                long t = System.nanoTime();
                JsonNode list = herd.list();
                slowestList = Math.max(slowestList, System.nanoTime() - t);
                crashy = null;
                for (JsonNode i : list) {
                    if (i.path("name").asText().equals("crashy")) {
                        crashy = i;
                    }
                }
                assertThat(crashy).isNotNull();
                assertThat(Duration.ofNanos(slowestList)).as("herd list during the crash loop").isLessThan(Duration.ofSeconds(5));
            } while (!crashy.path("status").asText().equals("errored"));
            assertThat(crashy.path("restarts").asInt()).isEqualTo(6);
            assertThat(crashy.path("lastReason").asText()).contains("max_restarts");
            List<Long> exits = new ArrayList<>();
            crashy.path("lastExits").forEach(e -> exits.add(e.path("epochMillis").asLong()));
            assertThat(exits).as("the first run and its 6 restarts").hasSize(7);
            List<Long> gaps = new ArrayList<>();
            for (int i = 0; i + 1 < exits.size(); i++) {
                gaps.add(exits.get(i) - exits.get(i + 1)); // newest first: the latest gap first
            }
            System.out.println("crash loop: gaps between exits, newest first (ms): " + gaps);
            // The newest gap follows the 6th exit: it waited 200 ms x 1.5^5, the one before 200 x 1.5^4,
            // and so on, less 10% of jitter at most. A busy machine only makes a gap longer.
            for (int i = 0; i < gaps.size(); i++) {
                double backoff = 200 * Math.pow(1.5, 5 - i) * 0.9;
                assertThat(gaps.get(i)).as("gaps %s: gap %d waited its backoff", gaps, i).isGreaterThanOrEqualTo((long) backoff);
            }
            int atErrored = crashy.path("restarts").asInt();
            int servedAtErrored = served.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> served.get() > servedAtErrored + 20);
            assertThat(instanceNamed("crashy").path("restarts").asInt()).as("errored: no more restarts").isEqualTo(atErrored);
            assertThat(instanceNamed("crashy").path("status").asText()).isEqualTo("errored");
        } finally {
            running.set(false);
            load.join(30_000);
        }
        System.out.println("crash loop: the other app served " + served.get() + " requests, slowest herd list "
                + slowestList / 1_000_000 + " ms");
        assertThat(failures).as("the serving app's requests").isEmpty();
        assertThat(served.get()).isGreaterThan(20);
    }

    private JsonNode instanceNamed(String name) throws Exception {
        for (JsonNode i : herd.list()) {
            if (i.path("name").asText().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no " + name);
    }

    /** A shell that ignores SIGTERM (its sleep is a child that ignores it too). */
    private static final String STUBBORN = "trap '' TERM\necho up\nwhile true; do sleep 0.2; done\n";

    private Path stubbornApp() throws IOException {
        herd.script("stubborn.sh", STUBBORN);
        return herd.script("stubborn.yml", """
                apps:
                  - name: stubborn
                    script: stubborn.sh
                    kill_timeout: 1000
                """);
    }

    private long onlinePid() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> instanceNamed("stubborn").path("status").asText().equals("online")
                && Files.exists(herd.home.resolve("logs/stubborn-out.log"))
                && Files.readString(herd.home.resolve("logs/stubborn-out.log")).contains("up"));
        return instanceNamed("stubborn").path("pid").asLong();
    }

    @Test
    void anInstanceThatIgnoresSigtermIsKilledAtKillTimeoutAndStopRestartAndDeleteSaySo() throws Exception {
        herd.run("start", stubbornApp().toString()).ok();
        long pid = onlinePid();
        String killed = "stubborn[0] (id 0) killed: SIGTERM did not end it within kill_timeout (1.00 s)";

        long t = System.nanoTime();
        Herd.Result stop = herd.run("stop", "stubborn").ok();
        Duration took = Duration.ofNanos(System.nanoTime() - t);
        assertThat(stop.out()).as("stop").contains("herd: " + killed);
        assertThat(ProcessTree.stat(pid).filter(s -> !s.isZombie())).as("gone").isEmpty();
        assertThat(took).as("killed at kill_timeout, not at the default 5 s").isLessThan(Duration.ofSeconds(5));
        assertThat(instanceNamed("stubborn").path("lastExits").get(0).path("signal").asText()).isEqualTo("SIGKILL");

        herd.run("start", "stubborn").ok();
        onlinePid();
        assertThat(herd.run("restart", "stubborn").ok().out()).as("restart").contains("herd: " + killed);

        onlinePid();
        assertThat(herd.run("delete", "stubborn").ok().out()).as("delete").contains("herd: " + killed);

        herd.script("polite.sh", "echo up; exec sleep 300\n");
        herd.run("start", "polite.sh").ok();
        await().atMost(Duration.ofSeconds(20)).until(() -> instanceNamed("polite").path("status").asText().equals("online"));
        assertThat(herd.run("stop", "polite").ok().out()).as("a polite one is not said to be killed")
                .doesNotContain("killed");
    }

    @Test
    void aPidFileOrRunningFileWhosePidNowNamesAnUnrelatedLiveProcessNeverGetsThatProcessSignalled() throws Exception {
        herd.script("app.sh", "echo up; exec sleep 300\n");
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: app
                    script: app.sh
                    pid_file: run/
                """).toString()).ok();
        await().atMost(Duration.ofSeconds(20)).until(() -> instanceNamed("app").path("status").asText().equals("online")
                && Files.exists(herd.work.resolve("run/app-0.pid")));
        long oldInstance = instanceNamed("app").path("pid").asLong();

        // The unrelated process: a shell of this test's that records any signal it gets.
        Path signals = herd.work.resolve("signals.txt");
        Process unrelated = new ProcessBuilder("bash", "-c", "for s in TERM INT HUP QUIT USR1 USR2; do trap \"echo $s >> "
                + signals + "\" $s; done; while true; do sleep 0.1; done").start();
        started.add(unrelated.pid());
        long stranger = unrelated.pid();

        // The daemon dies; its instance too (its pid free for reuse), and the stranger now has
        // "its" pid in every file herd wrote: the daemon's, the instance's pid file, the running file.
        herd.killDaemonAndGuardian();
        Posix.kill(oldInstance, Signal.SIGKILL);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessTree.stat(oldInstance).filter(s -> !s.isZombie()).isEmpty());
        Files.writeString(herd.home.resolve("daemon.pid"), stranger + "\n");
        Files.writeString(herd.work.resolve("run/app-0.pid"), stranger + "\n");
        Path runningFile = herd.home.resolve("running.json");
        String running = Files.readString(runningFile);
        assertThat(running).contains("\"pid\":" + oldInstance);
        Files.writeString(runningFile, running.replace("\"pid\":" + oldInstance, "\"pid\":" + stranger));

        // The next command's daemon recovers, then every command that stops something runs.
        JsonNode after = herd.list();
        assertThat(after).hasSize(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> instanceNamed("app").path("status").asText().equals("online"));
        herd.run("stop", "app").ok();
        herd.run("start", "app").ok();
        herd.run("delete", "app").ok();
        herd.run("kill").ok();
        herd.run("resurrect");
        herd.run("kill").ok();

        assertThat(unrelated.isAlive()).as("the unrelated process lives").isTrue();
        assertThat(ProcessTree.stat(stranger).orElseThrow().state()).as("and runs (not stopped)").isNotEqualTo('T');
        assertThat(signals).as("and was never signalled").doesNotExist();
        unrelated.destroyForcibly();
        unrelated.waitFor();
    }
}
