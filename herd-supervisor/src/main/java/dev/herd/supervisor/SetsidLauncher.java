package dev.herd.supervisor;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Starts each instance through {@code setsid(1)}, so that the instance's pid is the id of a new
 * session and process group: one {@code kill -- -pgid} then reaches every process it forked, and
 * a terminal's signals never reach it. stdin is {@code /dev/null}; the JDK closes every other
 * descriptor of ours in the child, so only 0, 1 and 2 are open there.
 *
 * <p>An instance that is to run as another user goes through {@code setpriv(1)} (util-linux, as
 * {@code setsid}) between the two, which sets its real, effective and saved ids and its groups
 * before the program starts: the JDK cannot change a child's user, and {@code su} or
 * {@code runuser} would start a login shell and PAM session in between.
 */
public final class SetsidLauncher implements ProcessLauncher {

    private static final File DEV_NULL = new File("/dev/null");
    private final String setsid;
    private final Optional<String> setpriv;

    /** Finds {@code setsid}, and {@code setpriv} if there is one, in the usual places. */
    public SetsidLauncher() {
        this.setsid = LaunchRules.find("setsid")
                .orElseThrow(() -> new IllegalStateException("setsid(1) not found: install util-linux"));
        this.setpriv = LaunchRules.find("setpriv");
    }

    @Override
    public Launched launch(List<String> command, Path cwd, Map<String, String> env) throws IOException {
        return launch(command, cwd, env, null);
    }

    @Override
    public Launched launch(List<String> command, Path cwd, Map<String, String> env, RunAs runAs) throws IOException {
        LaunchRules.check(command, cwd);
        List<String> argv = new ArrayList<>(command.size() + 7);
        argv.add(setsid);
        if (runAs != null) {
            argv.addAll(LaunchRules.dropTo(runAs, setpriv));
        }
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
