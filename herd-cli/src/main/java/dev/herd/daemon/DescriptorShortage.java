package dev.herd.daemon;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a command says when the daemon ran out of file descriptors (EMFILE) while it started
 * instances: each one holds its pipes, its log files and their times, so a daemon started under a
 * low {@code ulimit -n} runs out at a few dozen. Without this the user got "internal error:
 * java.nio.file.FileSystemException: ...", which names neither the cause nor the remedy.
 */
final class DescriptorShortage {

    /** The text the JDK gives EMFILE (strerror), in a FileSystemException's reason or an IOException's message. */
    static final String EMFILE_TEXT = "Too many open files";

    private DescriptorShortage() {
    }

    /**
     * The one line for a failure caused by EMFILE, or empty for any other failure.
     *
     * @param failure what the command threw, causes included
     * @param limit   the daemon's RLIMIT_NOFILE, or -1 when unknown
     */
    static Optional<String> message(Throwable failure, long limit) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String said = t instanceof FileSystemException f && f.getReason() != null ? f.getReason() : t.getMessage();
            if (t instanceof IOException && said != null && said.contains(EMFILE_TEXT)) {
                return Optional.of("the daemon ran out of file descriptors (EMFILE, too many open files"
                        + (limit > 0 ? ": its limit is " + limit : "") + "; each instance holds about 7): instances"
                        + " that were running still run; raise the limit where the daemon starts (ulimit -n 65536,"
                        + " then herd update) or start fewer");
            }
        }
        return Optional.empty();
    }

    /** This process's soft RLIMIT_NOFILE, from {@code /proc/self/limits}, or -1. */
    static long limit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f[0].equals("unlimited") ? -1 : Long.parseLong(f[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Unknown: the message goes without it.
        }
        return -1;
    }
}
