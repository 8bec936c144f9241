package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * {@code herd update} under load: the old daemon hands each cluster app's public listening socket
 * to the new one (through the update client), so the socket never closes and no connection is
 * refused, in socket mode and behind the proxy. Real daemons, real instances, {@code herd hit}.
 */
class UpdateHandoffIT {

    /** A Node server on its own internal port behind herd's proxy; finishes what is in flight on SIGTERM. */
    private static final String NODE_SERVER = """
            const http = require('http');
            const server = http.createServer((req, res) => { res.writeHead(200); res.end('Hello from ' + process.pid + '\\n'); });
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
        herd.script("fdserver.py", SocketModeIT.LISTEN_FDS_SERVER);
        herd.script("server.js", NODE_SERVER);
    }

    @AfterEach
    void tearDown() throws Exception {
        background.forEach(Process::destroyForcibly);
        herd.close();
    }

    @Test
    void inSocketModeTwoUpdatesUnderLoadRefuseNoConnectionAndTheSocketIsTheSameOne() throws Exception {
        int port = freePort();
        startApi(port, 2, "socket");
        twoUpdatesUnderLoadRefuseNothing(port);
    }

    @Test
    void behindTheProxyTwoUpdatesUnderLoadFailNoRequestAndTheSocketIsTheSameOne() throws Exception {
        int port = freePort();
        startApi(port, 2, "http");
        twoUpdatesUnderLoadRefuseNothing(port);
    }

    @Test
    void theSocketOfASharedListenIsHandedOverTooAndTwoUpdatesUnderLoadRefuseNothing() throws Exception {
        int port = freePort();
        herd.script("shared.js", """
                const http = require('http');
                http.createServer((req, res) => res.end('Hello from ' + process.pid + '\\n')).listen(process.env.HTTP_PORT);
                """);
        herd.run("start", herd.script("ecosystem.config.js", """
                module.exports = { apps: [{ name: 'api', script: 'shared.js', exec_mode: 'cluster', instances: 2,
                                            env: { HTTP_PORT: %d } }] };
                """.formatted(port)).toString()).ok();
        awaitListening(port);
        String socketBefore = listeningInode(port).orElseThrow();
        String url = "http://127.0.0.1:" + port + "/";
        Path keptOut = tmp.resolve("kept.json");
        Path freshOut = tmp.resolve("fresh.json");
        Process kept = hit(keptOut, url, "--rate", "200", "-c", "8", "-d", "300s", "--retry");
        Process fresh = hit(freshOut, url, "--rate", "50", "-c", "4", "-d", "300s", "--no-keep-alive");
        for (int i = 0; i < 2; i++) {
            Herd.Result r = herd.run("update");
            assertThat(r.code()).as(r.out() + r.err()).isZero();
            awaitListening(port);
        }
        Posix.kill(kept.pid(), Signal.SIGTERM);
        Posix.kill(fresh.pid(), Signal.SIGTERM);
        JsonNode a = summary(kept, keptOut);
        JsonNode b = summary(fresh, freshOut);
        assertThat(a.path("errors").path("refused").asLong()).as(a.toString()).isZero();
        assertThat(b.path("errors").path("total").asLong()).as(b.toString()).isZero();
        assertThat(listeningInode(port)).as("the socket herd bound first").contains(socketBefore);
        assertThat(HitRun.listeningInodes(port)).hasSize(1);
    }

    /** Both instances of the shared-listen app are online and listen on the one socket herd holds. */
    private void awaitListening(int port) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode list = herd.list();
            int online = 0;
            for (JsonNode i : list) {
                online += "online".equals(i.path("status").asText())
                        && i.path("mode").asText().equals("shared :" + port) ? 1 : 0;
            }
            return online == 2 && HitRun.listeningInodes(port).size() == 1;
        });
    }

    @Test
    void aStoppedSocketModeAppComesBackStoppedWithItsSocketStillQueueing() throws Exception {
        int port = freePort();
        startApi(port, 1, "socket");
        awaitReady(1);
        herd.run("stop", "api").ok();
        // A stopped socket-mode app keeps its socket, as a systemd socket unit does.
        String socket = listeningInode(port).orElseThrow();

        herd.run("update").ok();

        assertThat(herd.list()).hasSize(1).allSatisfy(i -> assertThat(i.path("status").asText()).isEqualTo("stopped"));
        assertThat(listeningInode(port)).contains(socket);
        // What connects meanwhile waits in the queue and is answered once the app starts.
        Path out = tmp.resolve("waiting.json");
        Process waiting = hit(out, "http://127.0.0.1:" + port + "/", "-n", "1", "--timeout", "30s");
        herd.run("start", "api").ok();
        JsonNode s = summary(waiting, out);
        assertThat(s.path("ok").asLong()).as(s.toString()).isEqualTo(1);
    }

    /**
     * Starts app {@code api} on the public port: the LISTEN_FDS server in a socket mode, the Node
     * server on its own port behind the proxy in mode {@code http}.
     */
    private void startApi(int port, int instances, String mode) throws Exception {
        boolean proxy = mode.equals("http");
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: api
                    script: %s
                    exec_mode: cluster
                    instances: %d
                    port: %d
                    balancer: {mode: %s, host: 127.0.0.1}
                """.formatted(proxy ? "server.js" : "fdserver.py", instances, port, mode)
                + (proxy ? "" : "    interpreter: python3\n")).toString()).ok();
    }

    private void twoUpdatesUnderLoadRefuseNothing(int port) throws Exception {
        awaitReady(2);
        String socketBefore = listeningInode(port).orElseThrow();
        long daemonBefore = herd.daemonPid();
        String url = "http://127.0.0.1:" + port + "/";
        Path keptOut = tmp.resolve("kept.json");
        Path freshOut = tmp.resolve("fresh.json");
        // The load outlasts both updates however slow the machine is; it is stopped once they are done.
        // A kept-alive connection the old proxy closes between two requests races a client that sends
        // just then: --retry sends such a request again, as browsers do (RFC 9112, 9.3.1).
        Process kept = hit(keptOut, url, "--rate", "200", "-c", "8", "-d", "300s", "--retry");
        Process fresh = hit(freshOut, url, "--rate", "50", "-c", "4", "-d", "300s", "--no-keep-alive");
        for (int i = 0; i < 2; i++) {
            Herd.Result r = herd.run("update");
            assertThat(r.code()).as(r.out() + r.err()).isZero();
            awaitReady(2);
        }
        Posix.kill(kept.pid(), Signal.SIGTERM);
        Posix.kill(fresh.pid(), Signal.SIGTERM);
        JsonNode a = summary(kept, keptOut);
        JsonNode b = summary(fresh, freshOut);
        assertThat(a.path("errors").path("refused").asLong()).as(a.toString()).isZero();
        assertThat(a.path("errors").path("total").asLong()).as(a.toString()).isZero();
        assertThat(b.path("errors").path("total").asLong()).as(b.toString()).isZero();
        assertThat(herd.daemonPid()).isNotEqualTo(daemonBefore);
        // Never closed and bound again: the very socket the first daemon bound listens still.
        assertThat(listeningInode(port)).contains(socketBefore);
        assertThat(a.path("ok").asLong()).as(a.toString()).isGreaterThan(300);
        assertThat(b.path("ok").asLong()).as(b.toString()).isGreaterThan(50);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
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

    private static Optional<String> listeningInode(int port) {
        return HitRun.listeningInodes(port).stream().findFirst();
    }

    /** Starts {@code herd hit} in the background with a JSON summary. */
    private Process hit(Path out, String... args) throws IOException {
        Process p = HitRun.start(herd, out, args).process();
        background.add(p);
        return p;
    }

    private static JsonNode summary(Process p, Path out) throws Exception {
        return new HitRun(p, out).summary();
    }
}
