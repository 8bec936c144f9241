package dev.herd.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.agent.fixture.ChannelServers;
import dev.herd.agent.fixture.ClosingServer;
import dev.herd.agent.fixture.PausingAcceptor;
import dev.herd.agent.fixture.PlainServerSocket;
import dev.herd.supervisor.Handover;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * The packaged agent in real JVMs that get a listening socket as herd hands it in socket mode
 * (fd 3 and stdin, {@code HERD_LISTEN_FD}, {@code HERD_LISTEN_PORT}): this test binds that socket
 * and plays herd. The JVM is the one running the test, or {@code -Dherd.test.java=<java>}.
 */
class ListenAgentIT {

    @TempDir
    Path dir;

    private ServerSocketChannel herd;
    private int port;
    private String herdSocket;
    private int herdFd;
    private final List<Child> children = new ArrayList<>();

    @BeforeEach
    void bindTheSocketHerdHandsOver() throws IOException {
        herd = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), 512);
        port = ((InetSocketAddress) herd.getLocalAddress()).getPort();
        herdSocket = ProcNet.listening(port).get(0);
        herdFd = ProcNet.descriptorOf(port);
    }

    @AfterEach
    void stopChildren() throws Exception {
        for (Child child : children) {
            child.close();
        }
        herd.close();
    }

    @Test
    void helloExampleUnmodifiedServesOnTheSocketHerdHandsIt() throws Exception {
        Child hello = instance(List.of(examples().resolve("hello/Hello.java").toString()));
        assertThat(awaitGet(port)).isEqualTo("Hello from worker " + hello.pid() + "\n");
        assertThat(hello.out()).contains("worker " + hello.pid() + " listening on http://127.0.0.1:" + port);
        assertThat(hello.err()).containsExactly("[herd] 127.0.0.1:" + port + " is the socket herd hands this instance (fd 0)");
        // The only socket listening on the port is the one this test bound: Hello made none of its own.
        assertThat(ProcNet.listening(port)).containsExactly(herdSocket);
    }

    @Test
    void twoInstancesOnOneSocketBothAnswer() throws Exception {
        Child one = instance(List.of(examples().resolve("hello/Hello.java").toString()));
        Child two = instance(List.of(examples().resolve("hello/Hello.java").toString()));
        Set<String> answers = ConcurrentHashMap.newKeySet();
        Set<String> both = Set.of("Hello from worker " + one.pid() + "\n", "Hello from worker " + two.pid() + "\n");
        // The kernel gives each new connection to one of the two acceptors: both get some soon.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
            answers.add(get(port));
            return answers.containsAll(both);
        });
        assertThat(answers).isEqualTo(both);
        assertThat(ProcNet.listening(port)).containsExactly(herdSocket);
    }

    @Test
    void onlyTheFirstBindOfThePortTakesItAndABindOfAnotherPortIsTheJdksOwn() throws Exception {
        Child child = instance(fixture(ChannelServers.class, "0"));
        await().atMost(Duration.ofSeconds(60)).until(() -> child.out().size() >= 3);
        String other = child.out().get(2).substring("bound /127.0.0.1:".length());
        int otherPort = Integer.parseInt(other);
        assertThat(child.out().subList(0, 3)).containsExactly(
                "bound /127.0.0.1:" + port,
                "refused " + port + ": java.net.BindException: Address already in use",
                "bound /127.0.0.1:" + other);
        // Both answer through one selector, each on its own channel, non-blocking.
        assertThat(awaitLine(port)).isEqualTo(child.pid() + " " + port);
        assertThat(awaitLine(otherPort)).isEqualTo(child.pid() + " " + otherPort);
        assertThat(ProcNet.listening(port)).containsExactly(herdSocket);
        assertThat(ProcNet.listening(otherPort)).hasSize(1).doesNotContain(herdSocket);
        assertThat(child.err()).containsExactly("[herd] 127.0.0.1:" + port + " is the socket herd hands this instance (fd 0)");
    }

    @Test
    void plainServerSocketTakesTheSocketToo() throws Exception {
        Child child = instance(fixture(PlainServerSocket.class));
        assertThat(child.awaitOut("bound ")).isEqualTo("bound 127.0.0.1:" + port);
        assertThat(awaitLine(port)).isEqualTo(Long.toString(child.pid()));
        assertThat(awaitLine(port)).isEqualTo(Long.toString(child.pid()));
        assertThat(ProcNet.listening(port)).containsExactly(herdSocket);
        assertThat(child.err()).containsExactly("[herd] 127.0.0.1:" + port + " is the socket herd hands this instance (fd 0)");
    }

    @Test
    void closingTheAppsChannelLeavesTheSocketListeningForHerd() throws Exception {
        Child child = instance(fixture(ClosingServer.class));
        assertThat(child.awaitOut("bound ")).isEqualTo("bound /127.0.0.1:" + port);
        assertThat(awaitLine(port)).isEqualTo("first");
        child.awaitOut("closed");
        assertThat(child.out()).contains("accept ended by close");
        assertThat(ProcessHandle.of(child.pid()).map(ProcessHandle::isAlive)).contains(true);
        assertThat(ProcNet.listening(port)).containsExactly(herdSocket);
        // The queue is still there: a new connection waits in it for herd's own accept.
        try (SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
             SocketChannel accepted = herd.accept()) {
            accepted.write(ByteBuffer.wrap("herd\n".getBytes(StandardCharsets.UTF_8)));
            accepted.shutdownOutput();
            assertThat(read(client.socket().getInputStream())).isEqualTo("herd\n");
        }
    }

    @Test
    void onItsStopSignalABlockingAcceptorTakesNoMoreConnectionsFromTheSharedSocket() throws Exception {
        Child child = instance(fixture(PausingAcceptor.class));
        assertThat(child.awaitOut("bound ")).isEqualTo("bound /127.0.0.1:" + port);
        assertThat(awaitLine(port)).isEqualTo(Long.toString(child.pid()));
        // Blocked in accept on the socket this test shares with it, as herd does.
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcNet.waitsInAccept(child.pid()));

        Posix.kill(child.pid(), Signal.SIGTERM);
        child.awaitOut("paused");
        // Without the agent's help its acceptor would take this one and drop it unanswered; the
        // queue keeps it for the others (here: this test, as herd's last instance).
        try (SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
            herd.configureBlocking(false);
            SocketChannel accepted = await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10))
                    .until(herd::accept, c -> c != null);
            accepted.write(ByteBuffer.wrap("herd\n".getBytes(StandardCharsets.UTF_8)));
            accepted.close();
            assertThat(read(client.socket().getInputStream())).isEqualTo("herd\n");
        }
        child.awaitOut("closed");
        assertThat(child.out()).doesNotContain("dropped").contains("accept ended: AsynchronousCloseException");
        assertThat(ProcNet.listening(port)).containsExactly(herdSocket);
    }

    @Test
    void withoutHerdListenFdTheAgentLoadsNothingAndChangesNoClass() throws Exception {
        Path classes = dir.resolve("classes.log");
        Map<String, String> env = env();
        env.put("PORT", "0");
        env.put("HERD_LISTEN_PORT", Integer.toString(port));
        Child child = start(fixture(PlainServerSocket.class, "-Xlog:class+load=info:file=" + classes), env, null);
        int own = Integer.parseInt(child.awaitOut("bound 127.0.0.1:").substring("bound 127.0.0.1:".length()));
        assertThat(awaitLine(own)).isEqualTo(Long.toString(child.pid()));
        assertThat(child.err()).isEmpty();
        assertLoadedOnlyThePremainClass(classes);
    }

    @Test
    void stdinThatIsNotTheSocketLeavesBindsAsTheyAre() throws Exception {
        Path classes = dir.resolve("classes.log");
        Map<String, String> env = socketModeEnv();
        env.put("PORT", "0");
        Child child = start(fixture(PlainServerSocket.class, "-Xlog:class+load=info:file=" + classes), env,
                Handover.of(herdFd, "web", false));
        int own = Integer.parseInt(child.awaitOut("bound 127.0.0.1:").substring("bound 127.0.0.1:".length()));
        assertThat(awaitLine(own)).isEqualTo(Long.toString(child.pid()));
        assertThat(child.err()).containsExactly("[herd] HERD_LISTEN_FD is set but stdin is not a listening socket: "
                + "a bind of port " + port + " binds as usual");
        assertLoadedOnlyThePremainClass(classes);
    }

    @Test
    void aPortThatIsNotANumberIsSaidInOneLineAndBindsAsUsual() throws Exception {
        Map<String, String> env = socketModeEnv();
        env.put("PORT", "0");
        env.put("HERD_LISTEN_PORT", "web");
        Child child = start(fixture(PlainServerSocket.class), env, Handover.of(herdFd, "web", true));
        int own = Integer.parseInt(child.awaitOut("bound 127.0.0.1:").substring("bound 127.0.0.1:".length()));
        assertThat(awaitLine(own)).isEqualTo(Long.toString(child.pid()));
        assertThat(child.err()).containsExactly(
                "[herd] the agent cannot watch this JVM's binds (HERD_LISTEN_PORT='web' is not a number): they bind as usual");
    }

    /** Of the agent jar, the JVM loaded only the gate: no Byte Buddy, no hooks, so nothing was woven. */
    private static void assertLoadedOnlyThePremainClass(Path classLog) throws IOException {
        String jar = "file:" + Path.of(System.getProperty("herd.agent.jar")).toAbsolutePath();
        List<String> fromAgent = Files.readAllLines(classLog).stream()
                .filter(l -> l.endsWith("source: " + jar))
                .map(l -> l.replaceAll("^\\S+ (\\S+) source: .*$", "$1")).toList();
        assertThat(fromAgent).containsExactlyInAnyOrder("dev.herd.agent.ListenAgent", "dev.herd.agent.ListenSettings");
    }

    private Child instance(List<String> program) throws IOException {
        return start(program, socketModeEnv(), Handover.of(herdFd, "web", true));
    }

    private Child start(List<String> program, Map<String, String> env, Handover handover) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("herd.test.java", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.add("-javaagent:" + System.getProperty("herd.agent.jar"));
        command.addAll(program);
        Child child = Child.start(command, dir, env, handover);
        children.add(child);
        return child;
    }

    private Map<String, String> socketModeEnv() {
        Map<String, String> env = env();
        env.put("PORT", Integer.toString(port));
        env.put("HERD_LISTEN_FD", Integer.toString(Handover.FIRST_FD));
        env.put("HERD_LISTEN_PORT", Integer.toString(port));
        return env;
    }

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv("PATH"));
        return env;
    }

    /** The JVM options before the class, then the class and its arguments, on the test classes' path. */
    private static List<String> fixture(Class<?> main, String... rest) throws URISyntaxException {
        List<String> command = new ArrayList<>();
        List<String> args = new ArrayList<>();
        for (String s : rest) {
            (s.startsWith("-") ? command : args).add(s);
        }
        command.add("-cp");
        command.add(Path.of(main.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        command.add(main.getName());
        command.addAll(args);
        return command;
    }

    private static Path examples() {
        return Path.of(System.getProperty("herd.examples", "../examples"));
    }

    private static String awaitGet(int port) {
        return await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> get(port), body -> !body.isEmpty());
    }

    private static String awaitLine(int port) {
        return await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> read(port).trim(), l -> !l.isEmpty());
    }

    /** One HTTP GET on a new connection: its body. */
    private static String get(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = read(s.getInputStream());
            int body = response.indexOf("\r\n\r\n");
            return body < 0 ? "" : response.substring(body + 4);
        }
    }

    /** All a server writes on a new connection until it closes it. */
    private static String read(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            return read(s.getInputStream());
        }
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
