package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.herd.daemon.Protocol;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * PM2's watch and cron_restart with a real daemon: a fork app restarts once for a burst of
 * changes and never for its own logs, node_modules or .git; a cluster app under load reloads on
 * a change without a failed request; a schedule with seconds restarts on time; watching survives
 * save and resurrect, and stop --watch turns it off.
 */
class WatchIT {

    /** Says when it started, then logs a line every 100 ms into its out_file in the watched folder. */
    private static final String TICKER = """
            echo "started $$"
            while true; do echo tick; sleep 0.1; done
            """;

    /** Answers with its pid; finishes what is in flight on SIGTERM. */
    private static final String SERVER = """
            const http = require('http');
            const server = http.createServer((req, res) => { res.writeHead(200); res.end('pid ' + process.pid + '\\n'); });
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
    }

    @AfterEach
    void tearDown() throws Exception {
        background.forEach(Process::destroyForcibly);
        herd.close();
    }

    private JsonNode instance(int i) throws Exception {
        return herd.list().get(i);
    }

    /** Waits until the instance runs after {@code restarts} restarts; returns its last reason. */
    private String awaitRestarts(int i, int restarts) {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode n = instance(i);
            return n.path("restarts").asInt() == restarts && n.path("status").asText().equals("online");
        });
        try {
            return instance(i).path("lastReason").asText();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void write(String relative, String content) throws IOException {
        Path f = herd.work.resolve(relative);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
    }

    @Test
    void aForkAppRestartsOnceForABurstAndNeverForItsLogsNodeModulesOrGit() throws Exception {
        herd.script("ticker.sh", TICKER);
        write("node_modules/dep/index.js", "0");
        write(".git/HEAD", "ref: refs/heads/main");
        Files.createDirectories(herd.work.resolve("src"));
        herd.script("eco.yml", """
                apps:
                  - name: ticker
                    script: ticker.sh
                    watch: true
                    watch_delay: 300
                    out_file: ./ticker.log
                    error_file: ./logs/ticker-err.log
                """);
        herd.run("start", "eco.yml").ok();
        awaitRestarts(0, 0);
        assertThat(herd.run("describe", "ticker").ok().out())
                .containsPattern("watch +" + herd.work + " \\(restarts 300 ms after the changes stop\\)")
                .containsPattern("watch ignores +node_modules, \\.git, .*ticker\\.log");

        // A checkout: 200 files in a few milliseconds, with writes under node_modules and .git among them.
        for (int f = 0; f < 200; f++) {
            write("src/f" + f + ".js", "v1");
            write("node_modules/dep/f" + f + ".js", "v1");
        }
        write(".git/index", "changed");
        assertThat(awaitRestarts(0, 1)).isEqualTo("restarted: 200 watched files changed (src/f0.js first)");

        // The app logged all along into the watched folder: that never counted. One more change, one more restart.
        write("node_modules/dep/late.js", "v2");
        write("src/f7.js", "v2");
        assertThat(awaitRestarts(0, 2)).isEqualTo("restarted: a watched file changed: src/f7.js");
        assertThat(Files.readString(herd.work.resolve("ticker.log"))).contains("tick");

        // Saved and resurrected by a new daemon, it is watched again.
        herd.run("save").ok();
        herd.run("kill").ok();
        herd.run("resurrect").ok();
        awaitRestarts(0, 0);
        write("src/f9.js", "v3");
        assertThat(awaitRestarts(0, 1)).isEqualTo("restarted: a watched file changed: src/f9.js");

        // stop --watch turns watching off until start --watch.
        herd.run("stop", "ticker", "--watch").ok();
        assertThat(herd.run("describe", "ticker").ok().out()).contains("(off (watch: false, or herd stop --watch): herd start <app> --watch turns it on)");
        herd.run("start", "ticker").ok();
        assertThat(herd.run("describe", "ticker").ok().out()).contains("(off (watch: false, or herd stop --watch): herd start <app> --watch turns it on)");
        herd.run("start", "ticker", "--watch").ok();
        assertThat(herd.run("describe", "ticker").ok().out()).contains("(restarts 300 ms after the changes stop)");
    }

    @Test
    void aClusterAppUnderLoadReloadsOnAChangeWithoutAFailedRequest() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        herd.script("server.js", SERVER);
        herd.script("eco.yml", """
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    instances: 2
                    port: %d
                    watch: [server.js, lib]
                    watch_delay: 200
                    balancer: {host: 127.0.0.1}
                """.formatted(port));
        herd.run("start", "eco.yml").ok();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode list = herd.list();
            return list.size() == 2 && list.findValues("pool").stream().allMatch(p -> p.asText().equals("ready"));
        });
        List<Long> before = herd.list().findValues("pid").stream().map(JsonNode::asLong).toList();

        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.addAll(List.of("hit", "http://127.0.0.1:" + port + "/", "--rate", "150", "-c", "6", "-d", "120s", "--json"));
        Path summary = Files.createTempFile(tmp, "hit", ".json");
        Process load = new ProcessBuilder(argv).directory(herd.work.toFile()).redirectOutput(summary.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        background.add(load);

        // A deploy writes the new version of the server.
        herd.script("server.js", SERVER + "// v2\n");
        await().atMost(Duration.ofSeconds(40)).until(() -> herd.run("describe", "api").out()
                .contains("reload of api done"));
        herd.run("hit", "http://127.0.0.1:" + port + "/", "-n", "10", "-q").ok();
        Posix.kill(load.pid(), Signal.SIGTERM);
        assertThat(load.waitFor(60, TimeUnit.SECONDS)).isTrue();
        JsonNode s = Protocol.json().readTree(Files.readString(summary));

        assertThat(s.path("errors").path("total").asLong()).as(s.toString()).isZero();
        assertThat(s.path("ok").asLong()).isPositive();
        List<Long> after = herd.list().findValues("pid").stream().map(JsonNode::asLong).toList();
        assertThat(after).hasSize(2).doesNotContainAnyElementsOf(before);
    }

    @Test
    void aCronScheduleWithSecondsRestartsOnTimeAndDescribeShowsTheNext() throws Exception {
        herd.script("ticker.sh", TICKER);
        herd.run("start", "ticker.sh", "--cron-restart", "*/3 * * * * *").ok();

        assertThat(awaitRestarts(0, 2)).isEqualTo("restarted: cron_restart '*/3 * * * * *'");
        assertThat(herd.run("describe", "ticker").ok().out())
                .containsPattern("cron restart +\\*/3 \\* \\* \\* \\* \\* \\(next \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\)");

        herd.run("stop", "ticker").ok();
        assertThat(herd.run("describe", "ticker").ok().out()).contains("(not while the app is stopped)");
    }

    @Test
    void aBadCronExpressionIsOneLineNamingTheField() throws Exception {
        herd.script("ticker.sh", TICKER);
        herd.script("eco.yml", "apps:\n  - {script: ticker.sh, cron_restart: '0 0 * * 8'}\n");

        Herd.Result r = herd.run("start", "eco.yml");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("herd: " + herd.work.resolve("eco.yml")
                + ":2:39: apps[0].cron_restart: value 8 not in range [0, 7]: expected " + dev.herd.watch.CronSchedule.EXPECTED);
    }
}
