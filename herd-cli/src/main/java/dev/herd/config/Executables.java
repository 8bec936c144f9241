package dev.herd.config;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds programs the way the client's shell would: on the {@code PATH} of the client's
 * environment, not the daemon's, since the daemon may have been started from elsewhere; and tells
 * what a file is, as the kernel would: a binary, or a script with or without a {@code #!} line.
 */
final class Executables {

    /** How much of a file {@link #isBinary} reads: git's {@code FIRST_FEW_BYTES}. */
    private static final int BINARY_SNIFF = 8000;
    /** The longest {@code #!} line read; Linux reads 256 bytes of it (BINPRM_BUF_SIZE). */
    private static final int SHEBANG_MAX = 256;

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

    /**
     * Whether a file is a binary rather than text: a NUL byte in its first 8000 bytes, git's rule
     * (every ELF file has them in its header; text has none). An unreadable file counts as binary,
     * so that nothing is handed to an interpreter that cannot read it either.
     */
    static boolean isBinary(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(BINARY_SNIFF);
            for (byte b : head) {
                if (b == 0) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * What a script's {@code #!} line runs.
     *
     * @param program the program: a path, or a name to find on the PATH when the line goes through
     *                {@code env} ({@code #!/usr/bin/env node} gives {@code node})
     * @param onPath  whether {@code program} is such a name
     * @param args    what comes before the script: for {@code env}, the words after the name; else
     *                the rest of the line as one argument, as the kernel passes it
     */
    record Shebang(String program, boolean onPath, List<String> args) {

        /** The program's file name: {@code node} for both {@code /usr/bin/node} and {@code env node}. */
        String name() {
            return program.substring(program.lastIndexOf('/') + 1);
        }
    }

    /**
     * A script's {@code #!} line; empty when it has none, or names no program
     * ({@code #!/usr/bin/env} alone). The options and assignments of {@code env} are skipped.
     */
    static Optional<Shebang> shebang(Path file) {
        List<String> words;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(SHEBANG_MAX);
            if (head.length < 2 || head[0] != '#' || head[1] != '!') {
                return Optional.empty();
            }
            int end = 2;
            while (end < head.length && head[end] != '\n') {
                end++;
            }
            String line = new String(head, 2, end - 2, StandardCharsets.UTF_8).strip();
            words = line.isEmpty() ? List.of() : List.of(line.split("[ \t]+"));
        } catch (IOException e) {
            return Optional.empty();
        }
        if (words.isEmpty()) {
            return Optional.empty();
        }
        if (!words.get(0).endsWith("/env") && !words.get(0).equals("env")) {
            return Optional.of(new Shebang(words.get(0), false, words.size() == 1 ? List.of()
                    : List.of(String.join(" ", words.subList(1, words.size())))));
        }
        int at = 1;
        while (at < words.size() && (words.get(at).startsWith("-") || words.get(at).contains("="))) {
            at++;
        }
        return at == words.size() ? Optional.empty()
                : Optional.of(new Shebang(words.get(at), true, words.subList(at + 1, words.size())));
    }
}
