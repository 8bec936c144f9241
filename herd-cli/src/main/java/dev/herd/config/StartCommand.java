package dev.herd.config;

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
        Logs logs) {

    public StartCommand {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(cwd, "cwd");
        args = List.copyOf(args);
        interpreterArgs = List.copyOf(interpreterArgs);
        env = Map.copyOf(env);
        logs = logs == null ? Logs.NONE : logs;
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

    /** A fork-mode start: no {@code --port}. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, null, null, null);
    }

    /** A start without a memory limit. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env, Integer port) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, port, null, null);
    }
}
