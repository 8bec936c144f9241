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
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.daemon.Protocol;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * {@code herd update} under load: the old daemon hands each cluster app's public listening socket
 * to the new one (through the update client), so the socket never closes and no connection is
 * refused, in socket mode and behind the proxy. Real daemons, real instances, {@code herd hit}.
 */
class UpdateHandoffIT {

    /** A socket-activated server (fd 3, as gunicorn takes it) that finishes what it has on SIGTERM. */
    private static final String LISTEN_FDS_SERVER = """
            import os, socket, threading, signal, http.server, socketserver
            draining = threading.Event()
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = 'HTTP/1.1'
                timeout = 5
                def do_GET(self):
                    body = ('Hello from worker %d\\n' % os.getpid()).encode()
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(body)))
                    if draining.is_set():
                        self.send_header('Connection', 'close')
                        self.close_connection = True
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
                daemon_threads = False
                block_on_close = True
            server = Server(('127.0.0.1', 0), Handler, bind_and_activate=False)
            server.socket.close()
            server.socket = socket.socket(fileno=3)
            def stop(signum, frame):
                draining.set()
                threading.Thread(target=server.shutdown).start()
            signal.signal(signal.SIGTERM, stop)
            server.serve_forever()
            server.server_close()
            """;

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
        herd.script("fdserver.py", LISTEN_FDS_SERVER);
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
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: api
                    script: fdserver.py
                    interpreter: python3
                    exec_mode: cluster
                    instances: 2
                    port: %d
                    balancer: {mode: socket, host: 127.0.0.1}
                """.formatted(port)).toString()).ok();
        twoUpdatesUnderLoadRefuseNothing(port);
    }

    @Test
    void behindTheProxyTwoUpdatesUnderLoadFailNoRequestAndTheSocketIsTheSameOne() throws Exception {
        int port = freePort();
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    instances: 2
                    port: %d
                    balancer: {host: 127.0.0.1}
                """.formatted(port)).toString()).ok();
        twoUpdatesUnderLoadRefuseNothing(port);
    }

    @Test
    void aStoppedSocketModeAppComesBackStoppedWithItsSocketStillQueueing() throws Exception {
        int port = freePort();
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: api
                    script: fdserver.py
                    interpreter: python3
                    exec_mode: cluster
                    instances: 1
                    port: %d
                    balancer: {mode: socket, host: 127.0.0.1}
                """.formatted(port)).toString()).ok();
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

    /** The inode of the socket listening on {@code port}, from {@code /proc/net/tcp*}. */
    private static Optional<String> listeningInode(int port) throws IOException {
        String hex = String.format(":%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[1].endsWith(hex) && f[3].equals("0A")) {
                    return Optional.of(f[9]);
                }
            }
        }
        return Optional.empty();
    }

    /** Starts {@code herd hit} in the background with a JSON summary. */
    private Process hit(Path out, String... args) throws IOException {
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.add("hit");
        argv.addAll(List.of(args));
        argv.add("--json");
        Process p = new ProcessBuilder(argv).directory(herd.work.toFile()).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        background.add(p);
        return p;
    }

    private static JsonNode summary(Process p, Path out) throws Exception {
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("herd hit ended").isTrue();
        return Protocol.json().readTree(Files.readString(out));
    }
}
