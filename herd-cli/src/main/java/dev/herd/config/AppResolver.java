package dev.herd.config;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves an {@link AppDefinition} against the file system and the client's PATH into an
 * {@link AppSpec}: absolute paths, an existing script, an interpreter that exists, a name.
 */
final class AppResolver {

    /** {@code interpreter: none}: execute the script itself, as PM2. */
    static final String NONE = "none";

    private final Path herdHome;

    /** @param herdHome the default log files go to {@code herdHome/logs} */
    AppResolver(Path herdHome) {
        this.herdHome = herdHome;
    }

    /**
     * @param base      what relative paths resolve against: the file's folder, or the command's cwd
     * @param clientEnv the environment of {@code herd start}: the base of the app's, and the PATH searched
     * @param source    the ecosystem file it is read from, or {@code null} for a command
     */
    AppSpec resolve(AppDefinition app, Path base, Map<String, String> clientEnv, Path source) throws ConfigException {
        Blame blame = app.blame();
        Path cwd = app.cwd() == null ? base : base.resolve(app.cwd()).normalize();
        if (!Files.isDirectory(cwd)) {
            throw blame.error("cwd", Files.exists(cwd)
                    ? "'" + cwd + "' is not a directory"
                    : "directory '" + app.cwd() + "' not found (resolved to " + cwd + ")");
        }

        String requested = app.interpreter();
        Path script = cwd.resolve(app.script()).normalize();
        if (Files.isDirectory(script)) {
            throw blame.error("script", "'" + script + "' is a directory, not a script");
        }
        if (!Files.exists(script)) {
            // PM2 runs `script: npm` from the PATH; a name with a dot or slash is meant as a file.
            boolean command = !app.script().contains("/") && !app.script().contains(".");
            String notFound = "script '" + app.script() + "' not found (resolved to " + script + ")";
            if (!command) {
                throw blame.error("script", notFound);
            }
            script = Executables.onPath(app.script(), clientEnv)
                    .orElseThrow(() -> blame.error("script", notFound + " nor a command on PATH"));
            if (requested == null) {
                requested = NONE;
            }
        }

        String name = app.name() == null ? withoutExtension(script.getFileName().toString()) : app.name();
        checkName(name, blame);

        String extension = extension(script.getFileName().toString());
        Path interpreter = requested == null
                ? byExtension(extension, script, clientEnv, blame)
                : requested(requested, cwd, script, clientEnv, blame);

        List<String> interpreterArgs = new ArrayList<>();
        boolean java = interpreter != null && interpreter.getFileName().toString().equals("java");
        if (java) {
            interpreterArgs.addAll(app.jvmArgs());
        } else if (!app.jvmArgs().isEmpty()) {
            throw blame.error("jvm_args", "applies only to apps that run on java"
                    + " (a .jar or .java script, or interpreter: java)");
        }
        if (interpreter == null && !app.interpreterArgs().isEmpty()) {
            throw blame.error("interpreter_args", "the script runs without an interpreter, so these would be lost");
        }
        interpreterArgs.addAll(app.interpreterArgs());
        if (java && extension.equals("jar")) {
            interpreterArgs.add("-jar");
        }

        Map<String, String> env = new LinkedHashMap<>(clientEnv);
        env.putAll(app.env());
        Path logs = herdHome.resolve("logs");
        LogPolicy logPolicy = new LogPolicy(
                app.outFile() == null ? logs.resolve(name + "-out.log") : base.resolve(app.outFile()).normalize(),
                app.errorFile() == null ? logs.resolve(name + "-error.log") : base.resolve(app.errorFile()).normalize(),
                app.mergeLogs(), app.dateFormat(), app.maxSize(), app.retain());
        return new AppSpec(name, script, interpreter, interpreterArgs, app.args(), cwd, env, app.instances(),
                app.restart(), app.stop(), logPolicy, app.memoryLimit(), app.namespace(), app.autostart(), source,
                app.env());
    }

    /** The interpreter PM2 (and herd, for Java) picks for a script's extension, or null to execute it. */
    private static Path byExtension(String extension, Path script, Map<String, String> env, Blame blame)
            throws ConfigException {
        switch (extension) {
            case "jar", "java":
                return java(env).orElseThrow(() -> blame.error("script", "java not found in $JAVA_HOME/bin nor on PATH ("
                        + Executables.path(env) + "), needed for ." + extension + " scripts: set JAVA_HOME or interpreter"));
            case "js", "cjs", "mjs":
                return needed("node", extension, env, blame);
            case "py":
                return needed("python3", extension, env, blame);
            case "sh":
                return needed("bash", extension, env, blame);
            case "ts", "mts", "cts":
                throw blame.error("script", "TypeScript does not run directly:"
                        + " set interpreter to a TypeScript runner such as tsx or ts-node");
            default:
                requireExecutable(script, blame);
                return null;
        }
    }

    private static Path needed(String program, String extension, Map<String, String> env, Blame blame)
            throws ConfigException {
        return Executables.onPath(program, env).orElseThrow(() -> blame.error("script", program
                + " not found on PATH (" + Executables.path(env) + "), needed for ." + extension
                + " scripts: install it, or set interpreter"));
    }

    /** An interpreter the user named: {@code none}, a path, or a program on the PATH. */
    private static Path requested(String requested, Path cwd, Path script, Map<String, String> env, Blame blame)
            throws ConfigException {
        if (requested.equals(NONE)) {
            requireExecutable(script, blame);
            return null;
        }
        if (requested.contains("/")) {
            Path path = cwd.resolve(requested).normalize();
            if (!Executables.isExecutable(path)) {
                throw blame.error("interpreter", "'" + path + "' is not an executable file");
            }
            return path;
        }
        return (requested.equals("java") ? java(env) : Executables.onPath(requested, env))
                .orElseThrow(() -> blame.error("interpreter",
                        "'" + requested + "' not found on PATH (" + Executables.path(env) + ")"));
    }

    /** The client's {@code $JAVA_HOME/bin/java}, else java on its PATH. */
    private static Optional<Path> java(Map<String, String> env) {
        String javaHome = env.get("JAVA_HOME");
        if (javaHome != null && !javaHome.isEmpty()) {
            Path java = Path.of(javaHome, "bin", "java").toAbsolutePath().normalize();
            if (Executables.isExecutable(java)) {
                return Optional.of(java);
            }
        }
        return Executables.onPath("java", env);
    }

    private static void requireExecutable(Path script, Blame blame) throws ConfigException {
        if (!Files.isExecutable(script)) {
            throw blame.error("script", "'" + script + "' is not executable: chmod +x it, or set interpreter");
        }
    }

    /**
     * Rejects names the command line could not tell apart: only digits reads as an id, {@code all}
     * means every app, and a slash would leave the logs folder.
     */
    private static void checkName(String name, Blame blame) throws ConfigException {
        String problem = null;
        if (name.isBlank()) {
            problem = "must not be empty";
        } else if (name.chars().allMatch(Character::isDigit)) {
            problem = "'" + name + "' is only digits, which commands would read as an id";
        } else if (name.equals("all")) {
            problem = "'all' is reserved: commands read it as every app";
        } else if (name.contains("/")) {
            problem = "'" + name + "' must not contain '/', as it names the log files";
        }
        if (problem != null) {
            throw blame.error("name", problem);
        }
    }

    static String extension(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
    }

    static String withoutExtension(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }
}
