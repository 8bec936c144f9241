package dev.herd.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.cluster.ClusterApp;
import dev.herd.cluster.InheritedListeners;
import dev.herd.cluster.ClusterSpec;
import dev.herd.cluster.SharedPorts;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.InstanceChannels;
import dev.herd.supervisor.InstanceEvent;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.InstancePlan;
import dev.herd.supervisor.OrphanReaper;
import dev.herd.supervisor.ProcessState;
import dev.herd.supervisor.ProcessTree;
import dev.herd.supervisor.RestoredInstance;
import dev.herd.supervisor.Scheduler;
import dev.herd.supervisor.WatchSpec;
import dev.herd.watch.DirectoryChanges;
import dev.herd.watch.Triggers;
import dev.herd.watch.WatchRules;
import dev.herd.supervisor.ProcessLauncher;
import dev.herd.supervisor.Supervisor;
import dev.herd.supervisor.Ticker;
import dev.herd.supervisor.logs.LogRegistry;

/**
 * The apps of one daemon or {@code herd run}, and the rules for bringing them up over the
 * {@link Supervisor}: adding new apps within the {@link InstanceLimit}, starting existing ones,
 * restoring a saved list, and recovering what a crashed daemon left. Owns the supervisor, the log
 * files and the orphan reaper, and tells subscribers of every change of state. A cluster app is
 * also a {@link ClusterApp}: its public port, its instances' internal ports and pool, its reloads
 * and scales, which follow the supervisor's events.
 *
 * <p>Thread-safe: the supervisor serialises every change on its loop. Methods that act wait for
 * the supervisor to have done so.
 */
final class Apps implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Apps.class);

    private final InstanceLimit limit;
    private final LogRegistry logs = new LogRegistry();
    private final OrphanReaper reaper = new OrphanReaper(1000);
    private final List<Consumer<InstanceEvent>> subscribers = new CopyOnWriteArrayList<>();
    private final Supervisor supervisor;
    private final ClusterApps clusters;
    /** Node.js instances' process.send; null when its socket could not be made. */
    private final NodeIpc ipc;
    /** The ports herd binds for apps that share their listens, as their instances ask. */
    private final SharedPorts sharedPorts = new SharedPorts();
    private final Scheduler triggersLoop = Scheduler.singleThread("herd-triggers");
    private final Triggers triggers;

    /**
     * Starts an empty supervisor of real processes, within {@code limit}.
     *
     * @param home where {@code wait_ready} instances' notify sockets and Node.js instances'
     *             channel are made, and which watching leaves alone
     */
    Apps(InstanceLimit limit, HerdHome home) {
        this.limit = limit;
        ClusterApps clusterApps = new ClusterApps(home.notifyDir());
        this.clusters = clusterApps;
        this.ipc = startIpc(home.ipcDir(), sharedPorts);
        this.supervisor = new Supervisor(ProcessLauncher.system(), ipc == null ? InstanceChannels.none() : ipc, logs,
                Ticker.system(), System::currentTimeMillis, Math::random, e -> {
                    clusterApps.onInstanceEvent(e);
                    subscribers.forEach(s -> s.accept(e));
                });
        this.triggers = new Triggers(triggersLoop, Ticker.system(), Clock.systemDefaultZone(), new DirectoryChanges(),
                this::restartFor, home.dir(), WatchRules.Lookup.REAL);
    }

    /** What watch or cron_restart asked: a fork-mode app's instances restart, a cluster app reloads, rolling. */
    private CompletableFuture<Boolean> restartFor(String app, String why) {
        Optional<ClusterApp> cluster = clusters.get(app);
        if (cluster.isPresent()) {
            ClusterApp c = cluster.get();
            return c.spec().thenCompose(spec -> c.reload(spec, p -> log.info("{}: {}", app, p.text())))
                    .handle((outcome, failure) -> {
                        if (failure != null) {
                            Throwable cause = Supervisor.cause(failure);
                            if (cause instanceof IllegalStateException) {
                                return false;
                            }
                            log.warn("{}: the reload for {} failed: {}", app, why, cause.getMessage());
                        } else if (!outcome.succeeded()) {
                            log.warn("{}: the reload for {} stopped: {}", app, why, outcome.failure());
                        }
                        return true;
                    });
        }
        List<Integer> ids = list().stream().filter(i -> i.app().equals(app) && i.state() != ProcessState.STOPPED)
                .map(InstanceInfo::id).toList();
        return supervisor.restart(ids, why).handle((v, failure) -> {
            if (failure != null) {
                log.warn("{}: the restart for {} failed: {}", app, why, Supervisor.cause(failure).getMessage());
            }
            return true;
        });
    }

    /**
     * Starts or stops the apps' watching and cron schedules as they are now: on while an instance
     * is not stopped (errored ones included: a fix saved restarts a crashed app), with the app's
     * current definition; off once every instance is stopped, or the app is gone.
     */
    void syncTriggers(java.util.Collection<String> names) {
        List<InstanceInfo> all = list();
        List<AppSpec> specs = supervisor.apps();
        for (String name : new java.util.LinkedHashSet<>(names)) {
            Optional<AppSpec> spec = specs.stream().filter(a -> a.name().equals(name)).findFirst();
            boolean runs = all.stream().anyMatch(i -> i.app().equals(name) && i.state() != ProcessState.STOPPED);
            if (spec.isPresent() && runs) {
                triggers.activate(spec.get());
            } else {
                triggers.deactivate(name);
            }
        }
    }

    /** The apps of these instances, each once. */
    List<String> appsOf(java.util.Collection<Integer> ids) {
        return list().stream().filter(i -> ids.contains(i.id())).map(InstanceInfo::app).distinct().toList();
    }

    /**
     * After a stop: the apps left with no instance running are no longer watched; with
     * {@code watchOff} ({@code herd stop --watch}), their watching is turned off in their
     * definition too, so that a start does not turn it on again (a save keeps it so).
     *
     * @return {@code ids}
     */
    List<Integer> stopped(List<Integer> ids, boolean watchOff) {
        List<String> names = appsOf(ids);
        if (watchOff) {
            for (AppSpec spec : supervisor.apps()) {
                WatchSpec w = spec.triggers().watch();
                if (names.contains(spec.name()) && w != null && w.active()) {
                    supervisor.redefine(spec.withTriggers(spec.triggers().withWatch(w.withActive(false)))).join();
                }
            }
        }
        syncTriggers(names);
        return ids;
    }

    /** After a start or restart of these instances: their apps' triggers run. @return {@code ids} */
    List<Integer> started(List<Integer> ids) {
        syncTriggers(appsOf(ids));
        return ids;
    }

    /** Replaces an app's definition, as {@code herd start app --watch} turns its watching on. */
    void redefine(AppSpec spec) {
        supervisor.redefine(spec).join();
    }

    /** What {@code describe} shows of an app's watch and cron schedule, while they run. */
    Optional<Triggers.Status> triggers(String app) {
        return triggers.status(app);
    }

    /** The channel server, or null (logged) when it cannot run: instances then start without process.send. */
    private static NodeIpc startIpc(Path dir, SharedPorts shared) {
        try {
            return NodeIpc.start(dir, System.getProperty("user.name"), shared);
        } catch (IOException | RuntimeException e) {
            log.error("cannot open the Node.js channel in {}: instances get no process.send: {}", dir, e.getMessage());
            return null;
        }
    }

    /** The addresses herd binds for {@code app}'s shared listens, in the order they were asked for. */
    List<java.net.InetSocketAddress> sharedPorts(String app) {
        return sharedPorts.of(app);
    }

    /** The cluster app of that name, if it is one. */
    Optional<ClusterApp> cluster(String app) {
        return clusters.get(app);
    }

    /** The cluster apps by name. */
    Map<String, ClusterApp> clusters() {
        return clusters.all();
    }

    /**
     * Samples every cluster app's traffic, for the figures {@code list} shows: rates and
     * percentiles cover the last few samples, so this runs at the sampler's steady period.
     */
    void sampleTraffic() {
        List<CompletableFuture<Void>> all = clusters().values().stream().map(ClusterApp::sampleTraffic).toList();
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    }

    /** The supervisor, for the commands that act on instances by id. */
    Supervisor supervisor() {
        return supervisor;
    }

    /** The open log files. */
    LogRegistry logs() {
        return logs;
    }

    /** Tells {@code subscriber} of every change of state, on the supervisor's loop: it must not block. */
    void subscribe(Consumer<InstanceEvent> subscriber) {
        subscribers.add(subscriber);
    }

    /** Stops telling {@code subscriber}. */
    void unsubscribe(Consumer<InstanceEvent> subscriber) {
        subscribers.remove(subscriber);
    }

    /** A snapshot of every instance, in id order. */
    List<InstanceInfo> list() {
        return supervisor.list();
    }

    /** The ids of an app's instances; empty when there is no such app. */
    List<Integer> idsOf(String app) {
        return list().stream().filter(i -> i.app().equals(app)).map(InstanceInfo::id).toList();
    }

    /**
     * Adds new apps and starts them; either all fit within the limit, or none is added.
     *
     * @throws HerdException when they would go past the instance limit
     * @throws IllegalArgumentException (in a {@link java.util.concurrent.CompletionException}) if one exists
     */
    void add(List<AppSpec> specs) throws HerdException {
        add(specs, Map.of());
    }

    /**
     * Adds new apps, those named in {@code clusterSpecs} as cluster apps, and starts those whose
     * {@code autostart} is on; all within the limit or none.
     *
     * @throws HerdException when they would go past the instance limit, or a public port cannot be bound
     */
    void add(List<AppSpec> specs, Map<String, ClusterSpec> clusterSpecs) throws HerdException {
        checkLimit(specs);
        for (AppSpec spec : specs) {
            addOne(spec, clusterSpecs.get(spec.name()), spec.autostart());
        }
        syncTriggers(specs.stream().map(AppSpec::name).toList());
    }

    /**
     * As {@link #add(List, Map)}, starting them or not whatever their {@code autostart} says (an
     * app replaced by a new definition runs as it ran).
     */
    void add(List<AppSpec> specs, Map<String, ClusterSpec> clusterSpecs, boolean start) throws HerdException {
        checkLimit(specs);
        for (AppSpec spec : specs) {
            addOne(spec, clusterSpecs.get(spec.name()), start);
        }
        syncTriggers(specs.stream().map(AppSpec::name).toList());
    }

    /** Adds one app, a cluster app when {@code cluster} is given, started or left stopped. */
    private void addOne(AppSpec spec, ClusterSpec cluster, boolean start) throws HerdException {
        if (cluster == null) {
            supervisor.add(spec, start).join();
            return;
        }
        if (!idsOf(spec.name()).isEmpty() || clusters.get(spec.name()).isPresent()) {
            throw new HerdException("an app named '" + spec.name() + "' exists already");
        }
        clusters.add(spec, cluster, supervisor, start);
    }

    /**
     * Refuses a scale of {@code app} to {@code target} instances past the instance limit.
     *
     * @throws HerdException naming the limit and how to raise it
     */
    void checkScale(String app, int target) throws HerdException {
        long others = list().stream().filter(i -> !i.app().equals(app)).count();
        limit.check(app, target, others);
    }

    /**
     * Scales a fork-mode app: new instances at the lowest free indexes, or the highest ones
     * stopped and deleted.
     *
     * @param step told of each instance added or removed: its index, and a line saying so
     * @return why it failed, or null
     */
    String scaleFork(String app, int target, java.util.function.BiConsumer<Integer, String> step) {
        List<InstanceInfo> mine = list().stream().filter(i -> i.app().equals(app)).toList();
        AppSpec spec = supervisor.apps().stream().filter(a -> a.name().equals(app)).findFirst().orElseThrow()
                .withInstances(target);
        supervisor.redefine(spec).join();
        if (target > mine.size()) {
            java.util.Set<Integer> used = new java.util.HashSet<>(mine.stream().map(InstanceInfo::index).toList());
            for (int index = 0, added = 0; added < target - mine.size(); index++) {
                if (used.contains(index)) {
                    continue;
                }
                int id = supervisor.addInstance(spec, InstancePlan.of(spec, index, target), true).join();
                step.accept(index, "instance " + index + ": started (id " + id + ")");
                added++;
            }
            return null;
        }
        List<InstanceInfo> surplus = mine.stream()
                .sorted(java.util.Comparator.comparingInt(InstanceInfo::index).reversed())
                .limit(mine.size() - target).toList();
        List<Integer> ids = surplus.stream().map(InstanceInfo::id).toList();
        supervisor.delete(ids).join();
        surplus.forEach(i -> step.accept(i.index(), "instance " + i.index() + ": stopped and deleted (id " + i.id() + ")"));
        return null;
    }

    /**
     * Forgets what deleted instances leave: a cluster app with no instance left closes its public
     * port; one that keeps some forgets the deleted ones.
     */
    void deleted(List<Integer> ids) {
        List<InstanceInfo> left = list();
        clusters.deleted(ids, left);
        sharedPorts.apps().stream().filter(name -> left.stream().noneMatch(i -> i.app().equals(name)))
                .forEach(sharedPorts::close);
        triggers.activeApps().stream().filter(name -> left.stream().noneMatch(i -> i.app().equals(name)))
                .forEach(triggers::deactivate);
    }

    /**
     * Refuses apps that would take the daemon past its instance limit. For anything that adds
     * instances, as {@code scale} will.
     */
    void checkLimit(List<AppSpec> specs) throws HerdException {
        long held = list().size();
        for (AppSpec spec : specs) {
            limit.check(spec.name(), spec.instances(), held);
            held += spec.instances();
        }
    }

    /** The process list as {@code save} writes it: every app, and those of which no instance runs. */
    StateStore.Dump dump() {
        List<AppSpec> apps = supervisor.apps();
        List<InstanceInfo> list = list();
        List<String> stopped = apps.stream().map(AppSpec::name)
                .filter(name -> list.stream().filter(i -> i.app().equals(name))
                        .noneMatch(i -> i.state().isRunning() || i.state() == ProcessState.WAITING_RESTART))
                .toList();
        return new StateStore.Dump(1, apps, stopped, clusters.specs());
    }

    /**
     * Brings back the apps of a saved list that herd does not run (those it runs are skipped), each
     * running or stopped as it was saved; all or none within the limit.
     */
    Resurrected resurrect(StateStore.Dump dump) throws HerdException {
        List<String> restored = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<AppSpec> fresh = new ArrayList<>();
        for (AppSpec spec : dump.apps()) {
            if (idsOf(spec.name()).isEmpty()) {
                fresh.add(spec);
            } else {
                skipped.add(spec.name());
            }
        }
        checkLimit(fresh);
        for (AppSpec spec : fresh) {
            boolean wasStopped = dump.stopped() != null && dump.stopped().contains(spec.name());
            addOne(spec, dump.clusterOf(spec.name()), !wasStopped);
            restored.add(spec.name() + (wasStopped ? " (stopped, as saved)" : ""));
        }
        syncTriggers(fresh.stream().map(AppSpec::name).toList());
        return new Resurrected(restored, skipped);
    }

    /**
     * {@link #resurrect(StateStore.Dump)}, the cluster apps taking the public sockets the last
     * daemon handed over ({@code herd update}) instead of binding their ports, and the apps that
     * share their listens the sockets of those; those no app takes are closed.
     */
    Resurrected resurrect(StateStore.Dump dump, List<InheritedListeners.Listener> handedOver) throws HerdException {
        clusters.inherit(sharedPorts.adopt(handedOver));
        try {
            return resurrect(dump);
        } finally {
            clusters.closeUnclaimed();
            // A shared listen's socket whose app did not come back has no one to ask for it.
            Set<String> known = supervisor.apps().stream().map(AppSpec::name).collect(Collectors.toSet());
            sharedPorts.apps().stream().filter(name -> !known.contains(name)).forEach(sharedPorts::close);
        }
    }

    /**
     * For the next daemon ({@code herd update}): a copy of every cluster app's public socket and
     * of every shared listen's socket, the caller's to close; the proxies stop accepting (letting
     * requests in flight finish) while the instances still run, so nothing is answered 503 as
     * they stop.
     */
    List<InheritedListeners.Listener> handOff() {
        List<InheritedListeners.Listener> all = new ArrayList<>(clusters.handOff());
        all.addAll(sharedPorts.handOff());
        return all;
    }

    /** What runs now, for the running file. */
    StateStore.Running snapshot() {
        List<InstanceInfo> list = list();
        Map<String, AppSpec> specs = new LinkedHashMap<>();
        List<StateStore.Running.Instance> instances = new ArrayList<>();
        List<StateStore.Running.Process> processes = new ArrayList<>();
        for (InstanceInfo i : list) {
            specs.putIfAbsent(i.app(), i.spec());
            instances.add(new StateStore.Running.Instance(i.id(), i.app(), i.index(), i.state(), i.lastReason(),
                    i.plan().port()));
            if (i.pid() > 0) {
                ProcessTree.stat(i.pid()).ifPresent(st -> processes.add(new StateStore.Running.Process(i.pid(),
                        st.startTime(), i.spec().stop().killTimeout().toMillis())));
            }
        }
        return new StateStore.Running(List.copyOf(specs.values()), clusters.specs(), instances, processes);
    }

    /**
     * Recovers from a daemon that died with its apps up and no one supervising them (they keep
     * their ports, and nothing restarts them): stops what is left of them, then brings every app
     * back with the same ids. Instances that ran (or waited to restart) are started again; stopped
     * ones stay stopped and errored ones errored, each with its reason, so that a crash loop does
     * not start looping again by itself.
     */
    void recover(StateStore.Running previous) {
        int stoppedGroups = 0;
        for (StateStore.Running.Process p : previous.processes()) {
            Optional<ProcessTree.Stat> st = ProcessTree.stat(p.pid());
            if (st.isPresent() && st.get().startTime() == p.startTime() && !st.get().isZombie()) {
                Supervisor.stopGroup(p.pid(), Duration.ofMillis(p.killTimeoutMillis()));
                stoppedGroups++;
            }
        }
        List<String> back = new ArrayList<>();
        for (AppSpec spec : previous.apps()) {
            try {
                ClusterSpec cluster = previous.clusterOf(spec.name());
                if (previous.instances() == null) {
                    supervisor.add(spec).join();
                    back.add(spec.name());
                } else if (cluster != null) {
                    List<ClusterApp.Restored> restored = previous.instances().stream()
                            .filter(i -> i.app().equals(spec.name()))
                            .map(i -> {
                                RestoredInstance r = restored(i);
                                return new ClusterApp.Restored(r.id(), r.index(), i.port(), r.state(), r.reason());
                            }).toList();
                    clusters.restore(spec, cluster, restored, supervisor);
                    back.add(spec.name() + " (cluster on port " + cluster.port() + ") " + describe(restored.stream()
                            .map(r -> new RestoredInstance(r.id(), r.index(), r.state(), r.reason())).toList()));
                } else {
                    List<RestoredInstance> restored = previous.instances().stream()
                            .filter(i -> i.app().equals(spec.name())).map(Apps::restored).toList();
                    supervisor.restore(spec, restored).join();
                    back.add(spec.name() + " " + describe(restored));
                }
            } catch (RuntimeException e) {
                log.error("cannot bring back {} after the daemon crashed: {}", spec.name(), Supervisor.cause(e).getMessage());
            }
        }
        syncTriggers(previous.apps().stream().map(AppSpec::name).toList());
        log.warn("the previous daemon ended without stopping its apps: stopped {} leftover process group(s); "
                + "brought back with their ids: {}", stoppedGroups, back);
    }

    private static RestoredInstance restored(StateStore.Running.Instance i) {
        if (runs(i.state())) {
            return new RestoredInstance(i.id(), i.index(), i.state(), InstanceView.RESTARTED_AFTER_CRASH);
        }
        ProcessState state = i.state() == ProcessState.ERRORED ? ProcessState.ERRORED : ProcessState.STOPPED;
        return new RestoredInstance(i.id(), i.index(), state, InstanceView.KEPT_ACROSS_CRASH + i.reason());
    }

    private static String describe(List<RestoredInstance> restored) {
        Map<String, List<Integer>> byState = new LinkedHashMap<>();
        for (RestoredInstance r : restored) {
            String word = runs(r.state()) ? "restarted" : r.state().label();
            byState.computeIfAbsent(word, w -> new ArrayList<>()).add(r.id());
        }
        List<String> parts = new ArrayList<>();
        byState.forEach((word, ids) -> parts.add(word + " " + ids));
        return "(" + String.join(", ", parts) + ")";
    }

    /** Whether an instance in this state is started again after a crash: it was up, or about to be. */
    private static boolean runs(ProcessState s) {
        return s == ProcessState.STARTING || s == ProcessState.ONLINE || s == ProcessState.WAITING_RESTART;
    }

    /** Stops every app, waits for their trees to be gone, and closes the log files. */
    @Override
    public void close() {
        triggers.close();
        triggersLoop.shutdown();
        supervisor.close();
        // After the apps: a shutdown_with_message stop needs the channel until they are gone.
        if (ipc != null) {
            try {
                ipc.close();
            } catch (IOException e) {
                log.warn("closing the Node.js channel: {}", e.getMessage());
            }
        }
        clusters.close();
        sharedPorts.close();
        logs.close();
        reaper.close();
    }

    /**
     * What a resurrect did.
     *
     * @param restored apps brought back, those left stopped said so
     * @param skipped  apps herd ran already
     */
    record Resurrected(List<String> restored, List<String> skipped) {
    }
}
