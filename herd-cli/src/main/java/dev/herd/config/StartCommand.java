package dev.herd.config;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.RestartTriggers;
import dev.herd.supervisor.WatchSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code herd start <target>} asked for when the target is not an ecosystem file: a script
 * ({@code app.js}, {@code server.jar}, {@code ./run}) or a command line
 * ({@code "python3 -m http.server 8080"}).
 *
 * @param target          the script, or a command line whose first word is on the PATH
 * @param cwd             the client's working directory (absolute); relative targets resolve here
 * @param name            {@code --name}, or {@code null} to derive it from the target
 * @param instances       {@code -i}: {@code "4"}, {@code "max"}, {@code "-1"} (cores minus one), or
 *                        {@code null} for one
 * @param args            arguments after the script (after those in a command line target); never null
 * @param interpreter     {@code --interpreter}, or {@code null} to choose by the script's extension
 * @param interpreterArgs arguments between the interpreter and the script
 * @param env             the client's environment, which the app inherits; never null
 * @param port            {@code --port}: the public port of a cluster app, or {@code null} for fork mode
 * @param maxMemory       {@code --max-memory-restart}, as typed ({@code 300M}), or {@code null} for no limit
 * @param logs            the log options; {@code null} for none
 * @param triggers        {@code --watch} and {@code --cron-restart} with their options; never null
 * @param namespace       {@code --namespace}, or {@code null} for the default one
 * @param autorestart     {@code false} for {@code --no-autorestart}
 * @param autostart       {@code false} for {@code --no-autostart}: the app is added stopped
 * @param policies        PM2's restart, stop and readiness flags ({@code --kill-timeout}...); never null
 * @param socket          {@code --socket}: the public port is one socket handed to every instance
 *                        (balancer mode socket) rather than herd's proxy
 */
public record StartCommand(
        String target,
        Path cwd,
        String name,
        String instances,
        List<String> args,
        String interpreter,
        List<String> interpreterArgs,
        Map<String, String> env,
        Integer port,
        String maxMemory,
        Logs logs,
        Triggers triggers,
        String namespace,
        boolean autorestart,
        boolean autostart,
        Policies policies,
        boolean socket) {

    public StartCommand {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(cwd, "cwd");
        args = List.copyOf(args);
        interpreterArgs = List.copyOf(interpreterArgs);
        env = Map.copyOf(env);
        logs = logs == null ? Logs.NONE : logs;
        triggers = triggers == null ? Triggers.NONE : triggers;
        policies = policies == null ? Policies.NONE : policies;
    }

    /** As the canonical constructor, with the public port (if any) behind herd's proxy. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env, Integer port, String maxMemory, Logs logs,
                        Triggers triggers, String namespace, boolean autorestart, boolean autostart, Policies policies) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, port, maxMemory, logs, triggers,
                namespace, autorestart, autostart, policies, false);
    }

    /** As the canonical constructor, with none of PM2's restart, stop and readiness flags. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env, Integer port, String maxMemory, Logs logs,
                        Triggers triggers, String namespace, boolean autorestart, boolean autostart) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, port, maxMemory, logs, triggers,
                namespace, autorestart, autostart, Policies.NONE);
    }

    /**
     * PM2's flags for how the app restarts, stops and says it is ready, as typed: the fields of an
     * ecosystem file of the same names. Durations are milliseconds, or with a unit ({@code 5s}).
     *
     * @param killTimeout            {@code --kill-timeout}, or {@code null}
     * @param maxRestarts            {@code --max-restarts}, or {@code null}
     * @param minUptime              {@code --min-uptime}, or {@code null}
     * @param restartDelay           {@code --restart-delay}, or {@code null}
     * @param expBackoffRestartDelay {@code --exp-backoff-restart-delay}, or {@code null}
     * @param waitReady              {@code --wait-ready}
     * @param listenTimeout          {@code --listen-timeout}, or {@code null}
     * @param shutdownWithMessage    {@code --shutdown-with-message}
     * @param noTreekill             {@code --no-treekill}: a stop signals the main process only
     */
    public record Policies(String killTimeout, Integer maxRestarts, String minUptime, String restartDelay,
                           String expBackoffRestartDelay, boolean waitReady, String listenTimeout,
                           boolean shutdownWithMessage, boolean noTreekill) {

        /** No flag given. */
        public static final Policies NONE = new Policies(null, null, null, null, null, false, null, false, false);
    }

    /**
     * PM2's log options of {@code start}, as typed.
     *
     * @param output     {@code -o}: the stdout file, or {@code null} for the default
     * @param error      {@code -e}: the stderr file, or {@code null} for the default
     * @param log        {@code -l <file>}: the combined log, or {@code null}
     * @param defaultLog {@code -l} alone: the combined log is {@code <name>.log} in herd's logs folder
     * @param time       {@code --time}: PM2's timestamp before each line
     * @param dateFormat {@code --log-date-format}, or {@code null}
     * @param type       {@code --log-type} ({@code json} or {@code raw}), or {@code null}
     * @param disable    {@code --disable-logs}
     * @param merge      {@code --merge-logs}
     */
    public record Logs(String output, String error, String log, boolean defaultLog, boolean time, String dateFormat,
                       String type, boolean disable, boolean merge) {

        /** No log option given. */
        public static final Logs NONE = new Logs(null, null, null, false, false, null, null, false, false);
    }

    /**
     * What else than its exits restarts the app, as typed.
     *
     * @param watch       {@code --watch}: restart when a file in its cwd changes
     * @param ignoreWatch {@code --ignore-watch}: patterns as in {@code ignore_watch}; never null
     * @param watchDelay  {@code --watch-delay}: seconds (PM2's unit here) or a duration, or {@code null}
     * @param cronRestart {@code --cron-restart}: a cron expression, or {@code null}
     */
    public record Triggers(boolean watch, List<String> ignoreWatch, String watchDelay, String cronRestart) {

        /** No flag given. */
        public static final Triggers NONE = new Triggers(false, List.of(), null, null);

        public Triggers {
            ignoreWatch = ignoreWatch == null ? List.of() : List.copyOf(ignoreWatch);
        }

        /** Whether {@code --watch} or {@code --cron-restart} was given. */
        public boolean any() {
            return watch || cronRestart != null;
        }

        /**
         * These flags over an app of a file or one that exists: {@code --watch} turns its watching
         * on (its cwd, unless it names what to watch), {@code --cron-restart} gives it a schedule
         * if it has none, as PM2 lets a file's own fields win.
         *
         * @throws ConfigException naming the flag that is wrong
         */
        public AppSpec applyTo(AppSpec spec) throws ConfigException {
            RestartTriggers flags = CommandReader.triggers(this);
            RestartTriggers t = spec.triggers();
            WatchSpec watch = t.watch();
            if (flags.watch() != null && (watch == null || !watch.active())) {
                WatchSpec f = flags.watch();
                watch = watch == null ? new WatchSpec(true, List.of(spec.cwd().toString()), f.ignore(), f.delay(),
                        f.followSymlinks(), f.depth()) : watch.withActive(true);
            }
            return spec.withTriggers(new RestartTriggers(watch, t.cron() != null ? t.cron() : flags.cron()));
        }
    }

    /** A fork-mode start: no {@code --port}. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, null, null);
    }

    /** A start with no log or watch option, in the default namespace, that starts the app and restarts it. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env, Integer port, String maxMemory) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, port, maxMemory, null, null, null, true,
                true);
    }

    /** A start without a memory limit. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env, Integer port) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, port, null);
    }
}
