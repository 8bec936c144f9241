package dev.herd.supervisor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Spawns instance processes. The supervisor decides, the launcher acts, so tests can drive every
 * edge of the state machine with a fake.
 */
public interface ProcessLauncher {

    /**
     * Starts one process.
     *
     * @throws IOException with a message fit for the user when it cannot be started
     */
    Launched launch(List<String> command, Path cwd, Map<String, String> env) throws IOException;

    /**
     * Starts one process as another user and group; a launcher that cannot refuses, so that no
     * instance runs as a user it was not meant to.
     *
     * @param runAs the user and group, or {@code null} for this process's own
     * @throws IOException with a message fit for the user when it cannot be started
     */
    default Launched launch(List<String> command, Path cwd, Map<String, String> env, RunAs runAs) throws IOException {
        if (runAs != null) {
            throw new IOException("this launcher cannot run a process as uid " + runAs.uid());
        }
        return launch(command, cwd, env);
    }

    /**
     * Starts one process that gets listening sockets from herd; a launcher that cannot hand them
     * over refuses, so that no instance binds a port of its own it was meant to share.
     *
     * @param runAs    the user and group, or {@code null} for this process's own
     * @param handover the sockets, or {@code null} for none
     * @throws IOException with a message fit for the user when it cannot be started
     */
    default Launched launch(List<String> command, Path cwd, Map<String, String> env, RunAs runAs, Handover handover)
            throws IOException {
        if (handover != null) {
            throw new IOException("this launcher cannot hand listening sockets to a process");
        }
        return launch(command, cwd, env, runAs);
    }

    /**
     * Starts one process that enters a cgroup before the program runs, so that nothing it starts
     * is ever outside it; a launcher that cannot ({@link #entersCgroups}) starts it where it is,
     * for the caller to move.
     *
     * @param cgroup the cgroup's folder, or {@code null} for none
     * @throws IOException with a message fit for the user when it cannot be started
     */
    default Launched launch(List<String> command, Path cwd, Map<String, String> env, RunAs runAs, Handover handover,
                            Path cgroup) throws IOException {
        return handover == null ? launch(command, cwd, env, runAs) : launch(command, cwd, env, runAs, handover);
    }

    /** Whether {@link #launch(List, Path, Map, RunAs, Handover, Path)} has the process enter the cgroup itself. */
    default boolean entersCgroups() {
        return false;
    }

    /** Whether {@link #launch(List, Path, Map, RunAs, Handover)} can hand descriptors over. */
    default boolean handsDescriptors() {
        return false;
    }

    /**
     * This system's best: {@link SpawnLauncher}, which can hand sockets over and waits for every
     * child on one thread, where the C library and kernel have what it needs; else
     * {@link SetsidLauncher}.
     */
    static ProcessLauncher system() {
        return SpawnLauncher.isAvailable() ? new SpawnLauncher() : new SetsidLauncher();
    }

    /** A started process: its pid is also its process group id. */
    interface Launched {
        long pid();

        InputStream stdout();

        InputStream stderr();

        /**
         * The raw read end of stdout's pipe, now the caller's to read and close, so that one
         * thread can poll every instance's pipes; -1 when this launcher has none to give or
         * {@link #stdout} was used. After it, {@link #stdout} is not to be used.
         */
        default int takeStdoutFd() {
            return -1;
        }

        /** As {@link #takeStdoutFd}, for stderr. */
        default int takeStderrFd() {
            return -1;
        }

        /** Completes with the exit code (128 + n after death by signal n) when the process ends. */
        CompletableFuture<Integer> exit();
    }
}
