package dev.herd.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A tmux server of a test's own (its socket in the test's directory), with one detached session
 * running a plain bash: keys are typed with {@code send-keys} and the screen read with
 * {@code capture-pane}, as a person at that terminal would.
 */
final class Tmux implements AutoCloseable {

    private static final String SESSION = "monit";

    private final Path socket;

    /** Starts the server and its session, {@code width} by {@code height}, in {@code cwd} with {@code env} set. */
    Tmux(Path dir, Path cwd, int width, int height, Map<String, String> env) throws IOException, InterruptedException {
        this.socket = dir.resolve("tmux.sock");
        List<String> argv = new ArrayList<>(List.of("new-session", "-d", "-s", SESSION, "-x", Integer.toString(width),
                "-y", Integer.toString(height), "-c", cwd.toString()));
        env.forEach((k, v) -> {
            argv.add("-e");
            argv.add(k + "=" + v);
        });
        argv.add("bash --norc --noprofile");
        tmux(argv.toArray(String[]::new));
    }

    /** Types {@code keys}, each as send-keys takes it ({@code Enter}, {@code C-c}, or text). */
    void send(String... keys) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("send-keys", "-t", SESSION));
        argv.addAll(List.of(keys));
        tmux(argv.toArray(String[]::new));
    }

    /** Types {@code line} as literal text, then Enter. */
    void type(String line) throws IOException, InterruptedException {
        tmux("send-keys", "-t", SESSION, "-l", line);
        send("Enter");
    }

    /** The visible screen, one string per row (trailing blanks dropped, as capture-pane does). */
    List<String> screen() throws IOException, InterruptedException {
        return tmux("capture-pane", "-p", "-t", SESSION).lines().toList();
    }

    /** A pane's format variable, e.g. {@code #{alternate_on}}. */
    String format(String format) throws IOException, InterruptedException {
        return tmux("display-message", "-p", "-t", SESSION, format).strip();
    }

    void resize(int width, int height) throws IOException, InterruptedException {
        tmux("resize-window", "-t", SESSION, "-x", Integer.toString(width), "-y", Integer.toString(height));
    }

    private String tmux(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("tmux", "-u", "-S", socket.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        // capture-pane writes wide characters only to a client whose locale says UTF-8.
        pb.environment().put("LC_ALL", "C.UTF-8");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("tmux " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    /** Ends this test's tmux server, and with it the shell and anything still running in it. */
    @Override
    public void close() throws IOException, InterruptedException {
        tmux("kill-server");
    }
}
