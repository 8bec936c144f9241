package dev.herd.supervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cgroup v2 for each run of an instance, where this process may make them: a process cannot
 * leave its cgroup by changing its session, its group or its parent, nor by clearing its
 * environment, so a stop finds every process a run started. The runs' cgroups live in a folder
 * of this daemon's own ({@code herd-<trace token>}) under the cgroup this process is in: what
 * systemd delegates to a user's session or a service with {@code Delegate=yes}, or any cgroup for
 * root. Where there is no cgroup v2 hierarchy, or it is not this user's to write, there are no
 * cgroups and instances are followed by their environment's mark alone
 * ({@link Supervisor#TRACE_VARIABLE}).
 *
 * <p>No controller is enabled: the cgroups only group, they limit nothing, so they never change
 * how an instance runs.
 */
public final class Cgroups {

    private static final Logger log = LoggerFactory.getLogger(Cgroups.class);
    private static final Path MOUNTS = Path.of("/proc/self/mountinfo");
    private static final Path OWN = Path.of("/proc/self/cgroup");

    private final Path folder;
    private final String unavailable;
    private volatile boolean warned;
    private volatile boolean swept;

    private Cgroups(Path folder, String unavailable) {
        this.folder = folder;
        this.unavailable = unavailable;
    }

    /** Found once, when first asked for. */
    private static final class Holder {
        static final Cgroups INSTANCE = locate(MOUNTS, OWN, "herd-" + Supervisor.traceToken());
    }

    /**
     * This process's, its folder named after {@link Supervisor#traceToken()}: found once, made at
     * the first run placed in it.
     */
    public static Cgroups system() {
        return Holder.INSTANCE;
    }

    /** Cgroups under the folder {@code name} in this process's own cgroup, as the two files tell. */
    static Cgroups locate(Path mountInfo, Path ownCgroup, String name) {
        Optional<Path> own;
        try {
            own = ownDirectory(Files.readAllLines(mountInfo, StandardCharsets.UTF_8),
                    Files.readAllLines(ownCgroup, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Cgroups(null, "cannot read " + mountInfo + " or " + ownCgroup + ": " + e.getMessage());
        }
        if (own.isEmpty()) {
            return new Cgroups(null, "no cgroup v2 hierarchy is mounted");
        }
        Path dir = own.get();
        if (!Files.isWritable(dir) || !Files.isWritable(dir.resolve("cgroup.procs"))) {
            return new Cgroups(null, "this user may not make cgroups in " + dir);
        }
        return new Cgroups(dir.resolve(name), null);
    }

    /**
     * The folder of this process's cgroup in the cgroup v2 hierarchy: its path in
     * {@code /proc/self/cgroup}'s {@code 0::} line under the mount point of a {@code cgroup2}
     * file system in {@code mountinfo} (whose root, in a cgroup namespace, may be below the
     * hierarchy's).
     */
    static Optional<Path> ownDirectory(List<String> mountInfo, List<String> ownCgroup) {
        String path = null;
        for (String line : ownCgroup) {
            if (line.startsWith("0::")) {
                path = line.substring(3).strip();
            }
        }
        if (path == null || path.endsWith(" (deleted)")) {
            return Optional.empty();
        }
        for (String line : mountInfo) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] after = line.substring(dash + 3).split(" ");
            String[] before = line.substring(0, dash).split(" ");
            if (after.length < 1 || !after[0].equals("cgroup2") || before.length < 5) {
                continue;
            }
            String root = unescape(before[3]);
            String mountPoint = unescape(before[4]);
            String relative;
            if (root.equals("/")) {
                relative = path;
            } else if (path.equals(root) || path.startsWith(root + "/")) {
                relative = path.substring(root.length());
            } else {
                continue;
            }
            Path dir = Path.of(mountPoint);
            for (String part : relative.split("/")) {
                if (!part.isEmpty()) {
                    dir = dir.resolve(part);
                }
            }
            return Optional.of(dir);
        }
        return Optional.empty();
    }

    /** mountinfo writes a space, tab, newline and backslash in a path as an octal escape. */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            boolean octal = c == '\\' && i + 3 < field.length()
                    && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7');
            if (octal) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The folder this process's runs' cgroups go in, whether made yet or not; empty when there are none. */
    public Optional<Path> folder() {
        return Optional.ofNullable(folder);
    }

    /** Why there are no cgroups here, or empty when there are. */
    public Optional<String> unavailable() {
        return Optional.ofNullable(unavailable);
    }

    /**
     * Makes a new cgroup for one run, for its process to enter before it runs the program (as
     * {@link SpawnLauncher} has it do) or to be moved into just after ({@link RunCgroup#add}); from
     * then on everything it starts is in it too.
     *
     * @param run a name unique among this daemon's runs, of letters, digits, {@code .-_}
     * @return the cgroup, or empty when there are none here or this one could not be made (said
     *         once in the log: the run is then followed by its mark alone)
     */
    public Optional<RunCgroup> create(String run) {
        if (folder == null) {
            return Optional.empty();
        }
        Path dir = folder.resolve(run);
        try {
            if (!swept) {
                swept = true;
                removeStale(folder.getParent());
            }
            Files.createDirectories(folder);
            try {
                Files.createDirectory(dir);
            } catch (FileAlreadyExistsException again) {
                // Left by a run whose survivors kept it: the new process joins them there.
            }
            return Optional.of(new Folder(dir));
        } catch (IOException e) {
            if (!warned) {
                warned = true;
                log.warn("cannot put instances in cgroups under {} ({}): they are followed by their {} alone",
                        folder, e.getMessage(), Supervisor.TRACE_VARIABLE);
            }
            return Optional.empty();
        }
    }

    /**
     * Removes the folder if nothing is left in it, as a daemon that stops does; a cgroup that still
     * holds a process (a {@code treekill: false} app's children) stays, with the folder.
     */
    public void removeIfEmpty() {
        if (folder != null) {
            removeTree(folder);
        }
    }

    /**
     * Removes the cgroups that herd processes no longer alive left empty in {@code parent}: one
     * killed by SIGKILL (a cluster API's primary, a daemon whose home went with it) had no chance
     * to, and the next daemon of a home removes only its own home's. The folder is known by its
     * name, {@code herd-<pid>-<token>}, and kept while that pid lives, whoever has it now; a
     * cgroup that still holds a process stays, for the next daemon of its home to stop.
     *
     * @return how many folders went entirely
     */
    static int removeStale(Path parent) {
        List<Path> stale;
        try (Stream<Path> dirs = Files.list(parent)) {
            stale = dirs.filter(d -> {
                Matcher m = STALE_NAME.matcher(d.getFileName().toString());
                return m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty();
            }).toList();
        } catch (IOException | java.io.UncheckedIOException | NumberFormatException e) {
            log.debug("cannot look for stale cgroups in {}: {}", parent, e.getMessage());
            return 0;
        }
        int removed = 0;
        for (Path d : stale) {
            removed += removeTree(d) ? 1 : 0;
        }
        if (removed > 0) {
            log.info("removed {} empty cgroup folder(s) that herd processes no longer running left in {}", removed, parent);
        }
        return removed;
    }

    private static final Pattern STALE_NAME = Pattern.compile("herd-(\\d{1,18})-[0-9a-f]+");

    /** The live processes in {@code dir} and every cgroup below it; none if it does not exist. */
    public static List<ProcessTree.Stat> members(Path dir) {
        List<ProcessTree.Stat> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path procs : files.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                List<String> lines;
                try {
                    lines = Files.readAllLines(procs, StandardCharsets.US_ASCII);
                } catch (NoSuchFileException gone) {
                    continue;
                }
                for (String line : lines) {
                    if (!line.isBlank()) {
                        ProcessTree.stat(Long.parseLong(line.strip())).filter(s -> !s.isZombie()).ifPresent(out::add);
                    }
                }
            }
        } catch (NoSuchFileException gone) {
            return out;
        } catch (IOException | java.io.UncheckedIOException e) {
            log.debug("cannot read the processes of {}: {}", dir, e.getMessage());
        }
        return out;
    }

    /**
     * SIGKILL to every process in {@code dir} and below, at once, also those it forks meanwhile
     * ({@code cgroup.kill}, Linux 5.14); one by one where the kernel has no {@code cgroup.kill}.
     */
    public static void killAll(Path dir) {
        try {
            Files.writeString(dir.resolve("cgroup.kill"), "1\n", StandardCharsets.US_ASCII);
            return;
        } catch (NoSuchFileException older) {
            // No cgroup.kill (an older kernel), or the cgroup is gone: one by one below.
        } catch (IOException e) {
            log.debug("cgroup.kill of {} failed: {}", dir, e.getMessage());
        }
        for (ProcessTree.Stat s : members(dir)) {
            Posix.kill(s.pid(), Signal.SIGKILL);
        }
    }

    /**
     * Removes {@code dir} and the cgroups below it, deepest first, those that hold no process.
     *
     * @return whether {@code dir} is gone
     */
    public static boolean removeTree(Path dir) {
        List<Path> dirs;
        try (Stream<Path> all = Files.walk(dir)) {
            dirs = all.filter(Files::isDirectory).sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        } catch (NoSuchFileException gone) {
            return true;
        } catch (IOException | java.io.UncheckedIOException e) {
            log.debug("cannot list {}: {}", dir, e.getMessage());
            return false;
        }
        for (Path d : dirs) {
            try {
                // A cgroup is removed by rmdir alone, its files with it.
                Files.deleteIfExists(d);
            } catch (IOException busy) {
                // EBUSY: a process is still in it; removed by a later try.
                log.debug("cannot remove {} yet: {}", d, busy.getMessage());
            }
        }
        return !Files.exists(dir);
    }

    /** One run's cgroup. */
    private record Folder(Path dir) implements RunCgroup {

        @Override
        public Path path() {
            return dir;
        }

        @Override
        public void add(long pid) throws IOException {
            Files.writeString(dir.resolve("cgroup.procs"), pid + "\n", StandardCharsets.US_ASCII);
        }

        @Override
        public List<ProcessTree.Stat> members() {
            return Cgroups.members(dir);
        }

        @Override
        public void killAll() {
            Cgroups.killAll(dir);
        }

        @Override
        public boolean remove() {
            return removeTree(dir);
        }
    }
}
