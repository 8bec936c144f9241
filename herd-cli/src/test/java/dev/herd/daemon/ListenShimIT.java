package dev.herd.daemon;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * herd's Node.js preload for socket mode, {@code herd-listen.cjs}, in real node processes that get
 * a listening socket at fd 3 from the {@code listen-fd.py} fixture as herd hands it over. What
 * socket a process listens on is read from {@code /proc}; HTTP goes over plain sockets, so each
 * test decides which requests open a connection and which reuse one.
 */
class ListenShimIT {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration STARTUP = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    private Path shim;
    private final List<Process> started = new ArrayList<>();
    private final List<Connection> connections = new ArrayList<>();

    @BeforeEach
    void extractTheShim() throws IOException {
        // As the daemon does: the file comes out of the jar (or the classes folder) into a folder of its own.
        shim = tmp.resolve("herd-listen.cjs");
        try (InputStream in = ListenShimIT.class.getResourceAsStream("/dev/herd/daemon/herd-listen.cjs")) {
            assertThat(in).as("herd-listen.cjs on the class path").isNotNull();
            Files.copy(in, shim, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @AfterEach
    void endWhatWasStarted() throws IOException {
        for (Connection c : connections) {
            c.close();
        }
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    // ---------------------------------------------------------------- the socket is taken

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"port", "port-string", "port-host", "port-host-backlog-callback", "port-backlog-callback",
            "options", "options-string"})
    void everyFormOfAListenOnTheAppsPortServesOnTheInheritedSocket(String form) throws Exception {
        Run run = shared(List.of(), "app.js", form);
        JsonNode listening = run.awaitEvents("listening", 1).get(0);
        run.awaitEvents("callback", 1);
        long pid = listening.path("pid").asLong();

        assertThat(pid).as("listen-fd.py became node: LISTEN_PID is true").isEqualTo(run.process.pid());
        assertThat(listening.path("address").path("port").asInt()).isEqualTo(run.port());
        assertThat(listeningSocketsOf(pid)).as("the only listening socket of node is fd 3's")
                .containsExactly(Map.entry(socketInode(pid, 3), run.port()));
        assertThat(get(run.port(), "/").header("x-pid")).isEqualTo(String.valueOf(pid));
    }

    @Test
    void aHardCodedPortWithListenAnyServesOnTheSharedSocketAndBindsNothingElse() throws Exception {
        Run run = shared(List.of("--any"), "app.js", "port", "8000");
        JsonNode listening = run.awaitEvents("listening", 1).get(0);
        long pid = listening.path("pid").asLong();

        assertThat(listening.path("address").path("port").asInt()).as("address() tells the socket's real port")
                .isEqualTo(run.port());
        assertThat(listeningSocketsOf(pid)).as("no socket on 8000, only fd 3's")
                .containsExactly(Map.entry(socketInode(pid, 3), run.port()));
        assertThat(get(run.port(), "/").status()).isEqualTo(200);
    }

    @Test
    void theSocketGoesToTheListenOnHerdListenPortWhateverPortTheSocketIsBoundTo() throws Exception {
        int appPort = freePort();
        Run run = shared(List.of("--app-port", String.valueOf(appPort)), "app.js", "port");
        JsonNode listening = run.awaitEvents("listening", 1).get(0);
        long pid = listening.path("pid").asLong();

        assertThat(run.port()).isNotEqualTo(appPort);
        assertThat(listening.path("address").path("port").asInt()).isEqualTo(run.port());
        assertThat(listeningSocketsOf(pid)).containsExactly(Map.entry(socketInode(pid, 3), run.port()));
    }

    @Test
    void withoutListenAnyAListenOnAnotherPortBindsThatPortAndLeavesTheVariables() throws Exception {
        int other = freePort();
        Run run = shared(List.of(), "app.js", "port", String.valueOf(other));
        JsonNode listening = run.awaitEvents("listening", 1).get(0);
        long pid = listening.path("pid").asLong();

        assertThat(listening.path("address").path("port").asInt()).isEqualTo(other);
        Map<Long, Integer> sockets = listeningSocketsOf(pid);
        assertThat(sockets).as("its own socket on %d, and fd 3's still open", other).hasSize(2)
                .containsEntry(socketInode(pid, 3), run.port()).containsValue(other);
        assertThat(get(other, "/").status()).isEqualTo(200);
        assertThat(get(other, "/child-env").body()).contains("HERD_LISTEN_FD=3", "LISTEN_FDS=1");
    }

    @Test
    void aChildProcessSeesNeitherTheVariablesNorThePreload() throws Exception {
        Run run = shared(List.of(), Map.of("NODE_OPTIONS", "--max-old-space-size=100"), List.of("node", fixture("app.js"), "port"));
        run.awaitEvents("listening", 1);

        String childEnv = get(run.port(), "/child-env").body();
        assertThat(childEnv.lines()).noneMatch(l -> l.matches("(LISTEN_FDS|LISTEN_PID|LISTEN_FDNAMES|HERD_LISTEN_\\w+)=.*"))
                .contains("NODE_OPTIONS=--max-old-space-size=100", "PORT=" + run.port());
    }

    @Test
    void aServerStartedThroughAShellWrapperTakesTheSocketThoughItsPidIsNotListenPid() throws Exception {
        // The shell runs node as a child (not exec: a command follows), as npm and wrapper scripts do.
        Run run = shared(List.of(), Map.of(), List.of("sh", "-c", "node " + fixture("app.js") + " port; exit $?"));
        long pid = run.awaitEvents("listening", 1).get(0).path("pid").asLong();

        assertThat(pid).as("node is the shell's child, not LISTEN_PID").isNotEqualTo(run.process.pid());
        assertThat(socketInode(pid, 3)).isEqualTo(socketInode(run.process.pid(), 3));
        assertThat(listeningSocketsOf(pid)).containsExactly(Map.entry(socketInode(pid, 3), run.port()));
        assertThat(get(run.port(), "/").header("x-pid")).isEqualTo(String.valueOf(pid));
    }

    @Test
    void twoInstancesOnOneSocketBothServeNewConnections() throws Exception {
        Run run = shared(List.of("--share", "2"), "app.js", "port");
        List<JsonNode> listening = run.awaitEvents("listening", 2);
        long first = listening.get(0).path("pid").asLong();
        long second = listening.get(1).path("pid").asLong();
        assertThat(socketInode(first, 3)).isEqualTo(socketInode(second, 3));

        Map<String, Integer> served = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            Response r = get(run.port(), "/");
            assertThat(r.status()).isEqualTo(200);
            served.merge(r.header("x-pid"), 1, Integer::sum);
        }
        assertThat(served).as("connections per instance").containsOnlyKeys(String.valueOf(first), String.valueOf(second));
    }

    // ---------------------------------------------------------------- the drain

    @Test
    void onSigtermAnInstanceFinishesItsRequestWithConnectionCloseAndExitsWhileTheOtherAnswersEveryNewConnection()
            throws Exception {
        Run run = shared(List.of("--share", "2"), "app.js", "port");
        run.awaitEvents("listening", 2);
        // An idle keep-alive connection on each instance: a served request, then nothing.
        Map<String, List<Connection>> idle = new HashMap<>();
        for (int i = 0; i < 200 && idle.size() < 2; i++) {
            Connection c = connect(run.port());
            idle.computeIfAbsent(c.request("/").header("x-pid"), k -> new ArrayList<>()).add(c);
        }
        assertThat(idle).as("an idle connection on each instance").hasSize(2);

        Connection slow = connect(run.port());
        slow.send("/slow");
        long draining = run.awaitEvents("slow", 1).get(0).path("pid").asLong();
        String other = idle.keySet().stream().filter(p -> !p.equals(String.valueOf(draining))).findFirst().orElseThrow();
        signalAndAwaitDrain(draining);

        // An idle connection whose client goes on sending gets its next answer with Connection: close,
        // so the client never sends on a connection closed under it; all that well before the 1.5 s request ends.
        for (Connection c : idle.get(String.valueOf(draining))) {
            Response next = c.request("/");
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.header("x-pid")).isEqualTo(String.valueOf(draining));
            assertThat(next.header("connection")).isEqualTo("close");
            await().atMost(Duration.ofMillis(1000)).pollInterval(Duration.ofMillis(10)).until(c::endedByServer);
        }
        assertThat(slow.answered()).as("the slow request is still in flight").isFalse();
        // New connections while it drains: every one answered, by the other instance.
        int during = 0;
        long giveUp = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!slow.answered() && System.nanoTime() < giveUp) {
            Response r = get(run.port(), "/");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-pid")).isEqualTo(other);
            during++;
        }
        assertThat(during).as("new connections made during the drain").isGreaterThan(10);

        Response done = slow.read();
        assertThat(done.status()).isEqualTo(200);
        assertThat(done.header("connection")).isEqualTo("close");
        assertThat(done.body()).isEqualTo("slow done " + draining + "\n");
        assertThat(slow.endedByServer()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> run.stderr().contains("listen-fd: pid " + draining + " exited with 0"));
        // The other instance's keep-alive connection still serves.
        assertThat(idle.get(other).get(0).request("/").header("x-pid")).isEqualTo(other);
    }

    /** Sends SIGTERM and waits until the process has closed its copy of the socket: its drain has begun. */
    private static void signalAndAwaitDrain(long pid) throws IOException {
        Path fd3 = Path.of("/proc/" + pid + "/fd/3");
        String socket = Files.readSymbolicLink(fd3).toString();
        Posix.kill(pid, Signal.SIGTERM);
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(5)).until(() -> {
            try {
                return !Files.readSymbolicLink(fd3).toString().equals(socket);
            } catch (IOException gone) {
                return true;
            }
        });
    }

    @Test
    void aDrainAnswersAConnectionThatHadNotSentItsRequestAndClosesOneWhoseKeepAliveHeadersHadGoneOut() throws Exception {
        Run run = shared(List.of(), "app.js", "port");
        long pid = run.awaitEvents("listening", 1).get(0).path("pid").asLong();
        // Accepted before the streaming request's connection (the accept queue is in order), silent so far.
        Connection late = connect(run.port());
        Connection silent = connect(run.port());
        Connection streaming = connect(run.port());
        streaming.send("/stream");
        run.awaitEvents("stream", 1);
        Connection idle = connect(run.port());
        idle.request("/");

        long signalled = System.nanoTime();
        signalAndAwaitDrain(pid);
        Response answered = late.request("/");
        assertThat(answered.status()).as("a request on a connection accepted before the drain").isEqualTo(200);
        assertThat(answered.header("connection")).isEqualTo("close");
        assertThat(late.endedByServer()).isTrue();
        // An idle keep-alive connection whose client sends nothing more is closed after the drain's grace.
        await().atMost(Duration.ofMillis(2500)).pollInterval(Duration.ofMillis(10)).until(idle::endedByServer);

        Response streamed = streaming.read();
        assertThat(streamed.body()).isEqualTo("first half\nsecond half\n");
        assertThat(streamed.header("connection")).as("its head went out before the signal").isEqualTo("keep-alive");
        await().atMost(Duration.ofMillis(2500)).pollInterval(Duration.ofMillis(10)).until(streaming::endedByServer);
        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(10)).until(silent::endedByServer);
        assertThat(run.process.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(run.process.exitValue()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - signalled))
                .as("exited well before Node's 5 s keep-alive timeout would end a connection").isLessThan(Duration.ofMillis(3500));
    }

    @Test
    void anAppWithItsOwnSigtermListenerIsLeftToIt() throws Exception {
        Run run = shared(List.of(), "signals.js", "own");
        long pid = run.awaitEvents("listening", 1).get(0).path("pid").asLong();

        Posix.kill(pid, Signal.SIGTERM);
        run.awaitEvents("sigterm", 1);
        Response r = connect(run.port()).request("/");
        assertThat(r.body()).isEqualTo("terminating\n");
        assertThat(r.header("connection")).as("no drain by the shim").isEqualTo("keep-alive");
        assertThat(get(run.port(), "/exit").body()).isEqualTo("bye\n");
        assertThat(run.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(run.process.exitValue()).as("the app's own exit code").isEqualTo(3);
    }

    @Test
    void aListenerThatReRaisesTheSignalWhenAloneSeesItselfAloneAndTheShimThenDrains() throws Exception {
        Run run = shared(List.of(), "signals.js", "reraise");
        long pid = run.awaitEvents("listening", 1).get(0).path("pid").asLong();

        Posix.kill(pid, Signal.SIGTERM);
        run.awaitEvents("cleanup", 1);
        assertThat(run.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(run.process.exitValue()).as("drained, not killed by the re-raised signal").isZero();
        assertThat(run.stdout()).doesNotContain("not alone");
    }

    // ---------------------------------------------------------------- Node's cluster module

    @Test
    void anAppThatIsItsOwnClusterSharesTheSocketThroughItsPrimary() throws Exception {
        Run run = shared(List.of(), "cluster-app.js");
        List<JsonNode> workers = run.awaitEvents("listening", 2);
        long primary = run.process.pid();
        assertThat(listeningSocketsOf(primary)).containsExactly(Map.entry(socketInode(primary, 3), run.port()));

        Map<String, Integer> served = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            served.merge(get(run.port(), "/").header("x-pid"), 1, Integer::sum);
        }
        for (JsonNode w : workers) {
            long pid = w.path("pid").asLong();
            assertThat(listeningSocketsOf(pid)).as("worker %d listens on nothing of its own", pid).isEmpty();
            assertThat(served).containsKey(String.valueOf(pid));
        }
        // The primary's server is the round-robin's, not its own to drain: the signal does as without herd.
        Posix.kill(primary, Signal.SIGTERM);
        assertThat(run.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(run.process.exitValue()).isEqualTo(128 + 15);
    }

    // ---------------------------------------------------------------- not herd's socket

    @ParameterizedTest(name = "fd 3 {0}")
    @ValueSource(strings = {"not inherited", "a file", "a pipe of its parent", "a UDP socket"})
    void withoutTheSocketAtFd3TheListenRunsAsWrittenAndOneLineSaysWhy(String fd3) throws Exception {
        int port = freePort();
        String app = fixture("app.js");
        List<String> command = switch (fd3) {
            case "not inherited" -> List.of("node", app, "port");
            case "a file" -> List.of("sh", "-c", "exec node " + app + " port 3</dev/null");
            case "a pipe of its parent" -> List.of("node", fixture("spawn-with-pipe.js"), "node", app, "port");
            default -> List.of("python3", "-c", """
                    import os, socket, sys
                    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    udp.bind(('127.0.0.1', 0))
                    if udp.fileno() != 3:
                        os.dup2(udp.fileno(), 3)
                    os.set_inheritable(3, True)
                    os.execvp('node', ['node', sys.argv[1], 'port'])
                    """, app);
        };
        Map<String, String> env = Map.of("NODE_OPTIONS", "--require " + shim, "LISTEN_FDS", "1", "LISTEN_FDNAMES", "app",
                "HERD_LISTEN_FD", "3", "HERD_LISTEN_PORT", String.valueOf(port), "PORT", String.valueOf(port));
        Run run = start(command, env, null);
        long pid = run.awaitEvents("listening", 1).get(0).path("pid").asLong();
        run.awaitEvents("callback", 1);

        String why = switch (fd3) {
            // What Node itself opened first: its event loop's epoll.
            case "not inherited" -> "fd 3 is anon_inode:\\[\\w+], not a socket \\(ENOTSOCK\\)";
            case "a file" -> "fd 3 is /dev/null, not a socket \\(ENOTSOCK\\)";
            case "a pipe of its parent" -> "fd 3 is a Unix socket, not a TCP one";
            // Not in /proc's TCP and Unix tables: tried, and Node's listen fails.
            default -> "listen on fd 3 failed: listen EINVAL: invalid argument";
        };
        assertThat(run.stderr().lines().toList()).singleElement().asString()
                .matches("\\[herd] pid " + pid + " does not use the shared socket: " + why + "; listening on port " + port + " itself");
        assertThat(run.events("callback")).as("the callback, once").hasSize(1);
        assertThat(listeningSocketsOf(pid).values()).containsExactly(port);
        assertThat(get(port, "/").header("x-pid")).isEqualTo(String.valueOf(pid));
        // What was at fd 3 is still there: the shim did not let Node close it.
        switch (fd3) {
            case "a file" -> assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/3"))).hasToString("/dev/null");
            case "a pipe of its parent" -> assertThat(socketTable("/proc/net/unix", 6)).contains(socketInode(pid, 3));
            case "a UDP socket" -> assertThat(socketTable("/proc/net/udp", 9)).contains(socketInode(pid, 3));
            default -> { }
        }
    }

    @Test
    void withoutHerdListenFdNothingIsPatchedNorRemoved() throws Exception {
        String probe = "const net = require('net');"
                + "console.log(JSON.stringify({listen: net.Server.prototype.listen.toString(), listeners: process.listenerCount('newListener'),"
                + " fds: process.env.LISTEN_FDS, options: process.env.NODE_OPTIONS}))";
        Map<String, String> systemd = Map.of("LISTEN_FDS", "1", "LISTEN_PID", "1", "NODE_OPTIONS", "--require " + shim);
        JsonNode plain = Protocol.json().readTree(start(List.of("node", "-e", probe), Map.of(), null).awaitOutput());
        JsonNode preloaded = Protocol.json().readTree(start(List.of("node", "-e", probe), systemd, null).awaitOutput());
        Map<String, String> herd = new HashMap<>(systemd);
        herd.put("HERD_LISTEN_FD", "3");
        JsonNode patched = Protocol.json().readTree(start(List.of("node", "-e", probe), herd, null).awaitOutput());

        assertThat(preloaded.path("listen").asText()).isEqualTo(plain.path("listen").asText());
        assertThat(preloaded.path("listeners").asInt()).isEqualTo(plain.path("listeners").asInt());
        assertThat(preloaded.path("fds").asText()).isEqualTo("1");
        assertThat(preloaded.path("options").asText()).isEqualTo("--require " + shim);
        assertThat(patched.path("listen").asText()).as("the probe sees a patch when there is one")
                .isNotEqualTo(plain.path("listen").asText());
    }

    // ---------------------------------------------------------------- processes

    /** A started process, its output in files, and the port file of listen-fd.py when it ran it. */
    private record Run(Process process, Path out, Path err, Path portFile) {

        String stdout() throws IOException {
            return Files.readString(out, UTF_8);
        }

        String stderr() throws IOException {
            return Files.readString(err, UTF_8);
        }

        int port() throws IOException {
            return Integer.parseInt(Files.readString(portFile, US_ASCII).trim());
        }

        List<JsonNode> events(String event) throws IOException {
            List<JsonNode> found = new ArrayList<>();
            for (String line : stdout().lines().toList()) {
                JsonNode n = Protocol.json().readTree(line);
                if (n.path("event").asText().equals(event)) {
                    found.add(n);
                }
            }
            return found;
        }

        /** The first {@code count} lines of this event, once printed; fails early when the process dies. */
        List<JsonNode> awaitEvents(String event, int count) {
            await().atMost(STARTUP).pollInterval(Duration.ofMillis(20)).until(() -> {
                if (!process.isAlive() && events(event).size() < count) {
                    throw new AssertionError("exited with " + process.exitValue() + " before " + count + " '" + event
                            + "'; stdout: " + stdout() + "; stderr: " + stderr());
                }
                return events(event).size() >= count;
            });
            try {
                return events(event).subList(0, count);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** What it printed, once it exited 0. */
        String awaitOutput() throws Exception {
            assertThat(process.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as("exit code; stderr: %s", stderr()).isZero();
            return stdout();
        }
    }

    private static String fixture(String name) throws URISyntaxException {
        String resource = name.endsWith(".py") ? "/" + name : "/listen-shim/" + name;
        return Path.of(ListenShimIT.class.getResource(resource).toURI()).toString();
    }

    private Run shared(List<String> options, String app, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", fixture(app)));
        command.addAll(List.of(args));
        return shared(options, Map.of(), command);
    }

    /** The command through listen-fd.py: a socket on an ephemeral loopback port at fd 3, the shim preloaded. */
    private Run shared(List<String> options, Map<String, String> env, List<String> command) throws Exception {
        Path portFile = tmp.resolve("port-" + started.size());
        List<String> argv = new ArrayList<>(List.of("python3", fixture("listen-fd.py"), "--port-file", portFile.toString(),
                "--require", shim.toString()));
        argv.addAll(options);
        argv.add("0");
        argv.add("--");
        argv.addAll(command);
        Run run = start(argv, env, portFile);
        await().atMost(STARTUP).until(() -> Files.exists(portFile) || !run.process.isAlive());
        assertThat(Files.exists(portFile)).as("listen-fd.py bound a port; stderr: %s", run.stderr()).isTrue();
        return run;
    }

    private Run start(List<String> command, Map<String, String> env, Path portFile) throws IOException {
        int n = started.size();
        Path out = tmp.resolve("out-" + n);
        Path err = tmp.resolve("err-" + n);
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().putAll(env);
        Process p = pb.start();
        started.add(p);
        return new Run(p, out, err, portFile);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    // ---------------------------------------------------------------- /proc

    private static final Pattern SOCKET_LINK = Pattern.compile("socket:\\[(\\d+)]");

    private static long socketInode(long pid, int fd) throws IOException {
        String link = Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString();
        Matcher m = SOCKET_LINK.matcher(link);
        assertThat(m.matches()).as("fd %d of %d is a socket: %s", fd, pid, link).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** The inodes in a socket table of /proc (a header, then one socket a line, its inode at that field). */
    private static List<Long> socketTable(String file, int inodeField) throws IOException {
        List<String> lines = Files.readAllLines(Path.of(file));
        return lines.subList(1, lines.size()).stream().map(l -> Long.parseLong(l.trim().split("\\s+")[inodeField])).toList();
    }

    /** The listening TCP sockets among the process's descriptors: inode to local port. */
    private static Map<Long, Integer> listeningSocketsOf(long pid) throws IOException {
        Map<Long, Integer> listening = new HashMap<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A")) {
                    String local = f[1];
                    listening.put(Long.parseLong(f[9]), Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16));
                }
            }
        }
        Map<Long, Integer> own = new HashMap<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                Matcher m;
                try {
                    m = SOCKET_LINK.matcher(Files.readSymbolicLink(fd).toString());
                } catch (NoSuchFileException closedMeanwhile) {
                    continue;
                }
                if (m.matches() && listening.containsKey(Long.parseLong(m.group(1)))) {
                    long inode = Long.parseLong(m.group(1));
                    own.put(inode, listening.get(inode));
                }
            }
        }
        return own;
    }

    // ---------------------------------------------------------------- HTTP/1.1 on plain sockets

    /** One response: status, headers with lower-case names, body. */
    private record Response(int status, Map<String, String> headers, String body) {

        String header(String name) {
            return headers.get(name);
        }

        static Response parse(String head, String body) {
            List<String> lines = head.lines().toList();
            Map<String, String> headers = new HashMap<>();
            for (String h : lines.subList(1, lines.size())) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            return new Response(Integer.parseInt(lines.get(0).split(" ")[1]), headers, body);
        }
    }

    private Connection connect(int port) throws IOException {
        Connection c = new Connection(port);
        connections.add(c);
        return c;
    }

    /** A request on a new connection that says Connection: close. */
    private static Response get(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), UTF_8);
            int end = all.indexOf("\r\n\r\n");
            assertThat(end).as("a response head in %s", all).isPositive();
            return Response.parse(all.substring(0, end), all.substring(end + 4));
        }
    }

    /** A keep-alive connection: requests one after the other, each response read by its Content-Length. */
    private static final class Connection implements Closeable {
        private final Socket socket = new Socket();
        private final InputStream in;

        Connection(int port) throws IOException {
            socket.connect(new InetSocketAddress(LOOPBACK, port), 5000);
            socket.setSoTimeout(10_000);
            in = socket.getInputStream();
        }

        void send(String path) throws IOException {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(US_ASCII));
        }

        Response request(String path) throws IOException {
            send(path);
            return read();
        }

        Response read() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the connection ended in a response head: " + head.toString(US_ASCII));
                }
                head.write(b);
            }
            Response r = Response.parse(head.toString(US_ASCII).strip(), "");
            String body = new String(in.readNBytes(Integer.parseInt(r.header("content-length"))), UTF_8);
            return new Response(r.status(), r.headers(), body);
        }

        /** Whether the first byte of a response is here. */
        boolean answered() throws IOException {
            return in.available() > 0;
        }

        /** Whether the server ended the connection: an end of stream or a reset, with no byte before. */
        boolean endedByServer() throws IOException {
            socket.setSoTimeout(20);
            try {
                return in.read() < 0;
            } catch (SocketTimeoutException stillOpen) {
                return false;
            } catch (SocketException reset) {
                return true;
            } finally {
                socket.setSoTimeout(10_000);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
