package dev.herd.config;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds programs the way the client's shell would: on the {@code PATH} of the client's
 * environment, not the daemon's, since the daemon may have been started from elsewhere.
 */
final class Executables {

    private Executables() {
    }

    /** The first executable regular file {@code name} on the PATH of {@code env}. */
    static Optional<Path> onPath(String name, Map<String, String> env) {
        if (name.isEmpty() || name.contains("/")) {
            return Optional.empty();
        }
        for (String dir : path(env).split(File.pathSeparator)) {
            // An empty PATH entry means the current directory, which is not the client's here.
            if (dir.isEmpty()) {
                continue;
            }
            try {
                Path candidate = Path.of(dir, name);
                if (isExecutable(candidate)) {
                    return Optional.of(candidate.toAbsolutePath().normalize());
                }
            } catch (InvalidPathException e) {
                // A PATH entry that is no path cannot hold the program; the shell skips it too.
            }
        }
        return Optional.empty();
    }

    /** The client's PATH, for error messages. */
    static String path(Map<String, String> env) {
        return env.getOrDefault("PATH", "");
    }

    static boolean isExecutable(Path file) {
        return Files.isRegularFile(file) && Files.isExecutable(file);
    }
}
