package dev.herd.daemon;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.cluster.PortOwner;
import dev.herd.cluster.SharedPorts;
import dev.herd.supervisor.Handover;
import dev.herd.supervisor.InstanceChannels;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.ProcessLauncher;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.SpawnLauncher;
import dev.herd.supervisor.Supervisor;

/**
 * Shared listens end to end below the daemon: real node processes spawned as the supervisor
 * spawns them (posix_spawn, Node's own channel at fd 3 from {@link NodeIpc}), herd's preload
 * asking for each port they listen on, and {@link SharedPorts} binding it once in this process.
 * Which socket a process listens on is read from {@code /proc}.
 */
class SharedListenIT {

    private static final Duration STARTUP = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    private final SharedPorts shared = new SharedPorts();
    private final ProcessLauncher launcher = new SpawnLauncher();
    private final List<Started> started = new ArrayList<>();
    private NodeIpc ipc;

    @BeforeEach
    void startTheChannels() throws IOException {
        ipc = NodeIpc.start(tmp.resolve("ipc"), System.getProperty("user.name"), shared);
    }

    @AfterEach
    void endWhatWasStarted() throws Exception {
        for (Started s : started) {
            Posix.killGroup(s.pid, Signal.SIGKILL);
            s.run.close();
        }
        ipc.close();
        shared.close();
    }

    /** One node process of app {@code app}, its output collected. */
    private record Started(long pid, InstanceChannels.Channel run, StringBuffer out) {

        List<JsonNode> events(String event) {
            List<JsonNode> found = new ArrayList<>();
            for (String line : out.toString().lines().toList()) {
                try {
                    JsonNode n = Protocol.json().readTree(line);
                    if (n.path("event").asText().equals(event)) {
                        found.add(n);
                    }
                } catch (IOException notJson) {
                    // The preload's [herd] lines and node's own.
                }
            }
            return found;
        }

        List<JsonNode> awaitEvents(String event, int count) {
            await().atMost(STARTUP).pollInterval(Duration.ofMillis(20))
                    .until(() -> events(event).size() >= count);
            return events(event);
        }
    }

    private Started node(String app, Map<String, String> extraEnv, AtomicInteger ready, String... args) throws Exception {
        InstanceChannels.Channel run = ipc.open(app, started.size(), ready::incrementAndGet);
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(extraEnv);
        env.put(Supervisor.SHARE_LISTENS_VARIABLE, "1");
        int end = run.inherit(env, Handover.FIRST_FD);
        assertThat(end).as("a channel of Node's own").isNotNegative();
        assertThat(env).containsEntry("NODE_CHANNEL_FD", "3");
        run.addTo(env);
        assertThat(env).doesNotContainKey(NodeIpc.SOCKET_VARIABLE);
        List<String> command = new ArrayList<>(List.of(nodePath(), fixture()));
        command.addAll(List.of(args));
        ProcessLauncher.Launched p;
        try {
            p = launcher.launch(command, tmp, env, null, Handover.channelOnly(end));
        } finally {
            run.spawned();
        }
        StringBuffer out = new StringBuffer();
        pump(p.stdout(), out);
        pump(p.stderr(), out);
        Started s = new Started(p.pid(), run, out);
        started.add(s);
        return s;
    }

    private static void pump(InputStream in, StringBuffer into) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(b)) > 0) {
                    into.append(new String(b, 0, n, UTF_8));
                }
            } catch (IOException e) {
                // The process ended.
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private static String nodePath() {
        for (String dir : System.getenv("PATH").split(":")) {
            Path p = Path.of(dir, "node");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError("no node on the PATH");
    }

    private static String fixture() throws URISyntaxException {
        return Path.of(SharedListenIT.class.getResource("/listen-shim/shared-app.js").toURI()).toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The inodes of the sockets listening on {@code port}, machine-wide. */
    private static List<Long> listening(int port) {
        return PortOwner.listeners().stream().filter(l -> l.port() == port).map(PortOwner.Listener::inode).toList();
    }

    private static Set<Long> socketInodes(long pid) {
        Set<Long> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(Long.parseLong(target.substring("socket:[".length(), target.length() - 1)));
                    }
                } catch (IOException closedMeanwhile) {
                    // Gone while listed.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return inodes;
    }

    @Test
    void eachPortAProcessListensOnIsBoundOnceByHerdAndTheListenServesOnIt() throws Exception {
        int a = freePort();
        int b = freePort();
        Started s = node("api", Map.of(), new AtomicInteger(), Integer.toString(a), "127.0.0.1:" + b);

        List<JsonNode> events = s.awaitEvents("listening", 2);
        assertThat(events).extracting(e -> e.path("address").path("port").asInt()).containsExactlyInAnyOrder(a, b);
        assertThat(events).as("the process's own env no longer says it").allSatisfy(e ->
                assertThat(e.path("share").isNull()).isTrue());
        assertThat(shared.of("api")).extracting(InetSocketAddress::getPort).containsExactlyInAnyOrder(a, b);
        for (int port : List.of(a, b)) {
            assertThat(listening(port)).as("one socket on %d", port).hasSize(1);
            assertThat(socketInodes(s.pid)).as("node listens on herd's socket for %d", port)
                    .contains(listening(port).get(0));
            assertThat(socketInodes(ProcessHandle.current().pid())).contains(listening(port).get(0));
        }
        assertThat(s.out.toString()).doesNotContain("[herd]");
    }

    @Test
    void aSecondInstanceAskingForTheSamePortGetsTheSameSocket() throws Exception {
        int port = freePort();
        Started first = node("api", Map.of(), new AtomicInteger(), Integer.toString(port));
        Started second = node("api", Map.of(), new AtomicInteger(), Integer.toString(port));

        first.awaitEvents("listening", 1);
        second.awaitEvents("listening", 1);
        assertThat(listening(port)).hasSize(1);
        long socket = listening(port).get(0);
        assertThat(socketInodes(first.pid)).contains(socket);
        assertThat(socketInodes(second.pid)).contains(socket);
        assertThat(first.events("error")).isEmpty();
        assertThat(second.events("error")).isEmpty();
    }

    @Test
    void aPortHeldByAnotherProgramFailsTheListenWithEaddrinuseNamingTheHolder() throws Exception {
        Process holder = new ProcessBuilder("python3", "-c", "import socket, time\n"
                + "s = socket.socket(); s.bind(('0.0.0.0', 0)); s.listen()\n"
                + "print(s.getsockname()[1], flush=True); time.sleep(60)").start();
        try {
            int port = Integer.parseInt(new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream(),
                    UTF_8)).readLine().trim());
            Started s = node("api", Map.of(), new AtomicInteger(), Integer.toString(port));

            JsonNode error = s.awaitEvents("error", 1).get(0);
            assertThat(error.path("code").asText()).isEqualTo("EADDRINUSE");
            assertThat(error.path("message").asText()).contains("held by pid " + holder.pid() + " (python3)");
            assertThat(s.events("listening")).isEmpty();
            assertThat(shared.of("api")).isEmpty();
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void readyOnNodesOwnChannelReachesHerdAndShutdownReachesTheApp() throws Exception {
        AtomicInteger ready = new AtomicInteger();
        Started s = node("api", Map.of("SEND_READY", "1"), ready, Integer.toString(freePort()));

        s.awaitEvents("listening", 1);
        await().atMost(STARTUP).until(() -> ready.get() == 1);
        assertThat(s.run.send("shutdown")).as("a message goes out on the same channel").isTrue();
    }

    @Test
    void aChildTheAppForksHasItsOwnChannelAndListensAsItWouldWithoutHerd() throws Exception {
        int parent = freePort();
        int child = freePort();
        Started s = node("api", Map.of(), new AtomicInteger(), Integer.toString(parent), "fork:" + child);

        List<JsonNode> events = s.awaitEvents("listening", 2);
        JsonNode forked = events.stream().filter(e -> e.path("asked").asInt() == child).findFirst().orElseThrow();
        long childPid = forked.path("pid").asLong();
        assertThat(childPid).isNotEqualTo(s.pid);
        assertThat(shared.of("api")).extracting(InetSocketAddress::getPort).containsExactly(parent);
        assertThat(socketInodes(childPid)).as("the child's own socket on %d", child).contains(listening(child).get(0));
        assertThat(socketInodes(ProcessHandle.current().pid())).doesNotContain(listening(child).get(0));
    }
}
