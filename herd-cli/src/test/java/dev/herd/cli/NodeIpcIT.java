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
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * PM2's IPC channel for Node.js apps as a PM2 user's app uses it: {@code process.send('ready')}
 * with {@code wait_ready} (cluster and fork mode), {@code shutdown_with_message}, an app that
 * calls {@code process.send} at once or exits at once, an app that forks its own children, and
 * a daemon that dies under it. The real herd command and daemon, real node.
 */
class NodeIpcIT {

    @TempDir
    Path tmp;

    private Herd herd;
    /** Process groups a test must end itself: apps a killed daemon left behind. */
    private long orphanGroup;

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (orphanGroup > 0) {
            Posix.killGroup(orphanGroup, Signal.SIGKILL);
        }
        herd.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private JsonNode instance(String app) throws Exception {
        for (JsonNode i : herd.list()) {
            if (i.path("name").asText().equals(app)) {
                return i;
            }
        }
        throw new AssertionError("no instance of " + app + " in " + herd.list());
    }

    private String status(String app) throws Exception {
        return instance(app).path("status").asText();
    }

    private List<String> statuses() throws Exception {
        List<String> s = new ArrayList<>();
        herd.list().forEach(i -> s.add(i.path("status").asText()));
        return s;
    }

    private String log(String name) throws IOException {
        Path f = herd.home.resolve("logs").resolve(name);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    @Test
    void aClusterInstanceWithWaitReadyGetsTrafficOnlyOnceItSaysReady() throws Exception {
        // Listens at once, says ready 3 s later (herd start itself returns after about a second);
        // records whether each request came before.
        herd.script("server.js", """
                const http = require('http'), fs = require('fs');
                let ready = false;
                const server = http.createServer((req, res) => {
                  fs.appendFileSync('requests.log', (ready ? 'after' : 'before') + ' ' + process.pid + '\\n');
                  res.end('ok ' + process.pid + '\\n');
                });
                server.listen(process.env.PORT, '127.0.0.1', () => {
                  fs.appendFileSync('listening.log', Date.now() + '\\n');
                  setTimeout(() => { ready = true; process.send('ready'); }, 3000);
                });
                """);
        int port = freePort();
        herd.script("eco.yml", """
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    instances: 1
                    port: %d
                    wait_ready: true
                    listen_timeout: 20000
                    balancer: {host: 127.0.0.1}
                """.formatted(port));
        herd.run("start", "eco.yml").ok();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(5)).build();
        long[] firstOk = {0};
        int[] refused = {0};
        // Asks all along, so that a request let through while it listens but has not said ready would show.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                firstOk[0] = System.currentTimeMillis();
                return true;
            }
            refused[0]++;
            return false;
        });

        long listened = Long.parseLong(Files.readString(herd.work.resolve("listening.log")).trim());
        assertThat(firstOk[0] - listened).as("first answer after it listened, ms").isGreaterThanOrEqualTo(3000);
        assertThat(refused[0]).as("requests answered 503 while it listened but had not said ready").isPositive();
        assertThat(Files.readString(herd.work.resolve("requests.log"))).doesNotContain("before");
        assertThat(herd.run("describe", "api").ok().out()).contains("(it said process.send('ready'))");
    }

    @Test
    void aForkAppWithWaitReadyIsStartingUntilItSaysReadyAndAReloadWaitsForEachInstance() throws Exception {
        // A script without an extension run through its shebang: herd does not run it with node itself.
        // It says ready 4 s in: long enough that a loaded machine still lists it starting right after start.
        Path script = herd.script("worker", """
                #!/usr/bin/env node
                process.send({ type: 'process:msg', data: { booting: true } });
                console.log('send', typeof process.send, 'connected', process.connected,
                  'options', JSON.stringify(process.env.NODE_OPTIONS), 'token', process.env.HERD_IPC_TOKEN);
                setTimeout(() => process.send('ready'), 4000);
                setInterval(() => {}, 1000);
                """);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        herd.script("eco.yml", """
                apps:
                  - name: job
                    script: worker
                    instances: 2
                    wait_ready: true
                    listen_timeout: 20000
                    env: {NODE_OPTIONS: "--max-old-space-size=64"}
                """);
        herd.run("start", "eco.yml").ok();

        assertThat(statuses()).containsOnly("starting");
        await().atMost(Duration.ofSeconds(20)).until(() -> statuses().equals(List.of("online", "online")));
        String describe = herd.run("describe", "job").ok().out();
        assertThat(describe).contains("said it is ready (process.send('ready'))");
        assertThat(log("job-out-0.log")).contains("send function connected true options \"--max-old-space-size=64\""
                + " token undefined");
        assertThat(instance("job").path("restarts").asInt()).isZero();

        long begun = System.nanoTime();
        Herd.Result reload = herd.run("reload", "job").ok();
        long tookMillis = (System.nanoTime() - begun) / 1_000_000;

        assertThat(reload.out()).containsSubsequence("instance 0: new pid", "said it is ready",
                "instance 1: new pid", "said it is ready");
        assertThat(tookMillis).as("two instances restarted one after the other, each ready 4 s in")
                .isGreaterThanOrEqualTo(8000);
        assertThat(statuses()).containsOnly("online");
    }

    @Test
    void shutdownWithMessageStopsTheAppWithShutdownAndNoSignal() throws Exception {
        herd.script("quiet.js", """
                process.on('message', (m) => {
                  if (m === 'shutdown') { console.log('got shutdown'); setTimeout(() => process.exit(0), 100); }
                });
                for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => { console.log('got ' + s); process.exit(1); });
                setInterval(() => {}, 1000);
                process.send('ready');
                """);
        herd.script("eco.yml", """
                apps:
                  - name: quiet
                    script: quiet.js
                    wait_ready: true
                    shutdown_with_message: true
                    kill_timeout: 10000
                """);
        herd.run("start", "eco.yml").ok();
        // Online means it said ready, so its channel is up.
        await().atMost(Duration.ofSeconds(20)).until(() -> status("quiet").equals("online"));
        Path socket = herd.home.resolve("ipc").resolve(herd.daemonPid() + ".sock");
        assertThat(channelConnections(socket)).isEqualTo(1);

        long begun = System.nanoTime();
        herd.run("stop", "quiet").ok();

        assertThat((System.nanoTime() - begun) / 1_000_000).as("stopped before kill_timeout, ms").isLessThan(8000);
        await().atMost(Duration.ofSeconds(5)).until(() -> log("quiet-out.log").contains("got shutdown"));
        assertThat(log("quiet-out.log")).doesNotContain("got SIG");
        String describe = herd.run("describe", "quiet").ok().out();
        assertThat(describe).contains("exited with code 0");
        assertThat(Files.readString(herd.home.resolve("daemon.log"))).contains("sending the message 'shutdown'");
    }

    @Test
    void appsThatSendAtOnceOrNeverAndExitAtOnceLeaveNothingBehindInTheDaemon() throws Exception {
        herd.script("eager.js", "process.send('ready'); process.send({ some: 'thing' }); console.log('sent');\n");
        herd.script("silent.js", "console.log('no channel used');\n");
        herd.script("listener.js", "process.on('message', () => {}); console.log('listening for messages');\n");
        herd.script("eco.yml", """
                apps:
                  - {name: eager, script: eager.js, autorestart: false}
                  - {name: silent, script: silent.js, autorestart: false}
                  - {name: listener, script: listener.js, autorestart: false}
                """);
        herd.script("warm.sh", "echo warm\n");
        herd.run("start", "warm.sh", "--no-autorestart").ok();
        await().atMost(Duration.ofSeconds(20)).until(() -> statuses().equals(List.of("stopped")));
        herd.run("delete", "all").ok();
        // Counted once the daemon's shared parts exist (the thread that polls every instance's pipes,
        // its wake-up pipe): what is measured is what instances leave behind.
        long daemon = herd.daemonPid();
        int before = openFiles(daemon);

        herd.run("start", "eco.yml").ok();
        await().atMost(Duration.ofSeconds(20)).until(() -> statuses().equals(List.of("stopped", "stopped", "stopped")));

        for (String app : List.of("eager", "silent", "listener")) {
            assertThat(herd.run("describe", app).ok().out()).as(app).contains("exited with code 0");
        }
        assertThat(log("eager-out.log")).contains("sent");
        assertThat(log("listener-out.log")).as("a 'message' listener does not keep it alive")
                .contains("listening for messages");
        herd.run("delete", "all").ok();
        // No channel connection held, and the daemon's files as before (its log files closed).
        Path socket = herd.home.resolve("ipc").resolve(daemon + ".sock");
        assertThat(channelConnections(socket)).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> openFiles(daemon) <= before);
        try (Stream<Path> files = Files.list(herd.home.resolve("ipc"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("herd-ipc.cjs", "herd-listen.cjs", daemon + ".sock");
        }
    }

    @Test
    void anAppsOwnForkedAndSpawnedChildrenKeepTheirOwnChannels() throws Exception {
        herd.script("child.js", """
                process.send({ child: typeof process.send, token: process.env.HERD_IPC_TOKEN || null });
                """);
        herd.script("plain.js", "console.log(typeof process.send);\n");
        herd.script("parent.js", """
                const { fork, execFileSync } = require('child_process');
                const spawned = execFileSync(process.execPath, ['plain.js']).toString().trim();
                const child = fork('child.js');
                child.on('message', (m) => {
                  console.log('child said', JSON.stringify(m), 'spawned', spawned);
                  process.send('ready');
                });
                setInterval(() => {}, 1000);
                """);
        herd.script("eco.yml", """
                apps:
                  - {name: parent, script: parent.js, wait_ready: true, listen_timeout: 20000}
                """);
        herd.run("start", "eco.yml").ok();

        await().atMost(Duration.ofSeconds(20)).until(() -> status("parent").equals("online"));
        assertThat(log("parent-out.log"))
                .contains("child said {\"child\":\"function\",\"token\":null} spawned undefined");
        assertThat(herd.run("describe", "parent").ok().out()).contains("said it is ready");
    }

    @Test
    void anAppOutlivesItsDaemonDyingWithoutAnErrorFromItsChannel() throws Exception {
        // Writes to a file, not stdout: stdout is a pipe to the daemon, which dies.
        herd.script("steady.js", """
                const fs = require('fs');
                const note = (s) => fs.appendFileSync('steady.log', s + '\\n');
                process.on('disconnect', () => note('disconnected ' + process.connected));
                let dropped = 0, failed = 0;
                setInterval(() => {
                  try {
                    const went = process.send('tick', (err) => { if (err && failed++ === 0) note('callback ' + err.code); });
                    if (!went && dropped++ === 0) note('dropped');
                  } catch (e) { note('threw ' + e); }
                }, 50);
                process.send('ready');
                """);
        herd.script("eco.yml", """
                apps:
                  - {name: steady, script: steady.js, wait_ready: true, listen_timeout: 20000}
                """);
        herd.run("start", "eco.yml").ok();
        await().atMost(Duration.ofSeconds(20)).until(() -> status("steady").equals("online"));
        long pid = instance("steady").path("pid").asLong();
        orphanGroup = pid;

        // And its guardian, which would stop the orphan within a second or two by starting another.
        herd.killDaemonAndGuardian();

        Path steady = herd.work.resolve("steady.log");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(steady)
                && Files.readString(steady).contains("dropped"));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertThat(Files.readString(steady)).contains("disconnected false", "callback ERR_IPC_CHANNEL_CLOSED")
                .doesNotContain("threw");
    }

    /**
     * How many connections the daemon holds on its channel socket: the accepted ends, which
     * {@code /proc/net/unix} lists with the listener's path, connected (state 03).
     */
    private static long channelConnections(Path socket) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/net/unix"))) {
            return lines.map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length >= 8 && f[7].equals(socket.toString()) && f[5].equals("03"))
                    .count();
        }
    }

    /** How many files the process has open: its sockets, pipes and log files. */
    private static int openFiles(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.count();
        }
    }
}
