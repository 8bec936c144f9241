package dev.herd.supervisor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything needed to run one app: what to execute, where, with which environment, how many
 * instances, and how to restart, stop and log them. Fully resolved: paths are absolute, the
 * interpreter is a path or {@code null} for an executable script, and {@code env} is the
 * complete environment of the child (herd adds only {@code HERD_APP_INSTANCE} and, for Node,
 * {@code NODE_APP_INSTANCE}).
 *
 * <p>Immutable; the config layer builds it, the supervisor only reads it.
 *
 * @param name            unique app name
 * @param script          the program or script to run (absolute)
 * @param interpreter     absolute path of the interpreter, or {@code null} to execute {@code script}
 * @param interpreterArgs arguments between the interpreter and the script (JVM args, {@code -jar})
 * @param args            arguments after the script
 * @param cwd             working directory (absolute)
 * @param env             the complete environment of each instance
 * @param instances       how many instances to run, at least 1
 * @param restart         when and how fast to restart
 * @param stop            how to stop
 * @param logs            where output goes
 * @param memoryLimit     when to restart an instance for its memory, or {@code null} for never
 * @param namespace       the group commands can name instead of the app (PM2's {@code namespace});
 *                        {@code default} when none is given
 * @param autostart       whether a start of its file or command starts it; {@code false}: added stopped
 * @param source          the ecosystem file it was read from (absolute), or {@code null} for a command
 * @param ownEnv          the variables the app sets itself ({@code env}, {@code env_<name>}, {@code port}):
 *                        the part of {@code env} that is not its starter's environment
 */
public record AppSpec(
        String name,
        Path script,
        Path interpreter,
        List<String> interpreterArgs,
        List<String> args,
        Path cwd,
        Map<String, String> env,
        int instances,
        RestartPolicy restart,
        StopPolicy stop,
        LogPolicy logs,
        MemoryLimit memoryLimit,
        String namespace,
        boolean autostart,
        Path source,
        Map<String, String> ownEnv) {

    /** The namespace of an app that names none, as PM2's. */
    public static final String DEFAULT_NAMESPACE = "default";

    public AppSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(script, "script");
        interpreterArgs = List.copyOf(interpreterArgs);
        args = List.copyOf(args);
        Objects.requireNonNull(cwd, "cwd");
        env = Map.copyOf(env);
        if (instances < 1) {
            throw new IllegalArgumentException("instances must be at least 1, was " + instances);
        }
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(stop, "stop");
        Objects.requireNonNull(logs, "logs");
        namespace = namespace == null ? DEFAULT_NAMESPACE : namespace;
        ownEnv = ownEnv == null ? Map.of() : Map.copyOf(ownEnv);
    }

    /** An app in the default namespace, started with its file or command, with no variables of its own. */
    public AppSpec(String name, Path script, Path interpreter, List<String> interpreterArgs, List<String> args, Path cwd,
            Map<String, String> env, int instances, RestartPolicy restart, StopPolicy stop, LogPolicy logs,
            MemoryLimit memoryLimit) {
        this(name, script, interpreter, interpreterArgs, args, cwd, env, instances, restart, stop, logs, memoryLimit,
                DEFAULT_NAMESPACE, true, null, Map.of());
    }

    /** An app without a memory limit. */
    public AppSpec(String name, Path script, Path interpreter, List<String> interpreterArgs, List<String> args, Path cwd,
            Map<String, String> env, int instances, RestartPolicy restart, StopPolicy stop, LogPolicy logs) {
        this(name, script, interpreter, interpreterArgs, args, cwd, env, instances, restart, stop, logs, (MemoryLimit) null);
    }

    /** The argument vector of one instance: interpreter, its arguments, the script, its arguments. */
    public List<String> command() {
        List<String> argv = new ArrayList<>();
        if (interpreter != null) {
            argv.add(interpreter.toString());
            argv.addAll(interpreterArgs);
        }
        argv.add(script.toString());
        argv.addAll(args);
        return argv;
    }

    /** Whether the instances run under Node.js, which expects {@code NODE_APP_INSTANCE}. */
    public boolean isNode() {
        return interpreter != null && interpreter.getFileName().toString().startsWith("node");
    }

    /** A copy with another instance count. */
    public AppSpec withInstances(int count) {
        return new AppSpec(name, script, interpreter, interpreterArgs, args, cwd, env, count, restart, stop, logs,
                memoryLimit, namespace, autostart, source, ownEnv);
    }

    /** A copy with another complete environment, its own variables kept. */
    public AppSpec withEnv(Map<String, String> newEnv) {
        return new AppSpec(name, script, interpreter, interpreterArgs, args, cwd, newEnv, instances, restart, stop, logs,
                memoryLimit, namespace, autostart, source, ownEnv);
    }
}
