package dev.herd.supervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads processes from {@code /proc}: who is whose parent, which group, whether a process is a
 * zombie. Used to find every process an instance started, including those that left its group.
 */
public final class ProcessTree {

    private static final Path PROC = Path.of("/proc");

    /**
     * One line of {@code /proc/<pid>/stat}, the fields herd uses.
     *
     * @param pid       process id
     * @param state     one-letter state ({@code Z} for a zombie)
     * @param ppid      parent pid
     * @param pgid      process group id
     * @param startTime start time in clock ticks after boot: with the pid, identifies a process
     *                  across pid reuse
     * @param cpuTicks  user plus system CPU time in clock ticks
     * @param rssPages  resident set size in pages
     */
    public record Stat(long pid, char state, long ppid, long pgid, long startTime, long cpuTicks, long rssPages) {

        /** Whether the process has exited and only waits to be reaped. */
        public boolean isZombie() {
            return state == 'Z' || state == 'X';
        }
    }

    private ProcessTree() {
    }

    /** The stat of one process, empty if it does not exist. */
    public static Optional<Stat> stat(long pid) {
        try {
            return Optional.of(parse(Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"),
                    StandardCharsets.ISO_8859_1)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The stats of every process on the machine. */
    public static List<Stat> all() {
        List<Stat> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, p -> isNumeric(p.getFileName().toString()))) {
            for (Path dir : dirs) {
                stat(Long.parseLong(dir.getFileName().toString())).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return out;
    }

    /** {@code root} and all its live descendants, following parent links. */
    public static List<Stat> treeOf(long root) {
        List<Stat> all = all();
        Map<Long, List<Stat>> children = new HashMap<>();
        Stat rootStat = null;
        for (Stat s : all) {
            children.computeIfAbsent(s.ppid(), k -> new ArrayList<>()).add(s);
            if (s.pid() == root) {
                rootStat = s;
            }
        }
        List<Stat> out = new ArrayList<>();
        if (rootStat == null) {
            return out;
        }
        Deque<Stat> queue = new ArrayDeque<>(List.of(rootStat));
        while (!queue.isEmpty()) {
            Stat s = queue.poll();
            out.add(s);
            queue.addAll(children.getOrDefault(s.pid(), List.of()));
        }
        return out;
    }

    /**
     * Live processes whose environment holds exactly {@code entry} ({@code NAME=value}): those
     * an instance started keep herd's mark in theirs wherever they moved (a new session, a new
     * parent), unless they cleared it. Processes of other users, whose environment this one may
     * not read, are skipped, and so are those not of the user {@code uid}: only a process of the
     * instance's own user is taken for one of its by its mark.
     */
    public static List<Stat> withEnvironmentEntry(String entry, int uid) {
        byte[] wanted = entry.getBytes(StandardCharsets.UTF_8);
        return withEnvironment(env -> holdsEntry(env, wanted), uid);
    }

    /**
     * Live processes whose environment (NUL-separated, as {@code /proc/<pid>/environ} holds it)
     * passes {@code test}, of the user {@code uid} (of any user for -1).
     */
    private static List<Stat> withEnvironment(java.util.function.Predicate<byte[]> test, int uid) {
        List<Stat> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, p -> isNumeric(p.getFileName().toString()))) {
            for (Path dir : dirs) {
                byte[] env;
                try {
                    if (uid >= 0 && ((Number) Files.getAttribute(dir, "unix:uid")).intValue() != uid) {
                        continue;
                    }
                    env = Files.readAllBytes(dir.resolve("environ"));
                } catch (IOException | RuntimeException e) {
                    continue;
                }
                if (test.test(env)) {
                    stat(Long.parseLong(dir.getFileName().toString())).filter(s -> !s.isZombie()).ifPresent(out::add);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return out;
    }

    /**
     * Live processes whose environment has an entry that starts with {@code prefix}
     * ({@code HERD_INSTANCE_TRACE=<daemon's token>-}: every instance a daemon started). Only
     * processes whose environment this user may read, its own, are seen.
     */
    public static List<Stat> withEnvironmentPrefix(String prefix) {
        byte[] wanted = prefix.getBytes(StandardCharsets.UTF_8);
        return withEnvironment(env -> holdsEntryStartingWith(env, wanted), -1);
    }

    /** Whether the NUL-separated {@code env} has an entry that starts with {@code prefix}. */
    static boolean holdsEntryStartingWith(byte[] env, byte[] prefix) {
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start >= prefix.length && java.util.Arrays.equals(env, start, start + prefix.length, prefix, 0,
                        prefix.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    /** Whether the NUL-separated {@code env} holds {@code entry} as one whole entry. */
    static boolean holdsEntry(byte[] env, byte[] entry) {
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start == entry.length && java.util.Arrays.equals(env, start, i, entry, 0, entry.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    /** Live (non-zombie) members of a process group. */
    public static List<Stat> groupMembers(long pgid) {
        List<Stat> out = new ArrayList<>();
        for (Stat s : all()) {
            if (s.pgid() == pgid && !s.isZombie()) {
                out.add(s);
            }
        }
        return out;
    }

    /** Whether this exact process (pid and start time) still runs. */
    public static boolean isAlive(Stat process) {
        return stat(process.pid())
                .filter(s -> s.startTime() == process.startTime() && !s.isZombie())
                .isPresent();
    }

    static Stat parse(String line) {
        // The command name may hold spaces and parentheses: the fields start after the last ')'.
        int close = line.lastIndexOf(')');
        long pid = Long.parseLong(line.substring(0, line.indexOf(' ')).trim());
        String[] f = line.substring(close + 2).split(" ");
        // f[0] is field 3 of proc(5): state, ppid, pgrp, session, ..., utime(14), stime(15), ..., starttime(22), vsize, rss(24)
        return new Stat(pid, f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]),
                Long.parseLong(f[19]), Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[21]));
    }

    private static boolean isNumeric(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }
}
