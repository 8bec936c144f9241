package dev.herd.supervisor;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Starts each instance through {@code setsid(1)}, so that the instance's pid is the id of a new
 * session and process group: one {@code kill -- -pgid} then reaches every process it forked, and
 * a terminal's signals never reach it. stdin is {@code /dev/null}; the JDK closes every other
 * descriptor of ours in the child, so only 0, 1 and 2 are open there.
 */
public final class SetsidLauncher implements ProcessLauncher {

    private static final File DEV_NULL = new File("/dev/null");
    private final String setsid;

    /** Finds {@code setsid} in the usual places. */
    public SetsidLauncher() {
        this.setsid = List.of("/usr/bin/setsid", "/bin/setsid", "/usr/local/bin/setsid").stream()
                .filter(p -> Files.isExecutable(Path.of(p)))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("setsid(1) not found: install util-linux"));
    }

    @Override
    public Launched launch(List<String> command, Path cwd, Map<String, String> env) throws IOException {
        Path program = Path.of(command.get(0));
        if (!Files.exists(program)) {
            throw new IOException(program + " not found");
        }
        if (!Files.isExecutable(program) || Files.isDirectory(program)) {
            throw new IOException(program + " is not executable");
        }
        if (!Files.isDirectory(cwd)) {
            throw new IOException("working directory " + cwd + " not found");
        }
        List<String> argv = new ArrayList<>(command.size() + 1);
        argv.add(setsid);
        argv.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(argv).directory(cwd.toFile()).redirectInput(DEV_NULL);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        return new Launched() {
            @Override
            public long pid() {
                return p.pid();
            }

            @Override
            public InputStream stdout() {
                return p.getInputStream();
            }

            @Override
            public InputStream stderr() {
                return p.getErrorStream();
            }

            @Override
            public CompletableFuture<Integer> exit() {
                return p.onExit().thenApply(Process::exitValue);
            }
        };
    }
}
