package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import dev.herd.daemon.Protocol;

/**
 * Runs the real {@code herd} jar as a user would, against its own {@code HERD_HOME}, and kills
 * the daemon it started when the test ends.
 */
final class Herd implements AutoCloseable {

    /** What one command printed and returned. */
    record Result(int code, String out, String err) {
        Result ok() {
            assertThat(code).as("exit code; stderr: %s; stdout: %s", err, out).isZero();
            return this;
        }
    }

    static final Path JAR = Path.of(System.getProperty("herd.jar", "target/herd.jar")).toAbsolutePath();

    final Path home;
    final Path work;

    Herd(Path tempDir) throws IOException {
        this.home = tempDir.resolve("home");
        this.work = Files.createDirectories(tempDir.resolve("work"));
    }

    /** A TCP port free on this machine right now (bound, then released), for a test's app. */
    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static List<String> javaCommand() {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.add("--enable-native-access=ALL-UNNAMED");
        argv.add("-jar");
        argv.add(JAR.toString());
        return argv;
    }

    Result run(String... args) throws IOException, InterruptedException {
        return runAs(List.of(), Map.of(), args);
    }

    /** Runs herd with a prefix (e.g. setpriv) and extra environment. */
    Result runAs(List<String> prefix, Map<String, String> extraEnv, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(javaCommand());
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(work.toFile());
        pb.environment().put("HERD_HOME", home.toString());
        pb.environment().putAll(extraEnv);
        Path out = Files.createTempFile("herd-out", ".txt");
        Path err = Files.createTempFile("herd-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        Process p = pb.start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("herd " + String.join(" ", args) + " did not finish in 90 s");
        }
        Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    JsonNode list() throws Exception {
        return Protocol.json().readTree(run("list", "--json").ok().out());
    }

    /** The guardian of this home's daemon ({@link DaemonGuardian}), if one is alive. */
    Optional<ProcessHandle> guardian() {
        List<ProcessHandle> all = DaemonGuardian.of(home);
        // Not one of its own short-lived subshells, which carry its arguments.
        return all.stream().filter(g -> g.parent().map(p -> !all.contains(p)).orElse(true)).findFirst();
    }

    /**
     * SIGKILLs the daemon and, first, its guardian: as when both died (the machine's OOM killer
     * picked both), so that nothing starts a daemon before the next command.
     */
    void killDaemonAndGuardian() throws IOException {
        ProcessHandle daemon = ProcessHandle.of(daemonPid()).orElseThrow();
        ProcessHandle guardian = guardian().orElseThrow();
        guardian.destroyForcibly();
        guardian.onExit().join();
        daemon.destroyForcibly();
        daemon.onExit().join();
    }

    long daemonPid() throws IOException {
        return Long.parseLong(Files.readString(home.resolve("daemon.pid")).trim());
    }

    Path script(String name, String body) throws IOException {
        Path f = work.resolve(name);
        Files.writeString(f, body);
        return f;
    }

    @Override
    public void close() throws Exception {
        Path pidFile = home.resolve("daemon.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid = daemonPid();
        run("kill");
        // Whatever the kill left: the guardian first, so that it starts nothing again.
        DaemonGuardian.of(home).forEach(g -> {
            g.destroyForcibly();
            g.onExit().join();
        });
        ProcessHandle.of(pid).ifPresent(h -> {
            h.destroyForcibly();
            h.onExit().join();
        });
    }
}
