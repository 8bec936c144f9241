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
 * @param namespace       {@code --namespace}, or {@code null} for the default one
 * @param autorestart     {@code false} for {@code --no-autorestart}
 * @param autostart       {@code false} for {@code --no-autostart}: the app is added stopped
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
        String namespace,
        boolean autorestart,
        boolean autostart) {

    public StartCommand {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(cwd, "cwd");
        args = List.copyOf(args);
        interpreterArgs = List.copyOf(interpreterArgs);
        env = Map.copyOf(env);
    }

    /** A fork-mode start: no {@code --port}. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, null, null);
    }

    /** A start in the default namespace that starts the app and restarts it. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env, Integer port, String maxMemory) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, port, maxMemory, null, true, true);
    }

    /** A start without a memory limit. */
    public StartCommand(String target, Path cwd, String name, String instances, List<String> args, String interpreter,
                        List<String> interpreterArgs, Map<String, String> env, Integer port) {
        this(target, cwd, name, instances, args, interpreter, interpreterArgs, env, port, null);
    }
}
