package dev.herd.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What every launcher checks before it starts a process, and how it drops to another user, so
 * that both give the same answer for the same mistake.
 */
final class LaunchRules {

    private LaunchRules() {
    }

    /**
     * Refuses, with a message fit for the user, a program that is not there or cannot run and a
     * working directory that is not there.
     */
    static void check(List<String> command, Path cwd) throws IOException {
        Path program = Path.of(command.get(0));
        if (!Files.exists(program)) {
            throw new IOException(program + " not found");
        }
        if (!Files.isExecutable(program) || Files.isDirectory(program)) {
            throw new IOException(program + " is not executable");
        }
        if (!Files.isDirectory(cwd)) {
            throw new IOException("working directory " + cwd + " not found");
        }
    }

    /** A program of util-linux (or another) in the usual places. */
    static Optional<String> find(String program) {
        return Stream.of("/usr/bin/", "/bin/", "/usr/local/bin/").map(dir -> dir + program)
                .filter(p -> Files.isExecutable(Path.of(p)))
                .findFirst();
    }

    /**
     * The {@code setpriv(1)} words that make what follows run as {@code runAs}: it sets the real,
     * effective and saved ids and the groups before the program starts (the JDK cannot change a
     * child's user, and {@code su} or {@code runuser} would start a login shell and PAM session).
     */
    static List<String> dropTo(RunAs runAs, Optional<String> setpriv) throws IOException {
        int uid = Posix.uid();
        if (uid != 0) {
            throw new IOException("uid/gid need a daemon running as root, and this one runs as uid " + uid);
        }
        String program = setpriv.orElseThrow(() -> new IOException("setpriv(1), needed for uid/gid, not found:"
                + " install util-linux"));
        return List.of(program, "--reuid=" + runAs.uid(), "--regid=" + runAs.gid(),
                runAs.initGroups() ? "--init-groups" : "--clear-groups", "--");
    }
}
