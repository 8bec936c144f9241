package dev.herd.diagnostics;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import dev.herd.daemon.HerdException;
import dev.herd.daemon.InstanceView;

/**
 * Where a heap dump or a profile goes: a file the user named (never overwritten), or a new file
 * under {@code $HERD_HOME} named after the app, the instance and the time.
 */
final class OutputFiles {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private OutputFiles() {
    }

    /**
     * The instances a command acts on. A target naming an app with several instances means each
     * of them, as {@code herd signal} and PM2's commands do (a leak or a hot path may show in one
     * instance only); but a file the user named holds one instance's output, so then the target
     * must be one instance.
     */
    static List<InstanceView> chosen(List<InstanceView> instances, String target, Path named) throws HerdException {
        if (named != null && instances.size() > 1) {
            throw new HerdException("'" + target + "' has " + instances.size() + " instances (ids "
                    + instances.stream().map(v -> Integer.toString(v.id())).collect(Collectors.joining(", "))
                    + ") and " + named + " can hold one: name one instance by its id, or leave the file out"
                    + " to write one file per instance");
        }
        return instances;
    }

    /** {@code app-0-id3-20261202T001500Z}: app, instance index and id, and the time in UTC. */
    static String stem(InstanceView instance, Instant at) {
        return safe(instance.name()) + "-" + instance.index() + "-id" + instance.id() + "-" + STAMP.format(at);
    }

    /** {@code dir/stem.extension}, or {@code dir/stem-2.extension} and so on when that exists. */
    static Path fresh(Path dir, String stem, String extension, Predicate<Path> exists) {
        Path p = dir.resolve(stem + "." + extension);
        for (int n = 2; exists.test(p); n++) {
            p = dir.resolve(stem + "-" + n + "." + extension);
        }
        return p;
    }

    /**
     * The file the user named, made absolute against {@code cwd}; refused when it exists, or when
     * its directory does not (the JVM would find out only when it writes, at the end).
     */
    static Path named(Path file, Path cwd, Predicate<Path> exists, Predicate<Path> isDirectory) throws HerdException {
        Path p = cwd.resolve(file).toAbsolutePath().normalize();
        if (isDirectory.test(p)) {
            throw new HerdException(p + " is a directory: name a file in it (without a file, herd writes under"
                    + " $HERD_HOME)");
        }
        if (exists.test(p)) {
            throw new HerdException(p + " exists: herd does not overwrite it (remove it or name another file)");
        }
        if (!isDirectory.test(p.getParent())) {
            throw new HerdException(p + ": no directory " + p.getParent());
        }
        return p;
    }

    /** {@code file} with its extension replaced: where a fallback's other format goes. */
    static Path withExtension(Path file, String extension) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return file.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + "." + extension);
    }

    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
