package dev.herd.config;

import dev.herd.cluster.ClusterSpec;
import dev.herd.cluster.PortSharing;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.MemoryLimit;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.RestartTriggers;
import dev.herd.supervisor.WatchSpec;
import dev.herd.supervisor.StopPolicy;
import dev.herd.supervisor.logs.LogDateFormat;
import dev.herd.supervisor.logs.LogFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
            cluster = ClusterSpec.onPort(command.port())
                    .withSharing(command.socket() ? PortSharing.SOCKET : PortSharing.PROXY);
            env = Map.of("PORT", Integer.toString(command.port()));
        } else if (command.socket()) {
            throw BLAME.error("socket", "shares the public port: give it with --port");
        }
        StartCommand.Policies p = command.policies();
        Duration listenTimeout = p.listenTimeout() == null ? ClusterSpec.DEFAULT_LISTEN_TIMEOUT
                : duration(p.listenTimeout(), "listen_timeout");
        if (p.listenTimeout() != null && !p.waitReady() && cluster == null) {
            throw BLAME.error("listen_timeout", "applies with --wait-ready, or in cluster mode (--port)");
        }
        if (cluster != null && (p.waitReady() || p.listenTimeout() != null)) {
            cluster = new ClusterSpec(cluster.host(), cluster.port(), cluster.balancer(), listenTimeout,
                    cluster.drainTimeout(), cluster.reloadParallelism(), p.waitReady(), cluster.sharing());
        }
        Duration forkWaitReady = cluster == null && p.waitReady() ? listenTimeout : null;
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
        StartCommand.Logs logs = command.logs();
        if (command.namespace() != null && command.namespace().isBlank()) {
            throw BLAME.error("namespace", "must not be empty");
        }
        RestartPolicy d = RestartPolicy.DEFAULT;
        if (p.maxRestarts() != null && p.maxRestarts() < 0) {
            throw BLAME.error("max_restarts", "expected 0 or more, got " + p.maxRestarts());
        }
        RestartPolicy restart = new RestartPolicy(command.autorestart(),
                p.maxRestarts() == null ? d.maxRestarts() : p.maxRestarts(),
                p.minUptime() == null ? d.minUptime() : duration(p.minUptime(), "min_uptime"),
                p.restartDelay() == null ? d.restartDelay() : duration(p.restartDelay(), "restart_delay"),
                p.expBackoffRestartDelay() == null ? d.expBackoffRestartDelay()
                        : duration(p.expBackoffRestartDelay(), "exp_backoff_restart_delay"),
                d.stopExitCodes());
        StopPolicy stop = new StopPolicy(StopPolicy.DEFAULT.killSignal(),
                p.killTimeout() == null ? StopPolicy.DEFAULT.killTimeout() : duration(p.killTimeout(), "kill_timeout"),
                p.noTreekill(), p.shutdownWithMessage());
        return new AppDefinition(BLAME, name, script, args, interpreter, command.interpreterArgs(), List.of(), null,
                instances, env, restart, stop, logs.output(), logs.error(), logs.merge(),
                dateFormat(logs), LogPolicy.DEFAULT_MAX_SIZE, LogPolicy.DEFAULT_RETAIN, cluster, memory, cluster != null,
                command.instances() != null, null, null, null, null, null, null, null, forkWaitReady, logOptions(logs),
                triggers(command.triggers()), command.namespace(), command.autostart());
    }

    /** A duration flag: milliseconds, as PM2 reads them, or with a unit. */
    private static Duration duration(String text, String field) throws ConfigException {
        return Durations.parse(text).orElseThrow(() -> BLAME.error(field, "expected " + Durations.EXPECTED
                + ", got '" + text + "'"));
    }

    /** {@code --log-date-format}, else PM2's for {@code --time}, else none. */
    private static String dateFormat(StartCommand.Logs logs) throws ConfigException {
        if (logs.dateFormat() != null) {
            try {
                LogDateFormat.parse(logs.dateFormat());
            } catch (IllegalArgumentException e) {
                throw BLAME.error("log_date_format", e.getMessage());
            }
            return logs.dateFormat();
        }
        return logs.time() ? LogFormat.PM2_TIME : null;
    }

    private static LogFields.Options logOptions(StartCommand.Logs logs) throws ConfigException {
        String problem = logs.type() == null ? null : LogFields.typeProblem(logs.type());
        if (problem != null) {
            throw BLAME.error("log_type", problem);
        }
        String logFile = logs.log() == null || LogFields.isNone(logs.log()) ? null : logs.log();
        return new LogFields.Options(logFile, logs.defaultLog(), LogFields.JSON.equals(logs.type()), logs.disable());
    }

    /** {@code --watch} watches the cwd; {@code --ignore-watch} takes patterns split at commas and spaces. */
    static RestartTriggers triggers(StartCommand.Triggers t) throws ConfigException {
        List<String> ignore = new ArrayList<>();
        for (String value : t.ignoreWatch()) {
            for (String p : value.split("[,\\s]+")) {
                if (!p.isEmpty()) {
                    ignore.add(p);
                }
            }
        }
        Duration delay = WatchSpec.DEFAULT_DELAY;
        if (t.watchDelay() != null) {
            String d = t.watchDelay().trim();
            // PM2's --watch-delay is in seconds when it is a bare number ("4", "1.5").
            Optional<Duration> parsed = d.matches("\\d+(\\.\\d+)?")
                    ? Durations.parse(d + "s") : Durations.parse(d);
            delay = parsed.orElseThrow(() -> BLAME.error("watch_delay", "expected seconds or a duration such as"
                    + " '500ms' or '2s', got '" + t.watchDelay() + "'"));
        }
        if (!t.watch() && (!ignore.isEmpty() || t.watchDelay() != null)) {
            throw BLAME.error(ignore.isEmpty() ? "watch_delay" : "ignore_watch", "only used with --watch");
        }
        WatchSpec watch = t.watch() ? new WatchSpec(true, List.of("."), ignore, delay, true, -1) : null;
        String cron = WatchFields.cronFlag(t.cronRestart(), BLAME);
        return watch == null && cron == null ? RestartTriggers.NONE : new RestartTriggers(watch, cron);
    }
}
