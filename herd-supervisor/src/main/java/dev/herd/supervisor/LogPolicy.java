package dev.herd.supervisor;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an app's output goes and how its files rotate.
 *
 * @param outFile        file for stdout; with several instances and {@code mergeLogs} false, the
 *                       instance id is inserted before the extension ({@code app-out-1.log}), as PM2;
 *                       {@link #DISCARD} for none
 * @param errorFile      file for stderr, same rule
 * @param mergeLogs      all instances write to the same two files
 * @param dateFormat     a PM2 (moment.js) date pattern prefixed to each line, or {@code null} for none
 * @param maxSize        rotate a file when it would grow past this many bytes; 0 disables rotation
 * @param retain         how many rotated files to keep
 */
public record LogPolicy(Path outFile, Path errorFile, boolean mergeLogs, String dateFormat, long maxSize, int retain) {

    /** Rotation threshold when none is configured: 10 MiB. */
    public static final long DEFAULT_MAX_SIZE = 10L * 1024 * 1024;
    /** Rotated files kept when none is configured. */
    public static final int DEFAULT_RETAIN = 5;
    /** The file that discards what is written to it: never rotated, numbered or truncated. */
    public static final Path DISCARD = Path.of("/dev/null");

    public LogPolicy {
        Objects.requireNonNull(outFile, "outFile");
        Objects.requireNonNull(errorFile, "errorFile");
        if (maxSize < 0) {
            throw new IllegalArgumentException("maxSize must not be negative");
        }
        if (retain < 0) {
            throw new IllegalArgumentException("retain must not be negative");
        }
    }

    /** The stdout file of one instance of an app with {@code instances} instances. */
    public Path outFileOf(int instance, int instances) {
        return perInstance(outFile, instance, instances);
    }

    /** The stderr file of one instance of an app with {@code instances} instances. */
    public Path errorFileOf(int instance, int instances) {
        return perInstance(errorFile, instance, instances);
    }

    private Path perInstance(Path file, int instance, int instances) {
        if (mergeLogs || instances <= 1 || file.equals(DISCARD)) {
            return file;
        }
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String numbered = dot > 0
                ? name.substring(0, dot) + "-" + instance + name.substring(dot)
                : name + "-" + instance;
        return file.resolveSibling(numbered);
    }
}
