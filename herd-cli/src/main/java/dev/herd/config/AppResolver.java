package dev.herd.config;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.RestartTriggers;
import dev.herd.supervisor.RunAs;
import dev.herd.supervisor.WatchSpec;
import dev.herd.supervisor.logs.LogRegistry;
import java.io.IOException;
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
    /** PM2's name for no log file, beside {@code /dev/null}. */
    private static final String NULL_FILE = "NULL";

    private final Path herdHome;
    private final int daemonUid;
    private final Accounts accounts;

    /**
     * @param herdHome  the default log files go to {@code herdHome/logs}
     * @param daemonUid the user id the daemon runs as: {@code uid} and {@code gid} need root (0)
     * @param accounts  where {@code uid} and {@code gid} are looked up
     */
    AppResolver(Path herdHome, int daemonUid, Accounts accounts) {
        this.herdHome = herdHome;
        this.daemonUid = daemonUid;
        this.accounts = accounts;
    }

    /** Whether a log file as written means none: PM2's {@code NULL}, or {@code /dev/null}. */
    static boolean isDiscard(String written) {
        return NULL_FILE.equals(written) || LogRegistry.DISCARD.toString().equals(written);
    }

    /**
     * Whether an app runs on Node.js (or Bun, which PM2 counts with it): its interpreter, or for
     * a script that runs itself, its {@code #!} line (an express {@code bin/www}, {@code npm}).
     * PM2's rule, by the program's name.
     */
    static boolean runsOnNode(AppSpec spec) {
        String program = programName(spec);
        return program.endsWith("node") || program.equals("nodejs") || program.endsWith("bun");
    }

    /** Whether an app runs on Python, by the same rule as PM2's (the program's name has "python" in it). */
    private static boolean runsOnPython(Path interpreter, Path script) {
        return programName(interpreter, script).contains("python");
    }

    private static String programName(AppSpec spec) {
        return programName(spec.interpreter(), spec.script());
    }

    private static String programName(Path interpreter, Path script) {
        return interpreter != null ? interpreter.getFileName().toString()
                : Executables.shebang(script).map(Executables.Shebang::name).orElse("");
    }

    /**
     * @param base      what relative paths resolve against: the file's folder, or the command's cwd
     * @param clientEnv the environment of {@code herd start}: the base of the app's, and the PATH searched
     * @param notes     where what herd chose for the user, and why, goes (a script run with node)
     * @param source    the ecosystem file it is read from, or {@code null} for a command
     */
    AppSpec resolve(AppDefinition app, Path base, Map<String, String> clientEnv, List<String> notes, Path source)
            throws ConfigException {
        Blame blame = app.blame();
        Path cwd = app.cwd() == null ? base : path(app.cwd(), base, "cwd", clientEnv, blame);
        if (!Files.isDirectory(cwd)) {
            throw blame.error("cwd", Files.exists(cwd)
                    ? "'" + cwd + "' is not a directory"
                    : "directory '" + app.cwd() + "' not found (resolved to " + cwd + ")");
        }

        String requested = app.interpreter();
        Path script = path(app.script(), cwd, "script", clientEnv, blame);
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

        String name = (app.name() == null ? withoutExtension(script.getFileName().toString()) : app.name())
                + (app.nameSuffix() == null ? "" : app.nameSuffix());
        checkName(name, blame);

        String extension = extension(script.getFileName().toString());
        List<String> interpreterArgs = new ArrayList<>();
        Path interpreter = requested == null
                ? byExtension(extension, script, clientEnv, blame, interpreterArgs, notes)
                : requested(requested, cwd, script, clientEnv, blame);

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

        Map<String, String> env = new LinkedHashMap<>(app.filterEnv() == null ? clientEnv
                : app.filterEnv().apply(clientEnv));
        env.putAll(app.env());
        // PM2 does it so that a Python app's output reaches its log as it is printed, not at exit.
        if (runsOnPython(interpreter, script)) {
            env.putIfAbsent("PYTHONUNBUFFERED", "1");
        }
        checkIncrementVar(app, env, blame);
        RunAs runAs = runAs(app, env, blame);
        Path logs = herdHome.resolve("logs");
        LogFields.Options options = app.logOptions();
        Path logFile = options.defaultLogFile() ? logs.resolve(name + ".log")
                : options.logFile() == null ? null : logFile(options.logFile(), base, "log_file", clientEnv, blame);
        LogPolicy logPolicy = options.disabled()
                ? new LogPolicy(LogRegistry.DISCARD, LogRegistry.DISCARD, app.mergeLogs(), app.dateFormat(), app.maxSize(),
                        app.retain(), null, options.json())
                : new LogPolicy(
                        app.outFile() == null ? logs.resolve(name + "-out.log") : logFile(app.outFile(), base, "out_file",
                                clientEnv, blame),
                        app.errorFile() == null ? logs.resolve(name + "-error.log") : logFile(app.errorFile(), base,
                                "error_file", clientEnv, blame),
                        app.mergeLogs(), app.dateFormat(), app.maxSize(), app.retain(), logFile, options.json());
        return new AppSpec(name, script, interpreter, interpreterArgs, app.args(), cwd, env, app.instances(),
                app.restart(), app.stop(), logPolicy, app.memoryLimit(), app.instanceVar(), app.incrementVar(), runAs,
                pidFile(app.pidFile(), base, name, clientEnv, blame), app.waitReady(),
                watchedFrom(app.triggers(), cwd), app.namespace(), app.autostart(), source, app.env());
    }

    /** The watched paths made absolute: PM2 reads them from the app's cwd. */
    private static RestartTriggers watchedFrom(RestartTriggers triggers, Path cwd) {
        WatchSpec w = triggers.watch();
        if (w == null) {
            return triggers;
        }
        List<String> paths = w.paths().stream().map(p -> cwd.resolve(p).normalize().toString()).toList();
        return triggers.withWatch(new WatchSpec(w.active(), paths, w.ignore(), w.delay(), w.followSymlinks(), w.depth()));
    }

    /** The pid file's absolute path; a folder (one that exists, or written with a trailing slash) gets {@code <app>.pid} in it. */
    private static Path pidFile(String written, Path base, String name, Map<String, String> clientEnv, Blame blame)
            throws ConfigException {
        if (written == null) {
            return null;
        }
        Path path = path(written, base, "pid_file", clientEnv, blame);
        return written.endsWith("/") || Files.isDirectory(path) ? path.resolve(name + ".pid") : path;
    }

    /**
     * A path as written, against {@code base}; {@code ~} and {@code ~/...} are in the home of
     * {@code herd start}'s user ({@code HOME}), as their shell would read them.
     */
    private static Path path(String written, Path base, String field, Map<String, String> clientEnv, Blame blame)
            throws ConfigException {
        if (!written.equals("~") && !written.startsWith("~/")) {
            return base.resolve(written).normalize();
        }
        String home = clientEnv.get("HOME");
        if (home == null || home.isEmpty()) {
            throw blame.error(field, "'" + written + "' starts with ~, and herd start's environment has no HOME");
        }
        return Path.of(home).resolve(written.substring(1).replaceFirst("^/+", "")).normalize();
    }

    /** A log file as written: none for PM2's {@code NULL} and {@code /dev/null}, else a path. */
    private static Path logFile(String written, Path base, String field, Map<String, String> clientEnv, Blame blame)
            throws ConfigException {
        return isDiscard(written) ? LogRegistry.DISCARD : path(written, base, field, clientEnv, blame);
    }

    /** {@code increment_var} counts up from the number the variable holds, so it must hold one. */
    private static void checkIncrementVar(AppDefinition app, Map<String, String> env, Blame blame)
            throws ConfigException {
        String value = app.incrementVar() == null ? null : env.get(app.incrementVar());
        if (value != null) {
            try {
                Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                throw blame.error("increment_var", app.incrementVar() + " is '" + value
                        + "', not a whole number for each instance to add its index to");
            }
        }
    }

    /**
     * PM2's {@code uid} and {@code gid}: the user (a name or an id of {@code /etc/passwd}) and
     * group the instances run as, the group by default the user's own; HOME, USER and LOGNAME
     * become the user's unless the app's {@code env} sets them (PM2 sets HOME).
     *
     * @return null when neither is set
     */
    private RunAs runAs(AppDefinition app, Map<String, String> env, Blame blame) throws ConfigException {
        if (app.uid() == null && app.gid() == null) {
            return null;
        }
        String field = app.uid() != null ? "uid" : "gid";
        if (daemonUid != 0) {
            throw blame.error(field, "running an app as another user needs a daemon running as root, and this one"
                    + " runs as uid " + daemonUid + " (start herd as root, or leave out uid and gid)");
        }
        if (app.uid() == null) {
            throw blame.error("gid", "applies with uid (as in PM2): set uid too");
        }
        try {
            Optional<Accounts.User> user = accounts.user(app.uid());
            Integer gid = null;
            if (app.gid() != null) {
                gid = accounts.group(app.gid()).orElse(isNumber(app.gid()) ? Integer.parseInt(app.gid()) : null);
                if (gid == null) {
                    throw blame.error("gid", "no group '" + app.gid() + "' in /etc/group");
                }
            }
            if (user.isPresent()) {
                Accounts.User u = user.get();
                for (Map.Entry<String, String> var : Map.of("HOME", u.home(), "USER", u.name(), "LOGNAME", u.name())
                        .entrySet()) {
                    if (!app.env().containsKey(var.getKey())) {
                        env.put(var.getKey(), var.getValue());
                    }
                }
                return new RunAs(u.uid(), gid != null ? gid : u.gid(), true);
            }
            if (!isNumber(app.uid())) {
                throw blame.error("uid", "no user '" + app.uid() + "' in /etc/passwd");
            }
            if (gid == null) {
                throw blame.error("uid", "no user with id " + app.uid() + " in /etc/passwd, so no group to run"
                        + " it in: set gid too");
            }
            return new RunAs(Integer.parseInt(app.uid()), gid, false);
        } catch (IOException e) {
            throw blame.error(field, "cannot read the users and groups: " + e.getMessage());
        }
    }

    private static boolean isNumber(String text) {
        return !text.isEmpty() && text.chars().allMatch(Character::isDigit);
    }

    /**
     * The interpreter PM2 (and herd, for Java) picks for a script's extension, or null to execute
     * it. A script of no extension it knows runs itself if it is executable, else (PM2 runs
     * every text file with node) by its {@code #!} line, else with node; a binary must be executable.
     *
     * @param interpreterArgs gets the arguments of a {@code #!} line
     */
    private static Path byExtension(String extension, Path script, Map<String, String> env, Blame blame,
                                    List<String> interpreterArgs, List<String> notes) throws ConfigException {
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
            case "rb":
                return needed("ruby", extension, env, blame);
            case "php":
                return needed("php", extension, env, blame);
            case "pl":
                return needed("perl", extension, env, blame);
            case "ts", "mts", "cts":
                throw blame.error("script", "TypeScript does not run directly:"
                        + " set interpreter to a TypeScript runner such as tsx or ts-node");
            default:
                if (Files.isExecutable(script) || Executables.isBinary(script)) {
                    requireExecutable(script, blame);
                    return null;
                }
                return byShebang(script, env, blame, interpreterArgs, notes);
        }
    }

    /** A text script that is not executable: the program of its {@code #!} line, as the kernel would run it, else node. */
    private static Path byShebang(Path script, Map<String, String> env, Blame blame, List<String> interpreterArgs,
                                  List<String> notes) throws ConfigException {
        Optional<Executables.Shebang> line = Executables.shebang(script);
        String why = "'" + script + "' is not executable";
        if (line.isEmpty()) {
            Path node = Executables.onPath("node", env).orElseThrow(() -> blame.error("script", why
                    + " and has no #! line: it would run with node (PM2's default), which is not on PATH ("
                    + Executables.path(env) + "): chmod +x it, or set interpreter"));
            notes.add(blame.label("script") + ": " + why + ": runs with node, as PM2 runs a script"
                    + " of no known extension (chmod +x it to run it itself)");
            return node;
        }
        Executables.Shebang shebang = line.get();
        Path program;
        if (shebang.onPath()) {
            program = Executables.onPath(shebang.program(), env).orElseThrow(() -> blame.error("script", why
                    + " and '" + shebang.program() + "', which its #! line names, is not on PATH ("
                    + Executables.path(env) + ")"));
        } else {
            program = Path.of(shebang.program());
            if (!Executables.isExecutable(program)) {
                throw blame.error("script", why + " and '" + program + "', which its #! line names, is not an"
                        + " executable file");
            }
        }
        interpreterArgs.addAll(shebang.args());
        notes.add(blame.label("script") + ": " + why + ": runs with " + program + ", as its #! line says");
        return program;
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
            Path path = path(requested, cwd, "interpreter", env, blame);
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
