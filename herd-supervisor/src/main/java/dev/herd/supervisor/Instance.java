package dev.herd.supervisor;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.herd.supervisor.logs.LogWriter;
import dev.herd.supervisor.logs.OutputPump;

/**
 * One supervised process slot of an app. Confined to the supervisor's loop thread: every field is
 * read and written there only, so none needs a lock.
 */
final class Instance {

    private static final int EXITS_KEPT = 10;

    final int id;
    final int index;
    /** Replaced only between runs ({@code Supervisor.restart} with a new definition). */
    AppSpec spec;
    /** Replaced only between runs ({@code Supervisor.replan}): a new port after its own was taken. */
    InstancePlan plan;
    /** Replaced with {@link #spec}: it applies the spec's restart policy. */
    RestartTracker tracker;
    final LogWriter out;
    final LogWriter err;
    /** The combined log's writer ({@code log_file}), or null. */
    final LogWriter all;

    ProcessState state = ProcessState.STOPPED;
    String reason = "created";
    ProcessLauncher.Launched process;
    /** Bumped on every spawn so that a late exit callback of an earlier run is ignored. */
    int generation;
    long startedNanos;
    long startedEpochMillis;
    /** Wall-clock time it was created, or its counters last reset (PM2's {@code created_at}). */
    long createdEpochMillis;
    /** The environment its last run started with; null before its first run. */
    Map<String, String> lastEnv;
    int restarts;
    final Deque<ExitRecord> exits = new ArrayDeque<>();
    Scheduler.Timer restartTimer;
    Scheduler.Timer killTimer;
    /** Ticker time at which a stop sends SIGKILL. */
    long killDeadlineNanos;
    /** Why herd stopped a process that is to be handled as crashed ({@code Supervisor.fail}); null otherwise. */
    String failure;
    /** Every process of the tree when the stop began, to catch those that left the group. */
    List<ProcessTree.Stat> treeAtStop = List.of();
    /** The current run's cgroup, which every process it starts stays in; null where there are none. */
    RunCgroup cgroup;
    CompletableFuture<Void> stopped;
    OutputPump outPump;
    OutputPump errPump;
    /** The current run's message channel, or null between runs. */
    InstanceChannels.Channel channel;
    /** Whether the current run's process said {@code 'ready'} over its channel. */
    boolean saidReady;
    /** When a {@link Readiness#WHEN_SAID} run is online without a word. */
    Scheduler.Timer readyTimer;
    /** Completes when the current run leaves STARTING. */
    CompletableFuture<Void> settled;

    Instance(int id, AppSpec spec, InstancePlan plan, RestartTracker tracker, LogWriter out, LogWriter err,
             LogWriter all) {
        this.id = id;
        this.index = plan.index();
        this.spec = spec;
        this.plan = plan;
        this.tracker = tracker;
        this.out = out;
        this.err = err;
        this.all = all;
    }

    long pid() {
        return process == null ? 0 : process.pid();
    }

    void recordExit(ExitRecord exit) {
        exits.addFirst(exit);
        while (exits.size() > EXITS_KEPT) {
            exits.removeLast();
        }
    }
}
