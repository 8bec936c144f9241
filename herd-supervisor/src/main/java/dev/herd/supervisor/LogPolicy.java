package dev.herd.supervisor;

import dev.herd.supervisor.logs.LogDateFormat;
import dev.herd.supervisor.logs.LogFormat;
import dev.herd.supervisor.logs.LogRegistry;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an app's output goes, how its lines are written and how its files rotate.
 *
 * @param outFile        file for stdout; with several instances and {@code mergeLogs} false, the
 *                       instance id is inserted before the extension ({@code app-out-1.log}), as PM2;
 *                       {@link LogRegistry#DISCARD} discards the lines
 * @param errorFile      file for stderr, same rules
 * @param mergeLogs      all instances write to the same files
 * @param dateFormat     a PM2 (moment.js) date pattern prefixed to each line, or {@code null} for none
 * @param maxSize        rotate a file when it would grow past this many bytes; 0 disables rotation
 * @param retain         how many rotated files to keep
 * @param logFile        PM2's {@code log_file}: a file that gets the lines of both streams too, or
 *                       {@code null} for none; same rules as {@code outFile}
 * @param json           PM2's {@code log_type: json}: each line written as a JSON object
 */
public record LogPolicy(Path outFile, Path errorFile, boolean mergeLogs, String dateFormat, long maxSize, int retain,
                        Path logFile, boolean json) {

    /** Rotation threshold when none is configured: 10 MiB. */
    public static final long DEFAULT_MAX_SIZE = 10L * 1024 * 1024;
    /** Rotated files kept when none is configured. */
    public static final int DEFAULT_RETAIN = 5;

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

    /** Without a combined log, lines as the app wrote them (or after a timestamp). */
    public LogPolicy(Path outFile, Path errorFile, boolean mergeLogs, String dateFormat, long maxSize, int retain) {
        this(outFile, errorFile, mergeLogs, dateFormat, maxSize, retain, null, false);
    }

    /**
     * How lines are written.
     *
     * @throws IllegalArgumentException if the date format is not one herd supports
     */
    public LogFormat format() {
        return LogFormat.of(dateFormat == null ? null : LogDateFormat.parse(dateFormat), json);
    }

    /** The stdout file of one instance of an app with {@code instances} instances. */
    public Path outFileOf(int instance, int instances) {
        return perInstance(outFile, instance, instances);
    }

    /** The stderr file of one instance of an app with {@code instances} instances. */
    public Path errorFileOf(int instance, int instances) {
        return perInstance(errorFile, instance, instances);
    }

    /** The combined log of one instance of an app with {@code instances} instances, or {@code null} for none. */
    public Path logFileOf(int instance, int instances) {
        return logFile == null ? null : perInstance(logFile, instance, instances);
    }

    private Path perInstance(Path file, int instance, int instances) {
        if (mergeLogs || instances <= 1 || file.equals(LogRegistry.DISCARD)) {
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
