package dev.herd.agent;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.herd.supervisor.Handover;
import dev.herd.supervisor.ProcessLauncher;
import dev.herd.supervisor.SpawnLauncher;

/** A child process started as herd starts an instance, its output lines kept as they come. */
final class Child implements AutoCloseable {

    private static final SpawnLauncher LAUNCHER = new SpawnLauncher();

    private final ProcessLauncher.Launched launched;
    private final List<String> out = new CopyOnWriteArrayList<>();
    private final List<String> err = new CopyOnWriteArrayList<>();

    private Child(ProcessLauncher.Launched launched) {
        this.launched = launched;
        drain(launched.stdout(), out);
        drain(launched.stderr(), err);
    }

    /** Starts {@code command}; with a handover, its socket at fd 3 and, if asked, as stdin. */
    static Child start(List<String> command, Path dir, Map<String, String> env, Handover handover) throws IOException {
        return new Child(LAUNCHER.launch(command, dir, env, null, handover));
    }

    private static void drain(InputStream in, List<String> lines) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The child is gone: what it wrote is kept.
            }
        }, "child-output");
        t.setDaemon(true);
        t.start();
    }

    long pid() {
        return launched.pid();
    }

    List<String> out() {
        return out;
    }

    List<String> err() {
        return err;
    }

    /** Waits for a line on stdout that starts with {@code prefix}, and returns it. */
    String awaitOut(String prefix) {
        return await().atMost(Duration.ofSeconds(60)).until(
                () -> out.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null), l -> l != null);
    }

    /** Waits for the child to exit by itself and returns its code. */
    int exitCode() throws Exception {
        return launched.exit().get(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        ProcessHandle.of(launched.pid()).ifPresent(ProcessHandle::destroyForcibly);
        launched.exit().get(30, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "pid " + pid() + "\nstdout: " + out + "\nstderr: " + err;
    }
}
