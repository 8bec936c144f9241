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

    /** A started process: its pid is also its process group id. */
    interface Launched {
        long pid();

        InputStream stdout();

        InputStream stderr();

        /** Completes with the exit code (128 + n after death by signal n) when the process ends. */
        CompletableFuture<Integer> exit();
    }
}
