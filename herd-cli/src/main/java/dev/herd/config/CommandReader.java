package dev.herd.config;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.MemoryLimit;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.StopPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads {@code herd start <target>} into an {@link AppDefinition}: the target is a script file
 * relative to the client's cwd, or else a command line whose first word is a file or a program on
 * the client's PATH ({@code "python3 -m http.server 8080"}).
 */
final class CommandReader {

    private static final Blame BLAME = new Blame.InCommand();

    private CommandReader() {
    }

    /** @param cwd the command's cwd, absolute */
    static AppDefinition read(StartCommand command, Path cwd, int cores) throws ConfigException {
        if (!Files.isDirectory(cwd)) {
            throw BLAME.error("", "working directory '" + cwd + "' not found");
        }
        int instances = command.instances() == null ? 1 : Instances.parse(command.instances(), cores)
                .orElseThrow(() -> BLAME.error("instances",
                        "expected " + Instances.EXPECTED + ", got '" + command.instances() + "'"));

        String script = command.target();
        List<String> args = new ArrayList<>();
        String name = command.name();
        String interpreter = command.interpreter();
        if (!Files.isRegularFile(cwd.resolve(script))) {
            if (Files.isDirectory(cwd.resolve(script))) {
                throw BLAME.error("", "'" + cwd.resolve(script).normalize() + "' is a directory, not a script");
            }
            List<String> words;
            try {
                words = ShellWords.split(command.target());
            } catch (IllegalArgumentException e) {
                throw BLAME.error("", e.getMessage());
            }
            if (words.isEmpty()) {
                throw BLAME.error("", "nothing to start");
            }
            String first = words.get(0);
            Optional<Path> program = Executables.onPath(first, command.env());
            if (Files.isRegularFile(cwd.resolve(first))) {
                script = first;
            } else if (program.isPresent()) {
                script = program.get().toString();
                name = name == null ? first : name;
                interpreter = interpreter == null ? AppResolver.NONE : interpreter;
            } else if (words.size() == 1 && (first.contains("/") || first.contains("."))) {
                throw BLAME.error("script", "script '" + first + "' not found in " + cwd);
            } else {
                throw BLAME.error("script", "'" + first + "' is not a file in " + cwd + " nor a command on PATH");
            }
            args.addAll(words.subList(1, words.size()));
        }
        args.addAll(command.args());
        ClusterSpec cluster = null;
        Map<String, String> env = Map.of();
        if (command.port() != null) {
            if (command.port() < 1 || command.port() > 65535) {
                throw BLAME.error("port", "expected a port from 1 to 65535, got " + command.port());
            }
            cluster = ClusterSpec.onPort(command.port());
            env = Map.of("PORT", Integer.toString(command.port()));
        }
        ClusterFields.checkNoPlaceholder(Map.of("args", String.join(" ", args),
                "interpreter_args", String.join(" ", command.interpreterArgs())), cluster, BLAME);
        MemoryLimit memory = null;
        if (command.maxMemory() != null) {
            long bytes = ByteSizes.parse(command.maxMemory()).orElseThrow(() -> BLAME.error("max_memory_restart",
                    "expected " + ByteSizes.EXPECTED + ", got '" + command.maxMemory() + "'"));
            if (bytes < MemoryLimit.MIN_BYTES) {
                throw BLAME.error("max_memory_restart", MemoryLimit.tooSmall(bytes));
            }
            memory = new MemoryLimit(bytes, MemoryLimit.DEFAULT_INTERVAL);
        }
        if (command.namespace() != null && command.namespace().isBlank()) {
            throw BLAME.error("namespace", "must not be empty");
        }
        RestartPolicy d = RestartPolicy.DEFAULT;
        RestartPolicy restart = command.autorestart() ? d
                : new RestartPolicy(false, d.maxRestarts(), d.minUptime(), d.restartDelay(), d.expBackoffRestartDelay(),
                        d.stopExitCodes());
        return new AppDefinition(BLAME, name, script, args, interpreter, command.interpreterArgs(), List.of(), null,
                instances, env, restart, StopPolicy.DEFAULT, null, null, false, null,
                LogPolicy.DEFAULT_MAX_SIZE, LogPolicy.DEFAULT_RETAIN, cluster, memory, command.namespace(),
                command.autostart());
    }
}
