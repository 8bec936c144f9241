package dev.herd.supervisor;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.supervisor.logs.LogFormat;
import dev.herd.supervisor.logs.LogRegistry;
import dev.herd.supervisor.logs.LogWriter;
import dev.herd.supervisor.logs.OutputPump;
import dev.herd.supervisor.logs.Stream;

/**
 * Runs apps' instances and keeps them running: spawns them, restarts them by their
 * {@link RestartPolicy}, stops their whole process tree by their {@link StopPolicy}, and sends
 * their output to log files.
 *
 * <p>Each instance runs by its own {@link InstancePlan} (command, environment, log files, port),
 * fixed when it is created, so that instances can be added and retired one at a time (scale,
 * rolling reload) without renaming anyone's files. A started instance is STARTING until it is
 * ready: at once in fork mode, and when {@link #markReady} says so for a plan that asks for it.
 *
 * <p>Threading: every decision and change of state happens on one loop (a {@link Scheduler}), so
 * the state machine needs no locks; the public methods post work there and return futures.
 * Process exits arrive from the JDK's reaper threads and are posted to the loop as well.
 */
public final class Supervisor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
    /** How often a stopping instance's leftover processes are looked for. */
    private static final Duration LEFTOVER_POLL = Duration.ofMillis(20);
    /** After SIGKILL, how long leftovers may take to disappear before we report them. */
    private static final Duration AFTER_KILL = Duration.ofSeconds(2);
    /** How long a delete waits for the last output of a stopped instance before closing its logs. */
    private static final Duration DRAIN_OUTPUT = Duration.ofSeconds(2);
    /** What PM2 sends a {@code shutdown_with_message} app instead of its kill signal. */
    static final String SHUTDOWN_MESSAGE = "shutdown";

    private final ProcessLauncher launcher;
    private final InstanceChannels channels;
    private final ProcessTable processes;
    private final LogRegistry logs;
    private final Ticker ticker;
    private final LongSupplier wallClock;
    private final DoubleSupplier random;
    private final Consumer<InstanceEvent> listener;
    private final Scheduler loop;

    private final Map<String, AppSpec> apps = new LinkedHashMap<>();
    private final Map<Integer, Instance> instances = new LinkedHashMap<>();
    private int nextId;

    /**
     * A supervisor of real processes on its own loop thread.
     *
     * @param launcher  spawns processes
     * @param logs      the log files, shared by instances that write to the same file
     * @param ticker    monotonic time for uptime and restart decisions
     * @param wallClock epoch milliseconds for what the user reads (start times, exit times)
     * @param random    uniform values in [0, 1) for backoff jitter
     * @param listener  told of every change of state, on the loop thread; must not block
     */
    public Supervisor(ProcessLauncher launcher, LogRegistry logs, Ticker ticker, LongSupplier wallClock,
                      DoubleSupplier random, Consumer<InstanceEvent> listener) {
        this(launcher, InstanceChannels.none(), logs, ticker, wallClock, random, listener);
    }

    /**
     * A supervisor of real processes on its own loop thread, whose instances get message channels.
     *
     * @param launcher  spawns processes
     * @param channels  opens each run's message channel ({@code process.send} for Node.js)
     * @param logs      the log files, shared by instances that write to the same file
     * @param ticker    monotonic time for uptime and restart decisions
     * @param wallClock epoch milliseconds for what the user reads (start times, exit times)
     * @param random    uniform values in [0, 1) for backoff jitter
     * @param listener  told of every change of state, on the loop thread; must not block
     */
    public Supervisor(ProcessLauncher launcher, InstanceChannels channels, LogRegistry logs, Ticker ticker,
                      LongSupplier wallClock, DoubleSupplier random, Consumer<InstanceEvent> listener) {
        this(launcher, channels, ProcessTable.system(), logs, ticker, wallClock, random,
                Scheduler.singleThread("herd-supervisor"), listener);
    }

    /**
     * @param launcher  spawns processes
     * @param processes the process table the launched processes live in: their trees, signals
     * @param logs      the log files, shared by instances that write to the same file
     * @param ticker    monotonic time for uptime and restart decisions; the loop's timers must
     *                  follow it
     * @param wallClock epoch milliseconds for what the user reads (start times, exit times)
     * @param random    uniform values in [0, 1) for backoff jitter
     * @param loop      where every decision runs, one at a time, and its timers
     * @param listener  told of every change of state, on the loop; must not block
     */
    public Supervisor(ProcessLauncher launcher, ProcessTable processes, LogRegistry logs, Ticker ticker,
                      LongSupplier wallClock, DoubleSupplier random, Scheduler loop, Consumer<InstanceEvent> listener) {
        this(launcher, InstanceChannels.none(), processes, logs, ticker, wallClock, random, loop, listener);
    }

    /**
     * As {@link #Supervisor(ProcessLauncher, ProcessTable, LogRegistry, Ticker, LongSupplier,
     * DoubleSupplier, Scheduler, Consumer)}, with {@code channels} opening each run's message
     * channel.
     */
    public Supervisor(ProcessLauncher launcher, InstanceChannels channels, ProcessTable processes, LogRegistry logs,
                      Ticker ticker, LongSupplier wallClock, DoubleSupplier random, Scheduler loop,
                      Consumer<InstanceEvent> listener) {
        this.launcher = launcher;
        this.channels = channels;
        this.processes = processes;
        this.logs = logs;
        this.ticker = ticker;
        this.wallClock = wallClock;
        this.random = random;
        this.loop = loop;
        this.listener = listener;
    }

    /**
     * Adds an app and starts its instances.
     *
     * @return the ids of the new instances; fails with {@link IllegalArgumentException} if an app
     *         of that name exists
     */
    public CompletableFuture<List<Integer>> add(AppSpec spec) {
        return add(spec, true);
    }

    /**
     * Adds an app, starting its instances or leaving them stopped (as {@code resurrect} restores
     * an app that was stopped when the list was saved).
     *
     * @return the ids of the new instances; fails with {@link IllegalArgumentException} if an app
     *         of that name exists
     */
    public CompletableFuture<List<Integer>> add(AppSpec spec, boolean start) {
        List<InstancePlan> plans = new ArrayList<>();
        for (int i = 0; i < spec.instances(); i++) {
            plans.add(InstancePlan.of(spec, i, spec.instances()));
        }
        return add(spec, plans, start);
    }

    /**
     * Adds an app whose instances run by the given plans (cluster mode: each with its own port).
     *
     * @return the ids of the new instances, in the order of {@code plans}; fails with
     *         {@link IllegalArgumentException} if an app of that name exists or two plans share
     *         an index
     */
    public CompletableFuture<List<Integer>> add(AppSpec spec, List<InstancePlan> plans, boolean start) {
        List<InstancePlan> copy = List.copyOf(plans);
        return call(() -> {
            if (apps.containsKey(spec.name())) {
                throw new IllegalArgumentException("an app named '" + spec.name() + "' exists already");
            }
            if (copy.stream().map(InstancePlan::index).distinct().count() != copy.size()) {
                throw new IllegalArgumentException(spec.name() + ": two instances with the same index");
            }
            List<Instance> created = new ArrayList<>();
            try {
                for (InstancePlan plan : copy) {
                    created.add(create(spec, plan));
                }
            } catch (IOException | RuntimeException e) {
                created.forEach(this::forget);
                throw e;
            }
            apps.put(spec.name(), spec);
            if (start) {
                created.forEach(inst -> spawn(inst, "started"));
            }
            return created.stream().map(inst -> inst.id).toList();
        });
    }

    /**
     * Adds one instance to an app that exists (scale up; the new instance of a rolling reload).
     * {@code spec} becomes the app's definition from now on: a reload may bring a new version,
     * which the instances added after it run while the older ones keep theirs until retired.
     *
     * <p>Its index may be one an instance of the app has: a reload's new instance takes the index
     * of the one it replaces ({@code HERD_APP_INSTANCE} stays, as PM2 keeps
     * {@code NODE_APP_INSTANCE}), and the two share their log files while both run.
     *
     * @return the new instance's id; fails with {@link IllegalArgumentException} if there is no
     *         such app
     */
    public CompletableFuture<Integer> addInstance(AppSpec spec, InstancePlan plan, boolean start) {
        return call(() -> {
            if (!apps.containsKey(spec.name())) {
                throw new IllegalArgumentException("no app named '" + spec.name() + "'");
            }
            Instance inst = create(spec, plan);
            apps.put(spec.name(), spec);
            if (start) {
                spawn(inst, "started");
            }
            return inst.id;
        });
    }

    /**
     * Says that a STARTING instance is ready: it moves to ONLINE. Names the process too, so that
     * a readiness check that finishes after its process died and was replaced changes nothing.
     *
     * @param reason how it was found ready, for the log and {@code describe}
     * @return whether it moved to ONLINE (false if it is not STARTING, or runs another process)
     */
    public CompletableFuture<Boolean> markReady(int id, long pid, String reason) {
        return call(() -> {
            Instance inst = instances.get(id);
            if (inst == null || inst.state != ProcessState.STARTING || inst.pid() != pid) {
                return false;
            }
            transition(inst, ProcessState.ONLINE, reason);
            return true;
        });
    }

    /**
     * Whether the process {@code pid} of an instance said {@code 'ready'} over its channel since
     * its run began: a cluster instance's owner asks, as it decides when the instance is ready.
     */
    public CompletableFuture<Boolean> saidReady(int id, long pid) {
        return call(() -> {
            Instance inst = instances.get(id);
            return inst != null && inst.pid() == pid && inst.saidReady;
        });
    }

    /**
     * Completes when the instance is no longer STARTING: online, or its run ended. At once when it
     * is not starting, or there is no such instance.
     */
    public CompletableFuture<Void> settled(int id) {
        return call(() -> {
            Instance inst = instances.get(id);
            return inst == null || inst.state != ProcessState.STARTING ? CompletableFuture.<Void>completedFuture(null)
                    : inst.settled;
        }).thenCompose(f -> f);
    }

    /**
     * Says that a running instance does not work (it never got ready in time, say): its tree is
     * stopped by its stop policy and its exit handled as a crash, so its restart policy decides
     * what comes next. Names the process, as {@link #markReady} does.
     *
     * @param reason why, added to the reason of its exit
     * @return whether it was running that process
     */
    public CompletableFuture<Boolean> fail(int id, long pid, String reason) {
        return call(() -> {
            Instance inst = instances.get(id);
            if (inst == null || inst.pid() != pid || inst.failure != null
                    || (inst.state != ProcessState.STARTING && inst.state != ProcessState.ONLINE)) {
                return false;
            }
            inst.failure = reason;
            StopPolicy sp = inst.spec.stop();
            String sent = askToStop(inst, pid, treeAndMarked(inst, pid));
            log.warn("{}[{}] (pid {}) {}: sending {}", inst.spec.name(), inst.index, pid, reason, sent);
            int generation = inst.generation;
            loop.schedule(() -> {
                if (inst.generation == generation && inst.process != null) {
                    signalStop(inst, pid, treeAndMarked(inst, pid), Signal.SIGKILL);
                }
            }, sp.killTimeout());
            return true;
        });
    }

    /**
     * Gives an instance that is not running (waiting to restart, stopped or errored) a new plan
     * for its next runs: a cluster instance whose port another program took gets another one.
     * The index and log files stay.
     *
     * @return completes when done; fails with {@link IllegalArgumentException} if there is no such
     *         instance, it runs, or the plan changes its index or log files
     */
    public CompletableFuture<Void> replan(int id, InstancePlan plan) {
        return call(() -> {
            Instance inst = instances.get(id);
            if (inst == null) {
                throw new IllegalArgumentException("no instance with id " + id);
            }
            if (inst.state.isRunning()) {
                throw new IllegalArgumentException(inst.spec.name() + "[" + inst.index + "] runs: it keeps its plan");
            }
            if (plan.index() != inst.index || !plan.outLog().equals(inst.plan.outLog())
                    || !plan.errLog().equals(inst.plan.errLog())
                    || !Objects.equals(plan.logFile(), inst.plan.logFile())) {
                throw new IllegalArgumentException(inst.spec.name() + "[" + inst.index
                        + "]: a new plan keeps the index and log files");
            }
            inst.plan = plan;
            return null;
        });
    }

    /**
     * Replaces an app's definition without touching its instances: what {@link #apps()} reports
     * and a save keeps (a scale's new count, or the running version after a reload gave up).
     *
     * @return completes when done; fails with {@link IllegalArgumentException} if there is no such app
     */
    public CompletableFuture<Void> redefine(AppSpec spec) {
        return call(() -> {
            if (!apps.containsKey(spec.name())) {
                throw new IllegalArgumentException("no app named '" + spec.name() + "'");
            }
            apps.put(spec.name(), spec);
            return null;
        });
    }

    /**
     * Adds an app whose instances a daemon that died left behind, with their ids: those recorded
     * as {@code ONLINE}, {@code STARTING} or {@code WAITING_RESTART} are started with {@code reason};
     * {@code ERRORED} ones come back errored and are not started (a crash loop stays stopped until
     * asked); {@code STOPPED} and {@code STOPPING} ones come back stopped. Ids handed out later are
     * above the highest one here.
     *
     * @param spec      the app; each instance's index must be below its instance count
     * @param instances the instances to create, possibly fewer than the spec's count (some were deleted)
     * @return the ids of the instances started; fails with {@link IllegalArgumentException} if an app
     *         of that name exists, an id is in use or given twice, or an index is out of range
     */
    public CompletableFuture<List<Integer>> restore(AppSpec spec, List<RestoredInstance> instances) {
        return call(() -> {
            if (apps.containsKey(spec.name())) {
                throw new IllegalArgumentException("an app named '" + spec.name() + "' exists already");
            }
            java.util.Set<Integer> ids = new java.util.HashSet<>();
            for (RestoredInstance r : instances) {
                if (this.instances.containsKey(r.id()) || !ids.add(r.id())) {
                    throw new IllegalArgumentException("cannot restore " + spec.name() + "[" + r.index() + "]: id "
                            + r.id() + " is taken");
                }
                if (r.index() < 0 || r.index() >= spec.instances()) {
                    throw new IllegalArgumentException("cannot restore " + spec.name() + ": index " + r.index()
                            + " is outside its " + spec.instances() + " instance(s)");
                }
            }
            apps.put(spec.name(), spec);
            int next = instances.stream().mapToInt(r -> r.id() + 1).reduce(nextId, Math::max);
            List<Integer> started = new ArrayList<>();
            try {
                for (RestoredInstance r : instances) {
                    // create() hands out nextId: point it at the id this instance had.
                    nextId = r.id();
                    Instance inst = create(spec, r.plan() != null ? r.plan()
                            : InstancePlan.of(spec, r.index(), spec.instances()));
                    switch (r.state()) {
                        case ONLINE, STARTING, WAITING_RESTART -> {
                            spawn(inst, r.reason());
                            started.add(inst.id);
                        }
                        // Where a restored instance begins, as a new one begins STOPPED: not a move.
                        case ERRORED -> {
                            inst.state = ProcessState.ERRORED;
                            inst.reason = r.reason();
                        }
                        case STOPPED, STOPPING -> inst.reason = r.reason();
                    }
                }
            } finally {
                nextId = next;
            }
            return started;
        });
    }

    /** Starts the given instances that are not running (stopped or errored); running ones are left alone. */
    public CompletableFuture<Void> start(Collection<Integer> ids) {
        return call(() -> {
            for (Instance inst : resolve(ids)) {
                if (inst.state == ProcessState.STOPPED || inst.state == ProcessState.ERRORED) {
                    inst.tracker.reset();
                    spawn(inst, "started by request");
                } else if (inst.state == ProcessState.WAITING_RESTART) {
                    inst.restartTimer.cancel();
                    inst.tracker.reset();
                    spawn(inst, "started by request");
                }
            }
            return null;
        });
    }

    /**
     * Stops the given instances, those still STARTING included; completes when every process of
     * their trees is gone.
     */
    public CompletableFuture<Void> stop(Collection<Integer> ids) {
        return stop(ids, null);
    }

    /**
     * As {@link #stop(Collection)}, for a reason of herd's own (a reload replaced it, say) that
     * its log gives.
     *
     * @param why the reason, or {@code null} when the user asked
     */
    public CompletableFuture<Void> stop(Collection<Integer> ids, String why) {
        return call(() -> resolve(ids)).thenComposeAsync(list -> all(list, inst -> stopOnLoop(inst, why)), loop);
    }

    /** Stops then starts the given instances (all of them at once). */
    public CompletableFuture<Void> restart(Collection<Integer> ids) {
        return restart(ids, null);
    }

    /**
     * Stops then starts the given instances (all of them at once), for a reason of herd's own
     * (an instance over its memory limit, say) that its log and {@code describe} give.
     *
     * @param why the reason, or {@code null} when the user asked
     */
    public CompletableFuture<Void> restart(Collection<Integer> ids, String why) {
        return call(() -> resolve(ids)).thenComposeAsync(list -> all(list, inst -> stopOnLoop(inst, why).thenRunAsync(() -> {
            inst.restarts++;
            inst.tracker.reset();
            spawn(inst, why == null ? "restarted by request" : "restarted: " + why);
        }, loop)), loop);
    }

    /**
     * Stops the given fork-mode instances of an app, then starts them by a new definition of it
     * (PM2's restart with {@code --update-env}, or with an ecosystem file that changed): each keeps
     * its id, index and log files, counts a restart if it ran (as PM2), and runs {@code next}'s
     * command and environment from now on; {@code next} becomes the app's definition. Instances
     * not given keep theirs until they are restarted so.
     *
     * @return completes when every one was started again; fails with {@link IllegalArgumentException}
     *         if an id is of another app, or {@code next} changes their log files (another instance
     *         count or log policy: delete and add the app instead)
     */
    public CompletableFuture<Void> restartAs(Collection<Integer> ids, AppSpec next) {
        return call(() -> {
            if (!apps.containsKey(next.name())) {
                throw new IllegalArgumentException("no app named '" + next.name() + "'");
            }
            List<Instance> list = resolve(ids);
            for (Instance inst : list) {
                InstancePlan plan = InstancePlan.of(next, inst.index, next.instances());
                if (!inst.spec.name().equals(next.name())) {
                    throw new IllegalArgumentException("instance " + inst.id + " is of " + inst.spec.name() + ", not "
                            + next.name());
                }
                // Its log writers stay open across the restart, so their files and settings must not change.
                if (!plan.outLog().equals(inst.plan.outLog()) || !plan.errLog().equals(inst.plan.errLog())
                        || !next.logs().equals(inst.spec.logs())) {
                    throw new IllegalArgumentException(next.name() + "[" + inst.index + "]: the new definition changes"
                            + " its log files or their settings");
                }
            }
            apps.put(next.name(), next);
            return list;
        }).thenComposeAsync(list -> all(list, inst -> {
            boolean ran = inst.state.isRunning();
            return stopOnLoop(inst, null).thenRunAsync(() -> {
                inst.spec = next;
                inst.plan = InstancePlan.of(next, inst.index, next.instances());
                inst.tracker = new RestartTracker(next.restart(), random);
                if (ran) {
                    inst.restarts++;
                }
                spawn(inst, "restarted by request with its new definition");
            }, loop);
        }), loop);
    }

    /** Stops and forgets the given instances; an app with no instance left is forgotten too. */
    public CompletableFuture<Void> delete(Collection<Integer> ids) {
        return call(() -> resolve(ids)).thenComposeAsync(list -> all(list, inst -> stopOnLoop(inst).thenComposeAsync(v -> {
            instances.remove(inst.id);
            if (instances.values().stream().noneMatch(i -> i.spec.name().equals(inst.spec.name()))) {
                apps.remove(inst.spec.name());
            }
            log.info("{}[{}] (id {}) deleted", inst.spec.name(), inst.index, inst.id);
            return outputDrained(inst);
        }, loop).thenRun(() -> releaseLogs(inst))), loop);
    }

    /**
     * Sends a signal to the main process of each given running instance (as PM2: not to its
     * children, which a wrapper such as {@code npm start} manages itself).
     *
     * @return how many instances were signalled
     */
    public CompletableFuture<Integer> signal(Collection<Integer> ids, Signal signal) {
        return call(() -> {
            int sent = 0;
            for (Instance inst : resolve(ids)) {
                if (inst.process != null && inst.state.isRunning() && processes.kill(inst.pid(), signal)) {
                    sent++;
                }
            }
            return sent;
        });
    }

    /**
     * Sets the given instances' restart counts and unstable restarts to 0 and their creation time
     * to now, as PM2's {@code reset}; what runs is left alone.
     *
     * @return completes when done; fails with {@link NoSuchElementException} for an unknown id
     */
    public CompletableFuture<Void> reset(Collection<Integer> ids) {
        return call(() -> {
            for (Instance inst : resolve(ids)) {
                inst.restarts = 0;
                inst.tracker.reset();
                inst.createdEpochMillis = wallClock.getAsLong();
            }
            return null;
        });
    }

    /** A snapshot of one instance, without blocking: safe to compose on the supervisor's own futures. */
    public CompletableFuture<java.util.Optional<InstanceInfo>> info(int id) {
        return call(() -> java.util.Optional.ofNullable(instances.get(id)).map(this::info));
    }

    /** A snapshot of every instance, in id order. */
    public List<InstanceInfo> list() {
        return call(() -> instances.values().stream().map(this::info).toList()).join();
    }

    /** The apps, in the order they were added. */
    public List<AppSpec> apps() {
        return call(() -> List.copyOf(apps.values())).join();
    }

    /** Stops every instance; completes when all trees are gone. */
    public CompletableFuture<Void> stopAll() {
        return call(() -> List.copyOf(instances.values())).thenComposeAsync(list -> all(list, this::stopOnLoop), loop);
    }

    /** Stops everything, waits for it, closes the log files and ends the loop thread. */
    @Override
    public void close() {
        stopAll().join();
        // Their last lines (a goodbye on SIGTERM) may still be in the pipes: read before the files close.
        call(() -> CompletableFuture.allOf(instances.values().stream().map(Supervisor::outputDrained)
                .toArray(CompletableFuture[]::new))).join().join();
        call(() -> {
            instances.values().forEach(this::releaseLogs);
            instances.clear();
            apps.clear();
            return null;
        }).join();
        processes.close();
        loop.shutdown();
    }

    private Instance create(AppSpec spec, InstancePlan plan) throws IOException {
        LogPolicy lp = spec.logs();
        LogFormat format = lp.format();
        LogWriter out = logs.acquire(plan.outLog(), format, lp.maxSize(), lp.retain());
        LogWriter err;
        LogWriter all = null;
        try {
            err = logs.acquire(plan.errLog(), format, lp.maxSize(), lp.retain());
        } catch (IOException | RuntimeException e) {
            logs.release(plan.outLog());
            throw e;
        }
        if (plan.logFile() != null) {
            try {
                all = logs.acquireCombined(plan.logFile(), format, lp.maxSize(), lp.retain());
            } catch (IOException | RuntimeException e) {
                logs.release(plan.outLog());
                logs.release(plan.errLog());
                throw e;
            }
        }
        Instance inst = new Instance(nextId++, spec, plan, new RestartTracker(spec.restart(), random), out, err, all);
        inst.createdEpochMillis = wallClock.getAsLong();
        instances.put(inst.id, inst);
        return inst;
    }

    /** Undoes {@link #create} of an instance that never ran. */
    private void forget(Instance inst) {
        instances.remove(inst.id);
        releaseLogs(inst);
    }

    /**
     * Completes when the pumps have read the last output of the instance's run, or after
     * {@link #DRAIN_OUTPUT}: a grandchild that escaped with the pipe must not hold up a delete.
     */
    private static CompletableFuture<Void> outputDrained(Instance inst) {
        if (inst.outPump == null) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.allOf(inst.outPump.done(), inst.errPump.done())
                .completeOnTimeout(null, DRAIN_OUTPUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Called off the loop (but for an instance that never ran): closing a writer drains its buffer. */
    private void releaseLogs(Instance inst) {
        logs.release(inst.plan.outLog());
        logs.release(inst.plan.errLog());
        if (inst.plan.logFile() != null) {
            logs.release(inst.plan.logFile());
        }
    }

    /**
     * Launches the instance's process: STARTING with its pid, then ONLINE at once, or when it says
     * so (or its wait is over), as its plan says.
     */
    private void spawn(Instance inst, String why) {
        inst.failure = null;
        // Bumped before the launch: the channel's callbacks and the exit name the run by it.
        int generation = ++inst.generation;
        inst.settled = new CompletableFuture<>();
        Map<String, String> env = instanceEnv(inst);
        InstanceChannels.Channel channel = openChannel(inst, generation);
        Handover handover = inst.plan.handover();
        if (launcher.handsDescriptors()) {
            int childFd = handover == null ? Handover.FIRST_FD : handover.channelNumber();
            int end = channel.inherit(env, childFd);
            if (end >= 0) {
                handover = handover == null ? Handover.channelOnly(end) : handover.withChannel(end);
            }
        }
        channel.addTo(env);
        inst.lastEnv = Map.copyOf(env);
        RunCgroup cgroup = processes.newCgroup(runName(inst, generation)).orElse(null);
        boolean enters = cgroup != null && launcher.entersCgroups();
        ProcessLauncher.Launched p;
        try {
            p = launcher.launch(inst.plan.command(), inst.spec.cwd(), env, inst.spec.runAs(), handover,
                    enters ? cgroup.path() : null);
        } catch (IOException | RuntimeException e) {
            channel.spawned();
            channel.close();
            removeCgroup(cgroup);
            inst.process = null;
            transition(inst, ProcessState.STARTING, why);
            transition(inst, ProcessState.ERRORED, "cannot start: " + e.getMessage());
            return;
        }
        channel.spawned();
        inst.process = p;
        if (cgroup != null && !enters) {
            try {
                cgroup.add(p.pid());
            } catch (IOException e) {
                log.debug("cannot move pid {} into {}: {}", p.pid(), cgroup.path(), e.getMessage());
                removeCgroup(cgroup);
                cgroup = null;
            }
        }
        inst.cgroup = cgroup;
        inst.channel = channel;
        inst.saidReady = false;
        inst.startedNanos = ticker.nanos();
        inst.startedEpochMillis = wallClock.getAsLong();
        inst.outPump = pump(p.takeStdoutFd(), p::stdout, inst, Stream.OUT, writers(inst.out, inst.all));
        inst.errPump = pump(p.takeStderrFd(), p::stderr, inst, Stream.ERR, writers(inst.err, inst.all));
        p.exit().whenCompleteAsync((code, failure) -> {
            if (inst.generation == generation) {
                onExit(inst, failure == null ? code : -1);
            }
        }, loop);
        transition(inst, ProcessState.STARTING, why);
        if (inst.plan.readiness() == Readiness.AT_SPAWN) {
            transition(inst, ProcessState.ONLINE, why);
        } else if (inst.plan.readiness() == Readiness.WHEN_SAID) {
            awaitSaidReady(inst, generation);
        }
    }

    /** A pipe's pump: on the thread that polls every pipe when the launcher gives its descriptor. */
    private OutputPump pump(int fd, java.util.function.Supplier<java.io.InputStream> stream, Instance inst, Stream which,
                            List<LogWriter> to) {
        return fd >= 0 ? OutputPump.poll(fd, inst.spec.name(), inst.index, inst.id, which, to, wallClock)
                : OutputPump.start(stream.get(), inst.spec.name(), inst.index, inst.id, which, to, wallClock);
    }

    /**
     * The plan's environment and the variables of the instance's own: herd's, and those PM2 gives
     * every app, whatever runs it: the index (under {@code instance_var}), {@code pm_id} (its id,
     * unique in the daemon as PM2's), {@code name}, and the {@code increment_var} plus the index.
     */
    private static Map<String, String> instanceEnv(Instance inst) {
        AppSpec spec = inst.spec;
        Map<String, String> env = new HashMap<>(inst.plan.env());
        String index = Integer.toString(inst.index);
        env.put(TRACE_VARIABLE, traceKey(inst));
        if (spec.sharesListens()) {
            env.put(SHARE_LISTENS_VARIABLE, "1");
        }
        env.put("HERD_APP_INSTANCE", index);
        env.put("HERD_APP_NAME", spec.name());
        env.put(spec.instanceVarName(), index);
        env.put("pm_id", Integer.toString(inst.id));
        env.put("name", spec.name());
        if (spec.incrementVar() != null) {
            env.put(spec.incrementVar(), Long.toString(incrementBase(env.get(spec.incrementVar())) + inst.index));
        }
        return env;
    }

    /**
     * The variable that marks every process an instance starts, in its environment, which they
     * inherit wherever they go: a stop finds by it the descendants that left the instance's tree
     * and group ({@code ( setsid daemon & )}), and stops them with the rest.
     */
    public static final String TRACE_VARIABLE = "HERD_INSTANCE_TRACE";

    /**
     * Set (to 1) for the instances of an app that {@linkplain AppSpec#sharesListens shares its
     * listens}: herd's Node.js preload asks herd for each port it listens on, over the channel.
     */
    public static final String SHARE_LISTENS_VARIABLE = "HERD_LISTEN_SHARE";

    /** The user instances run as unless their app names another ({@code uid}). */
    private static final int OWN_UID = Posix.uid();

    /** Tells this daemon's instances from another's (a test's, a second HERD_HOME's) of the same id. */
    private static final String TRACE_TOKEN = ProcessHandle.current().pid() + "-"
            + Long.toHexString(new java.security.SecureRandom().nextLong() >>> 1);

    /**
     * This daemon's part of every {@link #TRACE_VARIABLE} it gives ({@code <token>-<id>}): the next
     * daemon finds by it whatever this one left running if it dies.
     */
    public static String traceToken() {
        return TRACE_TOKEN;
    }

    private static String traceKey(Instance inst) {
        return TRACE_TOKEN + "-" + inst.id;
    }

    /**
     * The name of a run's cgroup: the app's name (what a cgroup name may hold of it), then the
     * instance's id, not its index, which a reload's replacement shares while the old one stops,
     * and the run.
     */
    private static String runName(Instance inst, int generation) {
        return inst.spec.name().replaceAll("[^A-Za-z0-9._-]", "_") + "-" + inst.id + "." + generation;
    }

    /**
     * The instance's tree and, of the processes of its cgroup and those with its mark, the ones
     * outside that tree (a {@code setsid} daemon whose parent exited; one that also cleared its
     * environment is found by its cgroup).
     */
    private List<ProcessTree.Stat> treeAndMarked(Instance inst, long pid) {
        List<ProcessTree.Stat> all = new ArrayList<>(processes.treeOf(pid));
        java.util.Set<Long> seen = new java.util.HashSet<>();
        all.forEach(s -> seen.add(s.pid()));
        List<ProcessTree.Stat> outside = new ArrayList<>();
        if (inst.cgroup != null) {
            outside.addAll(inst.cgroup.members());
        }
        int uid = inst.spec.runAs() != null ? inst.spec.runAs().uid() : OWN_UID;
        outside.addAll(processes.marked(TRACE_VARIABLE + "=" + traceKey(inst), uid));
        for (ProcessTree.Stat s : outside) {
            if (seen.add(s.pid())) {
                all.add(s);
            }
        }
        return all;
    }

    /** The number an {@code increment_var} starts from: PM2's {@code Number(value) || 0}, for whole numbers. */
    private static long incrementBase(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The run's channel; a run whose channel cannot be opened runs without one. */
    private InstanceChannels.Channel openChannel(Instance inst, int generation) {
        try {
            return channels.open(inst.spec.name(), inst.index, () -> loop.execute(() -> onSaidReady(inst, generation)));
        } catch (IOException | RuntimeException e) {
            log.warn("{}[{}]: no message channel, so no process.send, for this run: {}", inst.spec.name(), inst.index,
                    e.getMessage());
            return InstanceChannels.Channel.NONE;
        }
    }

    /**
     * A {@link Readiness#WHEN_SAID} instance is online when it says so, or when its app's wait is
     * over without a word: as PM2 does at {@code listen_timeout}, since in fork mode nothing would
     * be spared by holding it back, and an app that never says it would otherwise be restarted
     * for nothing.
     */
    private void awaitSaidReady(Instance inst, int generation) {
        Duration wait = java.util.Objects.requireNonNullElse(inst.spec.waitReady(), Duration.ZERO);
        inst.readyTimer = loop.schedule(() -> {
            if (inst.generation == generation && inst.state == ProcessState.STARTING) {
                log.warn("{}[{}] (pid {}) did not say it is ready within listen_timeout ({} ms): online anyway",
                        inst.spec.name(), inst.index, inst.pid(), wait.toMillis());
                transition(inst, ProcessState.ONLINE, "online without saying it is ready: listen_timeout ("
                        + wait.toMillis() + " ms) passed");
            }
        }, wait);
    }

    /** A process of the run said {@code 'ready'}; runs on the loop. */
    private void onSaidReady(Instance inst, int generation) {
        if (inst.generation != generation || inst.process == null) {
            return;
        }
        inst.saidReady = true;
        if (inst.state == ProcessState.STARTING && inst.plan.readiness() == Readiness.WHEN_SAID) {
            inst.readyTimer.cancel();
            transition(inst, ProcessState.ONLINE, "said it is ready (process.send('ready')) in "
                    + Duration.ofNanos(ticker.nanos() - inst.startedNanos).toMillis() + " ms");
        }
    }

    private static void closeChannel(Instance inst) {
        if (inst.channel != null) {
            inst.channel.close();
            inst.channel = null;
        }
    }

    /**
     * Asks the instance's process to stop as its policy says: {@code 'shutdown'} over its channel
     * (PM2's {@code shutdown_with_message}) when its process is connected, its kill signal to the
     * tree otherwise.
     *
     * @return what was sent, for the log
     */
    private String askToStop(Instance inst, long pid, List<ProcessTree.Stat> tree) {
        StopPolicy sp = inst.spec.stop();
        if (sp.shutdownMessage() && inst.channel != null && inst.channel.send(SHUTDOWN_MESSAGE)) {
            return "the message '" + SHUTDOWN_MESSAGE + "'";
        }
        signalStop(inst, pid, tree, sp.killSignal());
        return sp.killSignal().name() + (sp.mainProcessOnly() ? " to the main process only (treekill: false)" : "");
    }

    private void onExit(Instance inst, int code) {
        long uptimeNanos = ticker.nanos() - inst.startedNanos;
        Duration uptime = Duration.ofNanos(uptimeNanos);
        boolean requested = inst.state == ProcessState.STOPPING;
        ExitRecord exit = ExitRecord.of(wallClock.getAsLong(), code, uptime.toMillis(), requested, inst.failure);
        inst.recordExit(exit);
        closeChannel(inst);
        long pgid = inst.pid();
        if (requested) {
            finishStop(inst, pgid, exit);
            return;
        }
        // The leader is gone; anything left in its group is an orphan that may hold its port,
        // unless the app asked for its children to outlive it (treekill: false).
        RunCgroup ended = inst.cgroup;
        inst.cgroup = null;
        if (!inst.spec.stop().mainProcessOnly()) {
            cleanUpGroup(inst, pgid, ended);
        }
        // A run herd stopped because it never got ready counts towards max_restarts however long it
        // took to fail, so an app that can never get ready ends errored.
        RestartDecision d = inst.tracker.onExit(code, uptime, inst.failure == null);
        String what = "exited with " + exit.describe() + " after running " + uptime.toMillis() + " ms"
                + (inst.failure != null ? " (stopped: " + inst.failure + ")" : "");
        inst.failure = null;
        inst.process = null;
        if (d.next() == ProcessState.WAITING_RESTART) {
            transition(inst, ProcessState.WAITING_RESTART, what + "; restart in " + d.delay().toMillis() + " ms");
            inst.restartTimer = loop.schedule(() -> {
                if (inst.state == ProcessState.WAITING_RESTART) {
                    inst.restarts++;
                    spawn(inst, "automatic restart");
                }
            }, d.delay());
        } else {
            transition(inst, d.next(), what + "; " + d.reason());
        }
    }

    private CompletableFuture<Void> stopOnLoop(Instance inst) {
        return stopOnLoop(inst, null);
    }

    /** @param why herd's own reason to stop it, or {@code null} when the user asked */
    private CompletableFuture<Void> stopOnLoop(Instance inst, String why) {
        switch (inst.state) {
            case STOPPING:
                return inst.stopped;
            case WAITING_RESTART:
                inst.restartTimer.cancel();
                transition(inst, ProcessState.STOPPED, "stopped by request while waiting to restart");
                return CompletableFuture.completedFuture(null);
            case ERRORED:
                transition(inst, ProcessState.STOPPED, "stopped by request");
                return CompletableFuture.completedFuture(null);
            case STARTING:
            case ONLINE:
                break;
            default:
                return CompletableFuture.completedFuture(null);
        }
        long pid = inst.pid();
        StopPolicy sp = inst.spec.stop();
        inst.stopped = new CompletableFuture<>();
        inst.treeAtStop = sp.mainProcessOnly() ? List.of() : treeAndMarked(inst, pid);
        // Sent before the move is told: its exit comes through the loop, so it finds the instance STOPPING.
        String sent = askToStop(inst, pid, inst.treeAtStop);
        transition(inst, ProcessState.STOPPING, (why == null ? "" : why + ": ") + "sending " + sent
                + ", SIGKILL after " + sp.killTimeout().toMillis() + " ms");
        inst.killDeadlineNanos = ticker.nanos() + sp.killTimeout().toNanos();
        inst.killTimer = loop.schedule(() -> {
            inst.killTimer = null;
            log.warn("{}[{}] (pid {}) still running {} ms after {}: sending SIGKILL", inst.spec.name(), inst.index,
                    pid, sp.killTimeout().toMillis(), sent);
            signalStop(inst, pid, inst.treeAtStop, Signal.SIGKILL);
            if (!sp.mainProcessOnly() && inst.cgroup != null) {
                inst.cgroup.killAll();
            }
        }, sp.killTimeout());
        return inst.stopped;
    }

    /** The leader exited while stopping: wait for the rest of its tree (SIGKILL at the deadline), then STOPPED. */
    private void finishStop(Instance inst, long pgid, ExitRecord exit) {
        // Once SIGKILL went out, leftovers get it at once too; before, they have until its deadline.
        long deadline = inst.killTimer != null ? inst.killDeadlineNanos : ticker.nanos();
        Runnable stopped = () -> {
            if (inst.killTimer != null) {
                inst.killTimer.cancel();
                inst.killTimer = null;
            }
            inst.process = null;
            removeCgroup(inst.cgroup);
            inst.cgroup = null;
            transition(inst, ProcessState.STOPPED, "exited with " + exit.describe() + " after running "
                    + exit.uptimeMillis() + " ms");
            inst.stopped.complete(null);
        };
        if (inst.spec.stop().mainProcessOnly()) {
            stopped.run();
        } else {
            awaitLeftovers(inst, pgid, deadline, false, stopped);
        }
    }

    private void awaitLeftovers(Instance inst, long pgid, long deadlineNanos, boolean killed, Runnable then) {
        List<ProcessTree.Stat> left = leftovers(inst, pgid, inst.cgroup);
        if (left.isEmpty()) {
            then.run();
            return;
        }
        long now = ticker.nanos();
        if (now >= deadlineNanos) {
            if (killed) {
                log.error("{}[{}]: processes {} survived SIGKILL; giving up on them", inst.spec.name(), inst.index,
                        left.stream().map(ProcessTree.Stat::pid).toList());
                then.run();
                return;
            }
            log.warn("{}[{}]: {} leftover process(es) of pid {} still running: sending SIGKILL", inst.spec.name(),
                    inst.index, left.size(), pgid);
            signalTree(pgid, left, Signal.SIGKILL);
            if (inst.cgroup != null) {
                inst.cgroup.killAll();
            }
            awaitLeftovers(inst, pgid, now + AFTER_KILL.toNanos(), true, then);
            return;
        }
        loop.schedule(() -> awaitLeftovers(inst, pgid, deadlineNanos, killed, then), LEFTOVER_POLL);
    }

    /**
     * After a crash: ask what is left of the group and of the run's cgroup to stop, and kill it at
     * the deadline, without holding up the restart.
     */
    private void cleanUpGroup(Instance inst, long pgid, RunCgroup cgroup) {
        List<ProcessTree.Stat> left = leftovers(inst, pgid, cgroup);
        if (left.isEmpty()) {
            removeCgroup(cgroup);
            return;
        }
        log.warn("{}[{}]: pid {} exited leaving {} process(es) in its group or cgroup: sending {}", inst.spec.name(),
                inst.index, pgid, left.size(), inst.spec.stop().killSignal().name());
        signalTree(pgid, left, inst.spec.stop().killSignal());
        loop.schedule(() -> {
            List<ProcessTree.Stat> still = processes.groupMembers(pgid);
            if (!still.isEmpty()) {
                signalTree(pgid, still, Signal.SIGKILL);
            }
            if (cgroup != null) {
                cgroup.killAll();
                loop.schedule(() -> removeCgroup(cgroup), AFTER_KILL);
            }
        }, inst.spec.stop().killTimeout());
    }

    /** What is left of a run whose main process exited: its group, its tree at the stop, its cgroup. */
    private List<ProcessTree.Stat> leftovers(Instance inst, long pgid, RunCgroup cgroup) {
        List<ProcessTree.Stat> left = new ArrayList<>(processes.groupMembers(pgid));
        java.util.Set<Long> seen = new java.util.HashSet<>();
        left.forEach(s -> seen.add(s.pid()));
        for (ProcessTree.Stat s : inst.treeAtStop) {
            if (s.pgid() != pgid && processes.isAlive(s) && seen.add(s.pid())) {
                left.add(s);
            }
        }
        if (cgroup != null) {
            for (ProcessTree.Stat s : cgroup.members()) {
                if (seen.add(s.pid())) {
                    left.add(s);
                }
            }
        }
        return left;
    }

    /** Removes a run's cgroup that nothing is left in; one that still holds a process stays till the daemon stops. */
    private void removeCgroup(RunCgroup cgroup) {
        if (cgroup != null && !cgroup.remove()) {
            // Its last process may be a zombie for a moment yet: once more after it is reaped.
            loop.schedule(() -> {
                if (!cgroup.remove()) {
                    log.debug("cgroup {} still holds processes: kept", cgroup.path());
                }
            }, AFTER_KILL);
        }
    }

    /** Signals what its stop policy says to stop: the tree, or the main process alone. */
    private void signalStop(Instance inst, long pid, List<ProcessTree.Stat> tree, Signal signal) {
        if (inst.spec.stop().mainProcessOnly()) {
            processes.kill(pid, signal);
        } else {
            signalTree(pid, tree, signal);
        }
    }

    /** Signals the group, and each process of the tree that left the group (setsid, setpgid). */
    private void signalTree(long pgid, List<ProcessTree.Stat> tree, Signal signal) {
        processes.killGroup(pgid, signal);
        for (ProcessTree.Stat s : tree) {
            if (s.pgid() != pgid && processes.isAlive(s)) {
                processes.kill(s.pid(), signal);
            }
        }
    }

    private void transition(Instance inst, ProcessState next, String reason) {
        ProcessState from = inst.state;
        if (!from.canMoveTo(next)) {
            throw new IllegalStateException(inst.spec.name() + "[" + inst.index + "]: " + from + " -> " + next
                    + " is not an allowed transition (" + reason + ")");
        }
        inst.state = next;
        inst.reason = reason;
        if (from == ProcessState.STARTING && inst.settled != null) {
            inst.settled.complete(null);
        }
        InstanceEvent e = new InstanceEvent(wallClock.getAsLong(), inst.id, inst.spec.name(), inst.index, from, next,
                inst.pid(), reason, inst.plan.port());
        if (next == ProcessState.ERRORED) {
            log.error("{}", e);
        } else {
            log.info("{}", e);
        }
        try {
            listener.accept(e);
        } catch (RuntimeException ex) {
            log.error("state listener failed on {}", e, ex);
        }
    }

    private InstanceInfo info(Instance inst) {
        boolean running = inst.process != null && inst.state.isRunning();
        return new InstanceInfo(inst.id, inst.spec.name(), inst.index, inst.state, running ? inst.pid() : 0,
                inst.restarts, inst.tracker.unstableRestarts(),
                running ? inst.startedEpochMillis : 0,
                running ? Duration.ofNanos(ticker.nanos() - inst.startedNanos).toMillis() : 0,
                List.copyOf(inst.exits), inst.reason, inst.plan.outLog().toString(), inst.plan.errLog().toString(),
                inst.out.droppedLines() + inst.err.droppedLines(), inst.spec, inst.plan,
                inst.plan.logFile() == null ? null : inst.plan.logFile().toString(), inst.createdEpochMillis,
                inst.lastEnv != null ? inst.lastEnv : inst.plan.env());
    }

    /** A stream's own writer, then the combined log's if there is one. */
    private static List<LogWriter> writers(LogWriter own, LogWriter all) {
        return all == null ? List.of(own) : List.of(own, all);
    }

    private List<Instance> resolve(Collection<Integer> ids) {
        List<Instance> out = new ArrayList<>();
        for (int id : ids) {
            Instance inst = instances.get(id);
            if (inst == null) {
                throw new NoSuchElementException("no instance with id " + id);
            }
            out.add(inst);
        }
        return out;
    }

    private static CompletableFuture<Void> all(List<Instance> list,
                                               java.util.function.Function<Instance, CompletableFuture<Void>> action) {
        return CompletableFuture.allOf(list.stream().map(action).toArray(CompletableFuture[]::new));
    }

    private interface Task<T> {
        T run() throws Exception;
    }

    private <T> CompletableFuture<T> call(Task<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(task.run());
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /**
     * Stops a process group that no supervisor owns any more (the apps of a daemon that died):
     * SIGTERM, then SIGKILL to whatever is left after {@code grace}. Blocks until done.
     */
    public static void stopGroup(long pgid, Duration grace) {
        Posix.killGroup(pgid, Signal.SIGTERM);
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() - deadline < 0 && !ProcessTree.groupMembers(pgid).isEmpty()) {
            LockSupport.parkNanos(LEFTOVER_POLL.toNanos());
        }
        if (!ProcessTree.groupMembers(pgid).isEmpty()) {
            Posix.killGroup(pgid, Signal.SIGKILL);
        }
    }

    /** Unwraps the cause of a failed supervisor future, for a message to the user. */
    public static Throwable cause(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}
