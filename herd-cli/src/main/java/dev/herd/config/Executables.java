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
     * The program and arguments of a script's {@code #!} line, split at blanks, or empty when it
     * has none. {@code #!/usr/bin/env node} gives {@code [/usr/bin/env, node]}.
     */
    static List<String> shebang(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(SHEBANG_MAX);
            if (head.length < 2 || head[0] != '#' || head[1] != '!') {
                return List.of();
            }
            int end = 2;
            while (end < head.length && head[end] != '\n') {
                end++;
            }
            String line = new String(head, 2, end - 2, StandardCharsets.UTF_8).strip();
            return line.isEmpty() ? List.of() : List.of(line.split("[ \t]+"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The name of the program a {@code #!} line runs: the file name of its program, or for
     * {@code /usr/bin/env [-S] name} that name; empty without one.
     */
    static String shebangProgram(Path file) {
        List<String> words = shebang(file);
        if (words.isEmpty()) {
            return "";
        }
        String program = Path.of(words.get(0)).getFileName().toString();
        if (!program.equals("env")) {
            return program;
        }
        return words.stream().skip(1).filter(w -> !w.startsWith("-") && !w.contains("=")).findFirst().orElse("");
    }
}
