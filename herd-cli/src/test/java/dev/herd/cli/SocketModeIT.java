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
 * Cluster apps in socket mode as a user runs them: the real herd and daemon, one listening socket
 * handed to every instance, {@code herd hit} as the client.
 */
class SocketModeIT {

    /**
     * A server of the kind that speaks systemd's socket activation, as gunicorn or Puma do: it
     * serves on fd 3 only when LISTEN_PID is its own pid; on SIGTERM it stops accepting, answers
     * what it has (closing each connection after its answer) and exits.
     */
    static final String LISTEN_FDS_SERVER = """
            import os, socket, sys, signal, threading, http.server, socketserver
            if os.environ.get('LISTEN_PID') != str(os.getpid()) or os.environ.get('LISTEN_FDS') != '1':
                sys.exit('not socket-activated: LISTEN_PID=%s LISTEN_FDS=%s' % (os.environ.get('LISTEN_PID'), os.environ.get('LISTEN_FDS')))
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
            print('serving on the socket herd handed over', flush=True)
            server.serve_forever()
            server.server_close()
            """;

    /** The seed's {@code src/apps/cluster_server/server.ts}, compiled: no signal handler, a listen on PORT. */
    private static final String SEED_SERVER = """
            "use strict";
            var __importDefault = (this && this.__importDefault) || function (mod) {
                return (mod && mod.__esModule) ? mod : { "default": mod };
            };
            Object.defineProperty(exports, "__esModule", { value: true });
            const http_1 = __importDefault(require("http"));
            const port = process.env.PORT || 3000;
            const server = http_1.default.createServer((req, res) => {
                res.writeHead(200);
                res.end(`Hello from process ${process.pid}\\n`);
            });
            server.listen(port, () => {
                console.log(`Server started by process ${process.pid} on port ${port}`);
            });
            """;

    /** A server that ignores the socket it is handed and binds a port of its own. */
    private static final String OWN_PORT_SERVER = """
            import http.server
            http.server.HTTPServer(('127.0.0.1', int(__import__('sys').argv[1])), http.server.BaseHTTPRequestHandler).serve_forever()
            """;

    @TempDir
    Path tmp;

    private Herd herd;
    private final List<Process> background = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
        herd.script("fdserver.py", LISTEN_FDS_SERVER);
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

    private Path ecosystem(int port, int instances, String script) throws IOException {
        return herd.script("eco.yml", """
                apps:
                  - name: api
                    script: %s
                    interpreter: python3
                    exec_mode: cluster
                    instances: %d
                    port: %d
                    listen_timeout: 10000
                    balancer: {mode: socket, host: 127.0.0.1}
                """.formatted(script, instances, port));
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

    private List<Long> pids() throws Exception {
        List<Long> pids = new ArrayList<>();
        herd.list().forEach(i -> pids.add(i.path("pid").asLong()));
        return pids;
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

    /** The inode of the socket behind a process's fd 3, as {@code /proc} names it. */
    private static String fd3(long pid) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/3")).toString();
    }

    @Test
    void everyInstanceAcceptsOnTheOneSocketHerdHoldsAndEachAnswers() throws Exception {
        int port = freePort();
        herd.run("start", ecosystem(port, 3, "fdserver.py").toString()).ok();
        awaitReady(3);

        List<Long> pids = pids();
        Set<String> sockets = new HashSet<>();
        for (long pid : pids) {
            sockets.add(fd3(pid));
        }
        assertThat(sockets).as("one socket for all").hasSize(1);
        assertThat(sockets.iterator().next()).startsWith("socket:[");
        Path out = tmp.resolve("spread.json");
        JsonNode s = summary(hit(out, "http://127.0.0.1:" + port + "/", "-n", "300", "-c", "6", "--no-keep-alive"), out);
        assertThat(s.path("errors").path("total").asLong()).as(s.toString()).isZero();
        Set<Long> answered = new HashSet<>();
        s.path("instances").forEach(i -> answered.add(i.path("instance").asLong()));
        assertThat(answered).containsExactlyInAnyOrderElementsOf(pids);
        String describe = herd.run("describe", "api").ok().out();
        assertThat(describe).contains("none: it accepts on the public port's socket (fd 3, LISTEN_FDS)")
                .contains("it accepts on the socket herd handed it");
    }

    @Test
    void withASocketPerInstanceEachHasItsOwnNewConnectionsSpreadEvenlyAndAScaleDownClosesTheRest() throws Exception {
        int port = freePort();
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: api
                    script: fdserver.py
                    interpreter: python3
                    exec_mode: cluster
                    instances: 3
                    port: %d
                    listen_timeout: 10000
                    balancer: {mode: reuseport, host: 127.0.0.1}
                """.formatted(port)).toString()).ok();
        awaitReady(3);

        Set<String> sockets = new HashSet<>();
        for (long pid : pids()) {
            sockets.add(fd3(pid));
        }
        assertThat(sockets).as("a socket each").hasSize(3);
        assertThat(HitRun.listeningInodes(port)).hasSize(3);
        Path out = tmp.resolve("spread.json");
        JsonNode s = summary(hit(out, "http://127.0.0.1:" + port + "/", "-n", "600", "-c", "6", "--no-keep-alive"), out);
        assertThat(s.path("errors").path("total").asLong()).as(s.toString()).isZero();
        // The kernel hashes each connection to a socket: about 200 each; 120 is more than 6 sigma below.
        assertThat(s.path("instances")).as(s.toString()).hasSize(3)
                .allSatisfy(i -> assertThat(i.path("requests").asLong()).isGreaterThan(120));
        assertThat(herd.run("describe", "api").ok().out())
                .contains("reuseport: each instance accepts on a public socket of its own");

        herd.run("scale", "api", "1").ok();

        await().atMost(Duration.ofSeconds(10)).until(() -> HitRun.listeningInodes(port).size() == 1);
        JsonNode after = summary(hit(tmp.resolve("after.json"), "http://127.0.0.1:" + port + "/", "-n", "100", "-c", "2",
                "--no-keep-alive"), tmp.resolve("after.json"));
        assertThat(after.path("errors").path("total").asLong()).as(after.toString()).isZero();
    }

    @Test
    void reloadsAndAKilledInstanceUnderLoadRefuseNoConnection() throws Exception {
        int port = freePort();
        herd.run("start", ecosystem(port, 3, "fdserver.py").toString()).ok();
        awaitReady(3);
        List<Long> before = pids();
        String url = "http://127.0.0.1:" + port + "/";
        Path keepAliveOut = tmp.resolve("keepalive.json");
        Path freshOut = tmp.resolve("fresh.json");
        // The load outlasts the reloads however slow the machine is; it is stopped once they are done.
        Process keepAlive = hit(keepAliveOut, url, "--rate", "200", "-c", "8", "-d", "300s");
        Process fresh = hit(freshOut, url, "--rate", "50", "-c", "4", "-d", "300s", "--no-keep-alive");
        for (int i = 0; i < 3; i++) {
            Herd.Result r = herd.run("reload", "api");
            assertThat(r.code()).as(r.out() + r.err()).isZero();
            if (i == 1) {
                Posix.kill(pids().get(0), Signal.SIGKILL);
                awaitReady(3);
            }
        }
        Posix.kill(keepAlive.pid(), Signal.SIGTERM);
        Posix.kill(fresh.pid(), Signal.SIGTERM);
        JsonNode a = summary(keepAlive, keepAliveOut);
        JsonNode b = summary(fresh, freshOut);
        assertThat(a.path("errors").path("refused").asLong()).as(a.toString()).isZero();
        assertThat(b.path("errors").path("total").asLong()).as(b.toString()).isZero();
        assertThat(a.path("ok").asLong()).isGreaterThan(300);
        assertThat(pids()).hasSize(3).doesNotContainAnyElementsOf(before);
    }

    @Test
    void theSeedsNodeServerUnchangedTakesTheSocketAndFiveReloadsFailNoRequest() throws Exception {
        fiveReloadsUnderLoadFailNoRequest(SEED_SERVER);
    }

    /** Its own SIGTERM handler closes the server: the preload's drain ends the keep-alive connections all the same. */
    @Test
    void theNodeExampleWithItsOwnSigtermHandlerFailsNoKeptAliveRequestAcrossFiveReloads() throws Exception {
        Path example = Path.of(System.getProperty("user.dir")).resolveSibling("examples").resolve("node").resolve("server.js");
        assertThat(Files.readString(example)).contains("process.on('SIGTERM'");
        fiveReloadsUnderLoadFailNoRequest(Files.readString(example));
    }

    private void fiveReloadsUnderLoadFailNoRequest(String server) throws Exception {
        int port = freePort();
        herd.script("server.js", server);
        herd.script("eco.yml", """
                apps:
                  - name: api
                    script: server.js
                    instances: 3
                    port: %d
                    balancer: {mode: socket, host: 127.0.0.1}
                """.formatted(port));
        herd.run("start", "eco.yml").ok();
        awaitReady(3);
        Set<String> sockets = new HashSet<>();
        for (long pid : pids()) {
            sockets.add(fd3(pid));
        }
        assertThat(sockets).as("one socket for all").hasSize(1);
        assertThat(herd.run("describe", "api").ok().out()).contains("an epoll set watches it");
        String url = "http://127.0.0.1:" + port + "/";
        Path keepAliveOut = tmp.resolve("keepalive.json");
        Path freshOut = tmp.resolve("fresh.json");
        Process keepAlive = hit(keepAliveOut, url, "--rate", "200", "-c", "8", "-d", "300s");
        Process fresh = hit(freshOut, url, "--rate", "50", "-c", "4", "-d", "300s", "--no-keep-alive");
        List<Long> before = pids();
        for (int i = 0; i < 5; i++) {
            Herd.Result r = herd.run("reload", "api");
            assertThat(r.code()).as(r.out() + r.err()).isZero();
        }
        Posix.kill(keepAlive.pid(), Signal.SIGTERM);
        Posix.kill(fresh.pid(), Signal.SIGTERM);
        JsonNode a = summary(keepAlive, keepAliveOut);
        JsonNode b = summary(fresh, freshOut);
        assertThat(a.path("errors").path("total").asLong()).as(a.toString()).isZero();
        assertThat(b.path("errors").path("total").asLong()).as(b.toString()).isZero();
        assertThat(a.path("ok").asLong()).isGreaterThan(300);
        assertThat(pids()).hasSize(3).doesNotContainAnyElementsOf(before);
        // No instance bound a port of its own: the only listener on the port is the socket herd holds.
        assertThat(Files.readString(herd.home.resolve("logs").resolve("api-error-0.log")))
                .doesNotContain("does not use the shared socket");
    }

    /** examples/hello/ecosystem-socket.yml with its port made free: the JDK's HttpServer, unchanged, through herd's agent. */
    @Test
    void theJavaHelloExampleTakesTheSocketThroughTheAgentAndReloadsRefuseNothing() throws Exception {
        int port = freePort();
        Path examples = Path.of(System.getProperty("user.dir")).resolveSibling("examples").resolve("hello");
        herd.script("Hello.java", Files.readString(examples.resolve("Hello.java")));
        herd.script("eco.yml", Files.readString(examples.resolve("ecosystem-socket.yml"))
                .replace("port: 8000", "port: " + port));
        herd.run("start", "eco.yml").ok();
        awaitReady(2);

        List<Long> before = pids();
        Set<String> sockets = new HashSet<>();
        for (long pid : before) {
            sockets.add(fd3(pid));
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/0")).toString()).isEqualTo(fd3(pid));
        }
        assertThat(sockets).as("one socket for all").hasSize(1);
        assertThat(Files.readString(herd.home.resolve("logs").resolve("hello-socket-error-0.log")))
                .contains("[herd] 127.0.0.1:" + port + " is the socket herd hands this instance");
        String url = "http://127.0.0.1:" + port + "/";
        Path freshOut = tmp.resolve("fresh.json");
        Path keptOut = tmp.resolve("kept.json");
        Process fresh = hit(freshOut, url, "--rate", "50", "-c", "4", "-d", "300s", "--no-keep-alive");
        // The JDK's HttpServer.stop closes idle kept-alive connections at once: the client resends, as browsers do.
        Process kept = hit(keptOut, url, "--rate", "100", "-c", "4", "-d", "300s", "--retry");
        for (int i = 0; i < 2; i++) {
            Herd.Result r = herd.run("reload", "hello-socket");
            assertThat(r.code()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains("starting on the public port's socket")
                    .contains("left to finish what it has on its stop signal");
        }
        Posix.kill(fresh.pid(), Signal.SIGTERM);
        Posix.kill(kept.pid(), Signal.SIGTERM);
        JsonNode a = summary(fresh, freshOut);
        JsonNode b = summary(kept, keptOut);
        assertThat(a.path("errors").path("total").asLong()).as(a.toString()).isZero();
        assertThat(b.path("errors").path("total").asLong()).as(b.toString()).isZero();
        Set<Long> answered = new HashSet<>();
        a.path("instances").forEach(i -> answered.add(i.path("instance").asLong()));
        assertThat(answered).containsAll(before);
        assertThat(pids()).hasSize(2).doesNotContainAnyElementsOf(before);
    }

    @Test
    void anInstanceThatBindsAPortOfItsOwnFailsSayingWhichPort() throws Exception {
        int port = freePort();
        int own = freePort();
        herd.script("own.py", OWN_PORT_SERVER);
        herd.script("eco.yml", """
                apps:
                  - name: api
                    script: own.py
                    args: "%d"
                    interpreter: python3
                    exec_mode: cluster
                    instances: 1
                    port: %d
                    listen_timeout: 3000
                    max_restarts: 0
                    balancer: {mode: socket, host: 127.0.0.1}
                """.formatted(own, port));
        Herd.Result started = herd.run("start", "eco.yml");
        assertThat(started.out() + started.err()).contains("api: socket mode: python3 gets the public port's socket at"
                + " fd 3 (LISTEN_FDS=1, LISTEN_PID) and must take it from there");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(herd.run("describe", "api").out())
                .contains("it listens on port " + own + " itself instead of accepting on the socket herd hands it")
                .contains("errored"));
    }

    @Test
    void aPublicPortAnotherAppOfThisHerdHoldsIsSaidByThatAppsName() throws Exception {
        int port = freePort();
        herd.run("start", ecosystem(port, 1, "fdserver.py").toString()).ok();
        awaitReady(1);

        Herd.Result second = herd.run("start", "fdserver.py", "--name", "other", "--interpreter", "python3", "--port",
                Integer.toString(port), "--socket");

        assertThat(second.code()).isNotZero();
        assertThat(second.err()).contains("other: cannot listen on 0.0.0.0:" + port + ": it is the public port of app"
                + " 'api' of this herd (herd delete api, or give this one another port)");
    }

    @Test
    void theSocketStaysOpenAcrossAStopAndAWaitingConnectionIsAnsweredOnStart() throws Exception {
        int port = freePort();
        herd.run("start", ecosystem(port, 1, "fdserver.py").toString()).ok();
        awaitReady(1);
        herd.run("stop", "api").ok();

        // Connected while nothing runs: it waits in the queue of the socket herd holds.
        Path out = tmp.resolve("waiting.json");
        Process waiting = hit(out, "http://127.0.0.1:" + port + "/", "-n", "1", "--timeout", "30s");
        herd.run("start", "api").ok();

        JsonNode s = summary(waiting, out);
        assertThat(s.path("ok").asLong()).as(s.toString()).isEqualTo(1);
        herd.run("delete", "api").ok();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (java.net.Socket c = new java.net.Socket("127.0.0.1", port)) {
                return false;
            } catch (IOException refused) {
                return true;
            }
        });
    }
}
