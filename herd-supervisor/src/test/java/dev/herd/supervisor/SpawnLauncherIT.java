package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
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
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SpawnLauncher} with real processes: what a child gets, and what it does not. */
class SpawnLauncherIT {

    @TempDir
    Path dir;

    private final SpawnLauncher launcher = new SpawnLauncher();

    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv("PATH"));
        return env;
    }

    private ProcessLauncher.Launched sh(String script) throws IOException {
        return launcher.launch(List.of("/bin/sh", "-c", script), dir, env());
    }

    private static String read(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static int exitOf(ProcessLauncher.Launched p) throws Exception {
        return p.exit().get(20, TimeUnit.SECONDS);
    }

    @Test
    void isTheSystemsLauncherHere() {
        // Debian 12 has glibc 2.36 and a kernel past 5.4: what the daemon runs must be this one.
        assertThat(SpawnLauncher.isAvailable()).isTrue();
        assertThat(ProcessLauncher.system()).isInstanceOf(SpawnLauncher.class);
    }

    @Test
    void exitCodeAndBothStreamsReachTheParent() throws Exception {
        ProcessLauncher.Launched p = sh("echo out; echo err >&2; exit 7");
        assertThat(read(p.stdout())).isEqualTo("out\n");
        assertThat(read(p.stderr())).isEqualTo("err\n");
        assertThat(exitOf(p)).isEqualTo(7);
    }

    @Test
    void deathBySignalIs128PlusItsNumber() throws Exception {
        ProcessLauncher.Launched p = sh("kill -KILL $$");
        assertThat(exitOf(p)).isEqualTo(128 + 9);
    }

    @Test
    void childLeadsItsOwnSessionAndGroupInItsWorkingDirectoryWithStdinEmpty() throws Exception {
        ProcessLauncher.Launched p = sh("pwd; cat; ps -o sid=,pgid= -p $$");
        String[] lines = read(p.stdout()).split("\n");
        assertThat(exitOf(p)).isZero();
        assertThat(lines[0]).isEqualTo(dir.toRealPath().toString());
        assertThat(lines[1].trim().split("\\s+")).containsExactly(Long.toString(p.pid()), Long.toString(p.pid()));
    }

    @Test
    void childHasOnlyItsThreeStandardDescriptorsAndNoBlockedOrIgnoredSignal() throws Exception {
        ProcessLauncher.Launched p = sh("ls /proc/$$/fd; exec grep -E '^Sig(Blk|Ign)' /proc/self/status");
        String out = read(p.stdout());
        assertThat(exitOf(p)).isZero();
        // ls itself opens the directory it lists: one more descriptor, whichever number it got.
        List<String> fds = out.lines().filter(l -> l.matches("\\d+")).toList();
        assertThat(fds).startsWith("0", "1", "2").hasSizeLessThanOrEqualTo(4);
        assertThat(out).contains("SigBlk:\t0000000000000000");
        // Signals 32 and 33 are glibc's own (thread cancellation, set*id), beyond a program's reach.
        long ignored = Long.parseUnsignedLong(out.lines().filter(l -> l.startsWith("SigIgn:")).findFirst().orElseThrow()
                .substring("SigIgn:".length()).trim(), 16);
        assertThat(ignored & ~0x1_8000_0000L).isZero();
    }

    @Test
    void environmentIsExactlyWhatWasGivenWithoutAStaleListenPid() throws Exception {
        Map<String, String> env = env();
        env.put("GREETING", "héllo wörld");
        env.put("LISTEN_PID", "1");
        env.put("LISTEN_FDS", "4");
        ProcessLauncher.Launched p = launcher.launch(List.of("/usr/bin/env"), dir, env);
        List<String> lines = read(p.stdout()).lines().sorted().toList();
        assertThat(exitOf(p)).isZero();
        assertThat(lines).containsExactly("GREETING=héllo wörld", "PATH=" + System.getenv("PATH"));
    }

    @Test
    void handedOverSocketIsAtDescriptorThreeWithSystemdsVariables() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            int fd = TestFds.ofListeningPort(port);
            Handover handover = Handover.of(fd, "web", false);
            ProcessLauncher.Launched p = launcher.launch(List.of("/bin/sh", "-c",
                            "echo $LISTEN_PID $$ $LISTEN_FDS $LISTEN_FDNAMES; readlink /proc/$$/fd/3; ls /proc/$$/fd"),
                    dir, env(), null, handover);
            List<String> lines = read(p.stdout()).lines().toList();
            assertThat(exitOf(p)).isZero();
            assertThat(lines.get(0)).isEqualTo(p.pid() + " " + p.pid() + " 1 web");
            assertThat(lines.get(1)).isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
            assertThat(lines.subList(2, lines.size())).startsWith("0", "1", "2", "3").hasSizeLessThanOrEqualTo(5);
        }
    }

    @Test
    void handedOverSocketCanBeStdinForTheJdksInheritedChannel() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            int fd = TestFds.ofListeningPort(port);
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Path source = dir.resolve("Inherit.java");
            Files.writeString(source, """
                    public class Inherit {
                        public static void main(String[] a) throws Exception {
                            var ch = (java.nio.channels.ServerSocketChannel) System.inheritedChannel();
                            try (var c = ch.accept()) {
                                c.write(java.nio.ByteBuffer.wrap("inherited\\n".getBytes()));
                            }
                        }
                    }
                    """);
            ProcessLauncher.Launched p = launcher.launch(List.of(java.toString(), source.toString()), dir, env(), null,
                    Handover.of(fd, "web", true));
            // The child accepts on the socket this test bound: a connection to the port reaches it.
            String answer = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (answer == null && System.nanoTime() < deadline) {
                try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                    answer = read(c.socket().getInputStream());
                }
                if (answer.isEmpty()) {
                    answer = null;
                }
            }
            assertThat(answer).isEqualTo("inherited\n");
            assertThat(exitOf(p)).isZero();
        }
    }

    @Test
    void missingProgramAndMissingDirectoryAreSaidPlainly() {
        assertThatThrownBy(() -> launcher.launch(List.of("/nonexistent/app"), dir, env()))
                .isInstanceOf(IOException.class).hasMessage("/nonexistent/app not found");
        assertThatThrownBy(() -> launcher.launch(List.of("/bin/sh"), dir.resolve("gone"), env()))
                .isInstanceOf(IOException.class).hasMessageContaining("working directory").hasMessageContaining("not found");
    }

    @Test
    void manyChildrenAtOnceAreEachReapedWithTheirOwnCode() throws Exception {
        List<ProcessLauncher.Launched> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            all.add(sh("exit " + i));
        }
        for (int i = 0; i < all.size(); i++) {
            assertThat(exitOf(all.get(i))).isEqualTo(i);
            all.get(i).stdout().close();
            all.get(i).stderr().close();
        }
        for (ProcessLauncher.Launched p : all) {
            assertThat(Path.of("/proc/" + p.pid())).doesNotExist();
        }
    }
}
