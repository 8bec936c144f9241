package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.InstanceChannels;

/**
 * The daemon's end of the Node.js channel on its real socket, with this test as the app's
 * process: hellos, {@code 'ready'}, what herd sends, and what it refuses.
 */
class NodeIpcTest {

    @TempDir
    Path dir;

    private NodeIpc ipc;
    private final AtomicInteger readies = new AtomicInteger();

    @BeforeEach
    void setUp() throws Exception {
        ipc = NodeIpc.start(dir.resolve("ipc"), System.getProperty("user.name"), new dev.herd.cluster.SharedPorts());
    }

    @AfterEach
    void tearDown() throws Exception {
        ipc.close();
    }

    private SocketChannel connect() throws Exception {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(ipc.socket()));
        return ch;
    }

    private static void write(SocketChannel ch, String text) throws Exception {
        OutputStream out = Channels.newOutputStream(ch);
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String hello(String token) {
        return "{\"herd\":1,\"token\":\"" + token + "\",\"pid\":" + ProcessHandle.current().pid() + "}\n";
    }

    /** Whether the daemon ended the connection: an end of stream, or a reset of one it never took. */
    private static boolean closedByPeer(SocketChannel ch) throws Exception {
        try {
            return ch.read(ByteBuffer.allocate(16)) < 0;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    @Test
    void aRunPutsItsSocketTokenAndThePreloadInTheEnvironment() {
        InstanceChannels.Channel run = ipc.open("web", 0, readies::incrementAndGet);
        Map<String, String> env = new HashMap<>(Map.of("NODE_OPTIONS", "--max-old-space-size=100"));

        run.addTo(env);

        assertThat(env.get(NodeIpc.SOCKET_VARIABLE)).isEqualTo(ipc.socket().toString());
        assertThat(env.get(NodeIpc.TOKEN_VARIABLE)).matches("[0-9a-f]{32}");
        Path preload = dir.resolve("ipc").resolve(NodeIpc.PRELOAD);
        assertThat(env.get("NODE_OPTIONS")).isEqualTo("--max-old-space-size=100 --require " + preload);
        assertThat(preload).isRegularFile();
        assertThat(ipc.open("web", 1, readies::incrementAndGet)).as("each run its own token")
                .satisfies(other -> {
                    Map<String, String> e = new HashMap<>();
                    other.addTo(e);
                    assertThat(e.get(NodeIpc.TOKEN_VARIABLE)).isNotEqualTo(env.get(NodeIpc.TOKEN_VARIABLE));
                });
    }

    @Test
    void aPreloadSomeoneRemovedIsWrittenAgainBeforeARunNeedsIt() throws Exception {
        Path preload = dir.resolve("ipc").resolve(NodeIpc.PRELOAD);
        Files.delete(preload);
        Map<String, String> env = new HashMap<>();

        ipc.open("web", 0, readies::incrementAndGet).addTo(env);

        assertThat(preload).isRegularFile();
        assertThat(env.get("NODE_OPTIONS")).endsWith(" " + preload);
    }

    @Test
    void nodeOptionsQuoteThePreloadAfterTheAppsOwn() {
        Path odd = Path.of("/srv/my \"herd\"/ipc/herd-ipc.cjs");

        assertThat(NodeIpc.nodeOptions(null, odd)).isEqualTo("--require \"/srv/my \\\"herd\\\"/ipc/herd-ipc.cjs\"");
        assertThat(NodeIpc.nodeOptions(" ", odd)).startsWith("--require ");
        assertThat(NodeIpc.nodeOptions(null, Path.of("/home/me/.herd/ipc/herd-ipc.cjs")))
                .isEqualTo("--require /home/me/.herd/ipc/herd-ipc.cjs");
        assertThat(NodeIpc.nodeOptions(null, Path.of("/srv/my herd/ipc/herd-ipc.cjs")))
                .isEqualTo("--require \"/srv/my herd/ipc/herd-ipc.cjs\"");
        assertThat(NodeIpc.nodeOptions("--inspect", odd)).startsWith("--inspect --require ");
    }

    @Test
    void readyFromTheRunsProcessReachesItsCallbackAndOtherMessagesDoNot() throws Exception {
        InstanceChannels.Channel run = ipc.open("web", 0, readies::incrementAndGet);
        Map<String, String> env = new HashMap<>();
        run.addTo(env);

        try (SocketChannel ch = connect()) {
            write(ch, hello(env.get(NodeIpc.TOKEN_VARIABLE)));
            write(ch, "{\"type\":\"process:msg\",\"data\":{\"ready\":true}}\nnot json\n\"ready\"\n");

            await().atMost(Duration.ofSeconds(5)).until(() -> readies.get() == 1);
            write(ch, "\"ready\"\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> readies.get() == 2);
        }
    }

    @Test
    void aConnectionWithAnUnknownTokenIsClosedAndHeardByNobody() throws Exception {
        ipc.open("web", 0, readies::incrementAndGet);

        try (SocketChannel ch = connect()) {
            write(ch, hello("0123456789abcdef0123456789abcdef") + "\"ready\"\n");

            assertThat(closedByPeer(ch)).isTrue();
        }
        assertThat(readies).hasValue(0);
    }

    @Test
    void aConnectionWithoutAHelloIsClosed() throws Exception {
        ipc.open("web", 0, readies::incrementAndGet);

        try (SocketChannel ch = connect()) {
            write(ch, "\"ready\"\n");

            assertThat(closedByPeer(ch)).isTrue();
        }
        assertThat(readies).hasValue(0);
    }

    @Test
    void aHelloLongerThanTheBoundIsClosedWithoutWaitingForItsEnd() throws Exception {
        try (SocketChannel ch = connect()) {
            write(ch, "x".repeat(IpcWire.MAX_LINE + 1));

            assertThat(closedByPeer(ch)).isTrue();
        }
    }

    @Test
    void sendReachesTheConnectedProcessAsAJsonLine() throws Exception {
        InstanceChannels.Channel run = ipc.open("web", 0, readies::incrementAndGet);
        Map<String, String> env = new HashMap<>();
        run.addTo(env);
        assertThat(run.send("shutdown")).as("nobody connected yet").isFalse();

        try (SocketChannel ch = connect()) {
            write(ch, hello(env.get(NodeIpc.TOKEN_VARIABLE)) + "\"ready\"\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> readies.get() == 1);

            assertThat(run.send("shutdown")).isTrue();

            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                    StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("\"shutdown\"");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !run.send("shutdown"));
    }

    @Test
    void aSecondProcessOfTheSameRunIsRefused() throws Exception {
        InstanceChannels.Channel run = ipc.open("web", 0, readies::incrementAndGet);
        Map<String, String> env = new HashMap<>();
        run.addTo(env);
        String token = env.get(NodeIpc.TOKEN_VARIABLE);

        try (SocketChannel first = connect(); SocketChannel second = connect()) {
            write(first, hello(token) + "\"ready\"\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> readies.get() == 1);
            write(second, hello(token) + "\"ready\"\n");

            assertThat(closedByPeer(second)).isTrue();
            assertThat(readies).hasValue(1);
        }
    }

    @Test
    void closingARunEndsItsConnectionAndForgetsItsToken() throws Exception {
        InstanceChannels.Channel run = ipc.open("web", 0, readies::incrementAndGet);
        Map<String, String> env = new HashMap<>();
        run.addTo(env);
        String token = env.get(NodeIpc.TOKEN_VARIABLE);

        try (SocketChannel ch = connect()) {
            write(ch, hello(token) + "\"ready\"\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> readies.get() == 1);

            run.close();

            assertThat(closedByPeer(ch)).isTrue();
        }
        try (SocketChannel again = connect()) {
            write(again, hello(token) + "\"ready\"\n");
            assertThat(closedByPeer(again)).isTrue();
        }
        assertThat(readies).hasValue(1);
        assertThat(run.send("shutdown")).isFalse();
    }

    @Test
    void closingTheServerEndsEveryConnectionAndRemovesItsSocket() throws Exception {
        try (SocketChannel ch = connect()) {
            ipc.close();

            assertThat(closedByPeer(ch)).isTrue();
        }
        assertThat(ipc.socket()).doesNotExist();
    }

    @Test
    void socketsOfDaemonsThatAreGoneAreRemovedAndOthersLeftAlone() throws Exception {
        Path ipcDir = Files.createDirectory(dir.resolve("another"));
        Path stale = Files.createFile(ipcDir.resolve("999999999.sock"));
        Path live = Files.createFile(ipcDir.resolve("1.sock"));
        Path other = Files.createFile(ipcDir.resolve("notes.sock"));

        NodeIpc.start(ipcDir, System.getProperty("user.name"), new dev.herd.cluster.SharedPorts()).close();

        assertThat(stale).doesNotExist();
        assertThat(live).as("pid 1 runs").exists();
        assertThat(other).exists();
    }
}
