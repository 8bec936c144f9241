package dev.herd.supervisor;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What of an app's files is watched for changes that restart it (PM2's {@code watch},
 * {@code ignore_watch}, {@code watch_delay} and the {@code watch_options} that mean something
 * to herd).
 *
 * @param active         whether the app is watched now: {@code herd stop --watch} turns it off
 *                       and {@code herd start --watch} on again, the rest kept
 * @param paths          what is watched, absolute: folders (with everything below them), files,
 *                       or globs (their folder part is watched, the rest filters)
 * @param ignore         the {@code ignore_watch} patterns (and {@code watch_options.ignored}) as
 *                       written; relative ones are relative to the app's cwd
 * @param delay          how long changes must have stopped before the restart (the debounce)
 * @param followSymlinks whether folders reached through symbolic links are watched too
 *                       (chokidar's {@code followSymlinks}, true by default as there)
 * @param depth          how many folder levels below each watched folder, or -1 for all
 *                       (chokidar's {@code depth})
 */
public record WatchSpec(boolean active, List<String> paths, List<String> ignore, Duration delay,
                        boolean followSymlinks, int depth) {

    /** When {@code watch_delay} is not set: a burst of writes (a checkout, a build) is over by then. */
    public static final Duration DEFAULT_DELAY = Duration.ofMillis(500);
    /** The shortest quiet time: below it a burst would restart the app more than once. */
    public static final Duration MIN_DELAY = Duration.ofMillis(100);

    public WatchSpec {
        paths = List.copyOf(paths);
        ignore = List.copyOf(ignore);
        Objects.requireNonNull(delay, "delay");
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("a watch needs at least one path");
        }
        if (depth < -1) {
            throw new IllegalArgumentException("depth must be -1 (all) or more, was " + depth);
        }
    }

    /** A copy watched or not. */
    public WatchSpec withActive(boolean next) {
        return new WatchSpec(next, paths, ignore, delay, followSymlinks, depth);
    }
}
