package dev.herd.daemon;

import java.util.List;
import java.util.Map;

import dev.herd.supervisor.ExitRecord;

/**
 * One instance as {@code list} and {@code describe} show it.
 *
 * @param id               the instance's id
 * @param name             its app's name
 * @param index            its index in the app
 * @param mode             {@code fork} or {@code cluster}
 * @param pid              its pid, 0 when not running
 * @param status           the state, in PM2's words
 * @param restarts         restarts so far
 * @param unstableRestarts consecutive restarts after exits before min_uptime
 * @param uptimeMillis     length of the current run
 * @param startedAt        epoch milliseconds of the current run's start, 0 when not running
 * @param cpuPercent       CPU of its whole process group over the last sample (100 = one core)
 * @param memoryBytes      resident memory of its whole process group
 * @param command          the command line
 * @param cwd              the working directory
 * @param outLog           stdout log file
 * @param errLog           stderr log file
 * @param droppedLogLines  lines lost because the log files could not keep up
 * @param lastReason       why it is in its state
 * @param lastExits        the last exits, newest first
 * @param cluster          where a cluster instance listens and stands with the pool; null in fork mode
 * @param memoryLimitBytes its app's {@code max_memory_restart}, 0 when none
 * @param logging          how its lines are written and its files rotate; null when not known
 * @param triggers         what else restarts its app (watch, cron_restart), or null when nothing does
 * @param namespace        its app's namespace ({@code default} when none was given)
 * @param createdAt        epoch milliseconds it was created, or its counters last reset
 * @param details          its definition and environment: in {@code describe}'s answer, null in {@code list}'s
 */
public record InstanceView(int id, String name, int index, String mode, long pid, String status, int restarts,
                           int unstableRestarts, long uptimeMillis, long startedAt, double cpuPercent, long memoryBytes,
                           List<String> command, String cwd, String outLog, String errLog, long droppedLogLines,
                           String lastReason, List<ExitRecord> lastExits, Cluster cluster, long memoryLimitBytes,
                           Logging logging, Triggers triggers, String namespace, long createdAt,
                           Details details) {

    /** A view as {@code list} had it before the logging, triggers, namespace, creation time and details were added. */
    public InstanceView(int id, String name, int index, String mode, long pid, String status, int restarts,
                        int unstableRestarts, long uptimeMillis, long startedAt, double cpuPercent, long memoryBytes,
                        List<String> command, String cwd, String outLog, String errLog, long droppedLogLines,
                        String lastReason, List<ExitRecord> lastExits, Cluster cluster, long memoryLimitBytes) {
        this(id, name, index, mode, pid, status, restarts, unstableRestarts, uptimeMillis, startedAt, cpuPercent,
                memoryBytes, command, cwd, outLog, errLog, droppedLogLines, lastReason, lastExits, cluster,
                memoryLimitBytes, null, null, "default", 0, null);
    }

    /**
     * How an instance's lines are written and its files rotate.
     *
     * @param logFile    the combined log ({@code log_file}), or null for none
     * @param dateFormat the timestamp before each line ({@code log_date_format}, {@code time}), or null
     * @param json       each line is a JSON object ({@code log_type: json})
     * @param maxSize    a file rotates before it grows past this many bytes; 0 never
     * @param retain     rotated files kept
     */
    public record Logging(String logFile, String dateFormat, boolean json, long maxSize, int retain) {
    }

    /**
     * What restarts an app besides its exits.
     *
     * @param watchPaths       what {@code watch} names (absolute), empty when it is not set
     * @param watchState       {@code watching}, {@code off} ({@code herd stop --watch}), {@code stopped}
     *                         (not while the app is stopped) or {@code failed} (see the daemon's log)
     * @param ignored          what watching ignores
     * @param watchDelayMillis the quiet time after the last change before the restart
     * @param cron             the {@code cron_restart} expression, or null
     * @param nextCronMillis   epoch milliseconds of its next time, 0 while the app is stopped
     */
    public record Triggers(List<String> watchPaths, String watchState, List<String> ignored, long watchDelayMillis,
                           String cron, long nextCronMillis) {
    }

    /**
     * What {@code describe}, {@code env} and {@code jlist} show beyond the list.
     *
     * @param script          the script or program (absolute)
     * @param interpreter     the interpreter's path, or null when the script runs itself
     * @param interpreterArgs arguments between the interpreter and the script
     * @param args            arguments after the script
     * @param instances       its app's instance count
     * @param autorestart     whether an exit restarts it
     * @param source          the ecosystem file its app came from, or null for a command
     * @param ownEnv          the variables its app sets itself (env, env_NAME, port)
     * @param env             the complete environment its last run started with (its plan's before it ran)
     * @param maxRestarts     {@code max_restarts}: exits in a row sooner than {@code minUptimeMillis} before it errors
     * @param minUptimeMillis {@code min_uptime}
     * @param killSignal      what a stop sends first ({@code kill_signal})
     * @param killTimeoutMillis how long a stop waits for it before SIGKILL ({@code kill_timeout})
     */
    public record Details(String script, String interpreter, List<String> interpreterArgs, List<String> args,
                          int instances, boolean autorestart, String source, Map<String, String> ownEnv,
                          Map<String, String> env, int maxRestarts, long minUptimeMillis, String killSignal,
                          long killTimeoutMillis) {
    }

    /**
     * A cluster instance's place.
     *
     * @param publicPort its app's public port
     * @param port       its own internal port
     * @param pool       {@code ready}, {@code unhealthy} (ready, but passed over by the balancer's health),
     *                   {@code starting}, {@code draining} or {@code out}
     * @param lastChange how its app's last reload or scale ended, or null if there was none
     * @param traffic    what the balancer measured of its requests
     * @param sharing    how its app shares the public port: {@code proxy}, {@code socket} (one
     *                   socket for all) or {@code reuseport} (a socket per instance)
     */
    public record Cluster(int publicPort, int port, String pool, String lastChange, Traffic traffic, String sharing) {

        /** One whose sharing is told by its port: none of its own in socket mode. */
        public Cluster(int publicPort, int port, String pool, String lastChange, Traffic traffic) {
            this(publicPort, port, pool, lastChange, traffic, port == 0 ? "socket" : "proxy");
        }
    }

    /**
     * A cluster instance's requests as the balancer saw them: counters since it joined the pool,
     * rates and latency over the last few seconds.
     *
     * @param requests          requests (connections, in tcp mode) since it joined
     * @param inFlight          requests in flight (open connections, in tcp mode)
     * @param errors            failures since it joined: refused or timed-out connections,
     *                          timeouts, resets and invalid responses
     * @param windowSeconds     how many seconds the next four figures cover; 0 until measured
     * @param requestsPerSecond requests per second
     * @param errorsPerSecond   failures per second
     * @param p50Millis         median latency of the answered requests, 0 when none
     * @param p99Millis         99th percentile latency of the same, 0 when none
     */
    public record Traffic(long requests, int inFlight, long errors, double windowSeconds, double requestsPerSecond,
                          double errorsPerSecond, double p50Millis, double p99Millis) {

        /** Nothing measured. */
        public static final Traffic NONE = new Traffic(0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** The reason of an instance that a daemon started again because the previous daemon crashed. */
    public static final String RESTARTED_AFTER_CRASH = "restarted after the daemon crashed";
    /** How the reason of an instance kept stopped or errored across a daemon crash begins. */
    public static final String KEPT_ACROSS_CRASH = "before the daemon crashed: ";

    /** Whether it is still in the state it was brought back in after a daemon crash. */
    public boolean backFromCrash() {
        return lastReason != null && (lastReason.equals(RESTARTED_AFTER_CRASH) || lastReason.startsWith(KEPT_ACROSS_CRASH));
    }
}
