package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * PM2 files whose Node apps run in cluster mode with no port herd knows (the port in a variable
 * of their own, or hard-coded), as a user runs them: the real herd and daemon, each port the
 * instances listen on bound once by herd and handed to all of them over Node's own IPC channel,
 * {@code herd hit} as the client.
 */
class SharedListensIT {

    /** A server that listens on a port of its own variable, as PM2 users' files have it. */
    private static final String ENV_PORT_SERVER = """
            const http = require('http');
            const port = process.env.HTTP_PORT;
            http.createServer((req, res) => res.end('Hello from worker ' + process.pid + '\\n'))
              .listen(port, () => console.log('listening on ' + port));
            """;

    /** The seed's clusterManager.ts worker, in short: a hard-coded port. */
    private static final String HARD_CODED_SERVER = """
            const http = require('http');
            http.createServer((req, res) => res.end('Hello from worker ' + process.pid + '\\n')).listen(%d);
            """;

    @TempDir
    Path tmp;

    private Herd herd;
    private final List<Process> background = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
        herd.script("server.js", ENV_PORT_SERVER);
    }

    @AfterEach
    void tearDown() throws Exception {
        background.forEach(Process::destroyForcibly);
        herd.close();
    }

    private Path pm2File(int port) throws IOException {
        return herd.script("ecosystem.config.js", """
                module.exports = {
                  apps: [{ name: 'api', script: 'server.js', exec_mode: 'cluster', instances: 3,
                           env: { HTTP_PORT: %d } }],
                };
                """.formatted(port));
    }

    private void awaitOnline(String app, int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            int online = 0;
            for (JsonNode i : herd.list()) {
                online += i.path("name").asText().equals(app) && "online".equals(i.path("status").asText()) ? 1 : 0;
            }
            return online == count;
        });
    }

    private List<Long> pids(String app) throws Exception {
        List<Long> pids = new ArrayList<>();
        for (JsonNode i : herd.list()) {
            if (i.path("name").asText().equals(app)) {
                pids.add(i.path("pid").asLong());
            }
        }
        return pids;
    }

    /** The socket inodes among a process's descriptors, as {@code /proc} names them. */
    private static Set<String> socketInodes(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // A descriptor Node closed while we listed them.
                }
            }
        }
        return inodes;
    }

    private Process hit(Path out, String... args) throws IOException {
        Process p = HitRun.start(herd, out, args).process();
        background.add(p);
        return p;
    }

    /** Every instance accepts on one socket, which herd holds: wherever the port is named. */
    private void assertOneSocketForAll(String app, int port, int count) throws Exception {
        awaitOnline(app, count);
        await().atMost(Duration.ofSeconds(20)).until(() -> HitRun.listeningInodes(port).size() == 1);
        String listening = HitRun.listeningInodes(port).get(0);
        List<Long> pids = pids(app);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            for (long pid : pids) {
                assertThat(socketInodes(pid)).as("pid %d holds the shared socket", pid).contains(listening);
            }
        });
        assertThat(socketInodes(herd.daemonPid())).as("herd holds it too").contains(listening);
        Path out = tmp.resolve(app + "-spread.json");
        JsonNode s = new HitRun(hit(out, "http://127.0.0.1:" + port + "/", "-n", "300", "-c", "6", "--no-keep-alive"),
                out).summary();
        assertThat(s.path("errors").path("total").asLong()).as(s.toString()).isZero();
        Set<Long> answered = new HashSet<>();
        s.path("instances").forEach(i -> answered.add(i.path("instance").asLong()));
        assertThat(answered).as(s.toString()).containsExactlyInAnyOrderElementsOf(pids);
        JsonNode list = herd.list();
        for (JsonNode i : list) {
            if (i.path("name").asText().equals(app)) {
                assertThat(i.path("restarts").asInt()).as("no instance failed to listen: %s", list).isZero();
                assertThat(i.path("mode").asText()).isEqualTo("shared :" + port);
            }
        }
    }

    @Test
    void aPm2ClusterAppWithItsPortInAVariableOfItsOwnSharesThatPortAcrossEveryInstance() throws Exception {
        int port = Herd.freePort();
        Herd.Result started = herd.run("start", pm2File(port).toString());
        assertThat(started.code()).as(started.err()).isZero();
        assertThat(started.err()).contains("a Node.js app's instances share each port they listen on through herd");

        assertOneSocketForAll("api", port, 3);
        assertThat(herd.run("describe", "api").ok().out()).contains("shared :" + port + " (herd binds each port");
    }

    @Test
    void aHardCodedPortWithInstancesAndNoExecModeIsSharedAsUnderPm2() throws Exception {
        int port = Herd.freePort();
        herd.script("hard.js", HARD_CODED_SERVER.formatted(port));
        Path file = herd.script("ecosystem.config.js", """
                module.exports = { apps: [{ name: 'hard', script: 'hard.js', instances: 2 }] };
                """);
        Herd.Result started = herd.run("start", file.toString());
        assertThat(started.code()).as(started.err()).isZero();
        assertThat(started.err()).contains("herd does the same: it binds each port they listen on once");

        assertOneSocketForAll("hard", port, 2);
    }

    @Test
    void reloadsAndAKilledInstanceUnderLoadFailNoRequestAndDeleteClosesThePort() throws Exception {
        int port = Herd.freePort();
        herd.run("start", pm2File(port).toString()).ok();
        awaitOnline("api", 3);
        await().atMost(Duration.ofSeconds(20)).until(() -> HitRun.listeningInodes(port).size() == 1);
        List<Long> before = pids("api");
        String url = "http://127.0.0.1:" + port + "/";
        Path keptOut = tmp.resolve("kept.json");
        Path freshOut = tmp.resolve("fresh.json");
        // The load outlasts the reloads however slow the machine is; it is stopped once they are done.
        Process kept = hit(keptOut, url, "--rate", "200", "-c", "8", "-d", "300s");
        Process fresh = hit(freshOut, url, "--rate", "50", "-c", "4", "-d", "300s", "--no-keep-alive");
        for (int i = 0; i < 3; i++) {
            Herd.Result r = herd.run("reload", "api");
            assertThat(r.code()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains("instance 0: new pid").contains("instance 2: new pid");
            if (i == 1) {
                Posix.kill(pids("api").get(0), Signal.SIGKILL);
                awaitOnline("api", 3);
            }
        }
        Posix.kill(kept.pid(), Signal.SIGTERM);
        Posix.kill(fresh.pid(), Signal.SIGTERM);
        JsonNode a = new HitRun(kept, keptOut).summary();
        JsonNode b = new HitRun(fresh, freshOut).summary();
        // A SIGKILL takes its kept-alive connections with it (nothing retries them): refused is what must stay 0.
        assertThat(a.path("errors").path("refused").asLong()).as(a.toString()).isZero();
        assertThat(b.path("errors").path("total").asLong()).as(b.toString()).isZero();
        assertThat(a.path("ok").asLong()).isGreaterThan(300);
        assertThat(pids("api")).hasSize(3).doesNotContainAnyElementsOf(before);

        herd.run("delete", "api").ok();
        await().atMost(Duration.ofSeconds(10)).until(() -> HitRun.listeningInodes(port).isEmpty());
    }

    @Test
    void aPortHeldByAnotherProgramFailsTheAppsListenWithEaddrinuseNamingTheHolder() throws Exception {
        try (ServerSocket holder = new ServerSocket(0)) {
            int port = holder.getLocalPort();
            herd.run("start", pm2File(port).toString()).ok();
            long me = ProcessHandle.current().pid();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                    herd.run("logs", "api", "--nostream", "--lines", "200").out())
                    .contains("the port is held by pid " + me)
                    .contains("EADDRINUSE"));
            assertThat(HitRun.listeningInodes(port)).as("herd bound nothing").hasSize(1);
        }
    }
}
