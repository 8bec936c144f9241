package dev.herd.supervisor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How one instance runs, fixed when it is created: its own argument vector and environment (a
 * cluster instance's differ from its app's by its port), its own log files (so that scaling the
 * app does not rename them), and when it counts as ready.
 *
 * @param index     its index within the app ({@code HERD_APP_INSTANCE}); unique among the app's
 *                  instances at any time, reused after an instance is gone
 * @param command   the argument vector
 * @param env       the complete environment, to which herd adds {@code HERD_APP_INSTANCE},
 *                  {@code HERD_APP_NAME} and PM2's variables: the index under the app's
 *                  {@code instance_var} ({@code NODE_APP_INSTANCE}), {@code pm_id}, {@code name} and
 *                  its {@code increment_var} plus the index
 * @param outLog    the stdout file
 * @param errLog    the stderr file
 * @param port      the port it is to listen on, or 0 when herd gives it none (fork mode)
 * @param readiness when it moves from STARTING to ONLINE
 * @param logFile   the combined log (PM2's {@code log_file}), or {@code null} for none
 * @param handover  the listening sockets it gets instead of binding its port itself (a cluster
 *                  app in socket mode), or {@code null}
 */
public record InstancePlan(int index, List<String> command, Map<String, String> env, Path outLog, Path errLog,
                           int port, Readiness readiness, Path logFile, Handover handover) {

    /** A plan without sockets handed over. */
    public InstancePlan(int index, List<String> command, Map<String, String> env, Path outLog, Path errLog,
                        int port, Readiness readiness, Path logFile) {
        this(index, command, env, outLog, errLog, port, readiness, logFile, null);
    }

    public InstancePlan {
        if (index < 0) {
            throw new IllegalArgumentException("index must not be negative, was " + index);
        }
        command = List.copyOf(command);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command must not be empty");
        }
        env = Map.copyOf(env);
        Objects.requireNonNull(outLog, "outLog");
        Objects.requireNonNull(errLog, "errLog");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        Objects.requireNonNull(readiness, "readiness");
    }

    /**
     * The plan of a fork-mode instance: the app's command and environment, and its log files
     * named for an app of {@code instances} instances (PM2's {@code -<index>} suffix when several);
     * online once spawned, or when it says so if the app waits for that ({@link AppSpec#waitReady()}).
     */
    public static InstancePlan of(AppSpec spec, int index, int instances) {
        LogPolicy logs = spec.logs();
        Readiness readiness = spec.waitReady() == null ? Readiness.AT_SPAWN : Readiness.WHEN_SAID;
        return new InstancePlan(index, spec.command(), spec.env(), logs.outFileOf(index, instances),
                logs.errorFileOf(index, instances), 0, readiness, logs.logFileOf(index, instances));
    }
}
