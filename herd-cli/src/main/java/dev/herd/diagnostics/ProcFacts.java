package dev.herd.diagnostics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.herd.supervisor.ProcessTree;

/**
 * What {@code /proc} says about one process of an instance's group, as far as attaching to it
 * goes.
 *
 * @param pid       process id
 * @param startTime start time in clock ticks after boot (orders the group's processes)
 * @param exe       the executable's path, empty when unreadable
 * @param argv      its command line
 * @param env       its environment (for the JVM option variables), empty when unreadable
 * @param uid       its real user id, -1 when unreadable
 * @param cwd       its working directory, empty when unreadable
 * @param jvm       whether a HotSpot JVM ({@code libjvm.so}) is mapped into it
 */
record ProcFacts(long pid, long startTime, String exe, List<String> argv, Map<String, String> env, long uid,
                 String cwd, boolean jvm) {

    private static final Path PROC = Path.of("/proc");

    /** The program's file name ({@code java}, {@code node}, {@code bash}), from its executable or argv[0]. */
    String program() {
        String path = !exe.isEmpty() ? exe : argv.isEmpty() ? "" : argv.get(0);
        return path.substring(path.lastIndexOf('/') + 1).replace(" (deleted)", "");
    }

    /** The live members of process group {@code pgid}, oldest first. */
    static List<ProcFacts> group(long pgid) {
        List<ProcFacts> out = new ArrayList<>();
        for (ProcessTree.Stat s : ProcessTree.groupMembers(pgid)) {
            out.add(read(s.pid(), s.startTime()));
        }
        out.sort(Comparator.comparingLong(ProcFacts::startTime));
        return out;
    }

    /** The process group of {@code pid}, or {@code pid} itself when it is gone. */
    static long pgidOf(long pid) {
        return ProcessTree.stat(pid).map(ProcessTree.Stat::pgid).orElse(pid);
    }

    static ProcFacts read(long pid, long startTime) {
        Path dir = PROC.resolve(Long.toString(pid));
        return new ProcFacts(pid, startTime, link(dir.resolve("exe")), nulSeparated(dir.resolve("cmdline")),
                environment(dir.resolve("environ")), uid(dir.resolve("status")), link(dir.resolve("cwd")),
                mapsJvm(dir.resolve("maps")));
    }

    private static String link(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }

    private static List<String> nulSeparated(Path p) {
        try {
            String s = Files.readString(p, StandardCharsets.UTF_8);
            return s.isEmpty() ? List.of() : Arrays.asList(s.split("\0"));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static Map<String, String> environment(Path p) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : nulSeparated(p)) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return env;
    }

    private static long uid(Path status) {
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static boolean mapsJvm(Path maps) {
        try (var lines = Files.lines(maps, StandardCharsets.ISO_8859_1)) {
            return lines.anyMatch(l -> l.endsWith("/libjvm.so"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The uid this process (herd) runs as. */
    static long ownUid() {
        return uid(PROC.resolve("self").resolve("status"));
    }
}
