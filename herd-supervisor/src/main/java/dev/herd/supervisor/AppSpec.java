package dev.herd.supervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything needed to run one app: what to execute, where, with which environment, how many
 * instances, and how to restart, stop and log them. Fully resolved: paths are absolute, the
 * interpreter is a path or {@code null} for an executable script, and {@code env} is the
 * complete environment of the child but for the variables each instance gets of its own (see
 * {@link InstancePlan}).
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
 * @param instanceVar     the variable that holds the instance's index (PM2's {@code instance_var}),
 *                        or {@code null} for {@value #DEFAULT_INSTANCE_VAR}
 * @param incrementVar    a variable of {@code env} whose number each instance gets plus its index
 *                        (PM2's {@code increment_var}: {@code PORT=3000} gives 3000, 3001...; 0 plus
 *                        the index when {@code env} has no number there), or {@code null} for none
 * @param runAs           the user and group the instances run as, or {@code null} for the daemon's
 * @param pidFile         PM2's {@code pid_file} (absolute; each instance's file is named from it), or
 *                        {@code null} for none
 * @param waitReady       fork mode's {@code wait_ready}: how long ({@code listen_timeout}) an
 *                        instance may take to say it is ready ({@link Readiness#WHEN_SAID})
 *                        before it is online anyway; {@code null} for online once spawned.
 *                        Cluster mode has its own rule (its {@code ClusterSpec}).
 * @param triggers        what else restarts it (changed files, a cron schedule); never null
 * @param namespace       the group commands can name instead of the app (PM2's {@code namespace});
 *                        {@code default} when none is given
 * @param autostart       whether a start of its file or command starts it; {@code false}: added stopped
 * @param source          the ecosystem file it was read from (absolute), or {@code null} for a command
 * @param ownEnv          the variables the app sets itself ({@code env}, {@code env_<name>}, {@code port}):
 *                        the part of {@code env} that is not its starter's environment
 * @param sharesListens   whether each TCP port its instances listen on is bound once, by herd, and
 *                        shared by all of them (a Node app PM2 runs in cluster mode with no port
 *                        herd knows: its listens are asked of herd as a Node cluster worker asks its
 *                        primary); the instances' message channel carries the sockets
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
        String instanceVar,
        String incrementVar,
        RunAs runAs,
        Path pidFile,
        Duration waitReady,
        RestartTriggers triggers,
        String namespace,
        boolean autostart,
        Path source,
        Map<String, String> ownEnv,
        boolean sharesListens) {

    /** The variable PM2 puts the instance's index in, when {@code instance_var} does not rename it. */
    public static final String DEFAULT_INSTANCE_VAR = "NODE_APP_INSTANCE";

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
        if (waitReady != null && waitReady.isNegative()) {
            throw new IllegalArgumentException("waitReady must not be negative, was " + waitReady);
        }
        // A list saved by an earlier herd has no triggers.
        triggers = triggers == null ? RestartTriggers.NONE : triggers;
        namespace = namespace == null ? DEFAULT_NAMESPACE : namespace;
        ownEnv = ownEnv == null ? Map.of() : Map.copyOf(ownEnv);
    }

    /** An app whose instances bind their own ports, as every app but a portless Node cluster app. */
    public AppSpec(String name, Path script, Path interpreter, List<String> interpreterArgs, List<String> args, Path cwd,
            Map<String, String> env, int instances, RestartPolicy restart, StopPolicy stop, LogPolicy logs,
            MemoryLimit memoryLimit, String instanceVar, String incrementVar, RunAs runAs, Path pidFile,
            Duration waitReady, RestartTriggers triggers, String namespace, boolean autostart, Path source,
            Map<String, String> ownEnv) {
        this(name, script, interpreter, interpreterArgs, args, cwd, env, instances, restart, stop, logs, memoryLimit,
                instanceVar, incrementVar, runAs, pidFile, waitReady, triggers, namespace, autostart, source, ownEnv,
                false);
    }

    /**
     * An app with none of the settings PM2's files add: the index in {@code NODE_APP_INSTANCE},
     * run as the daemon's user, no pid file, fork-mode instances online once spawned, nothing but
     * its exits restarting it, in the default namespace, started with its file or command, with no
     * variables of its own.
     */
    public AppSpec(String name, Path script, Path interpreter, List<String> interpreterArgs, List<String> args, Path cwd,
            Map<String, String> env, int instances, RestartPolicy restart, StopPolicy stop, LogPolicy logs,
            MemoryLimit memoryLimit) {
        this(name, script, interpreter, interpreterArgs, args, cwd, env, instances, restart, stop, logs, memoryLimit,
                null, null, null, null, null, RestartTriggers.NONE, DEFAULT_NAMESPACE, true, null, Map.of());
    }

    /** As the constructor above, without a memory limit. */
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

    /** The variable that holds the instance's index: {@code instanceVar}, or PM2's default. */
    public String instanceVarName() {
        return instanceVar == null ? DEFAULT_INSTANCE_VAR : instanceVar;
    }

    /** Whether the interpreter is Node.js. */
    public boolean isNode() {
        return interpreter != null && interpreter.getFileName().toString().startsWith("node");
    }

    /** A copy with another instance count. */
    public AppSpec withInstances(int count) {
        return new AppSpec(name, script, interpreter, interpreterArgs, args, cwd, env, count, restart, stop, logs,
                memoryLimit, instanceVar, incrementVar, runAs, pidFile, waitReady, triggers,
                namespace, autostart, source, ownEnv, sharesListens);
    }

    /** A copy with other restart triggers ({@code herd stop --watch} turns watching off). */
    public AppSpec withTriggers(RestartTriggers next) {
        return new AppSpec(name, script, interpreter, interpreterArgs, args, cwd, env, instances, restart, stop, logs,
                memoryLimit, instanceVar, incrementVar, runAs, pidFile, waitReady, next,
                namespace, autostart, source, ownEnv, sharesListens);
    }

    /** A copy with another complete environment, its own variables kept. */
    public AppSpec withEnv(Map<String, String> newEnv) {
        return new AppSpec(name, script, interpreter, interpreterArgs, args, cwd, newEnv, instances, restart, stop, logs,
                memoryLimit, instanceVar, incrementVar, runAs, pidFile, waitReady, triggers, namespace, autostart, source,
                ownEnv, sharesListens);
    }

    /** A copy whose instances' listens are shared through herd, or not ({@link #sharesListens}). */
    public AppSpec withSharedListens(boolean shared) {
        return new AppSpec(name, script, interpreter, interpreterArgs, args, cwd, env, instances, restart, stop, logs,
                memoryLimit, instanceVar, incrementVar, runAs, pidFile, waitReady, triggers, namespace, autostart, source,
                ownEnv, shared);
    }
}
