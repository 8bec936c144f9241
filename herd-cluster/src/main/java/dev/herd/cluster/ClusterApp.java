package dev.herd.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.balancer.TrafficStats;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.Handover;
import dev.herd.supervisor.InstanceEvent;
import dev.herd.supervisor.InstancePlan;
import dev.herd.supervisor.ProcessState;
import dev.herd.supervisor.Readiness;
import dev.herd.supervisor.RestoredInstance;
import dev.herd.supervisor.Scheduler;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.StopPolicy;
import dev.herd.supervisor.Supervisor;
import dev.herd.supervisor.Ticker;

/**
 * One cluster app: its instances, each on an internal port of its own, behind one public port.
 * It follows the supervisor's events: an instance that starts is probed until ready, then marked
 * ready and admitted to the pool; one that stops or crashes leaves the pool at once. On top of
 * that it runs the app's rolling reloads ({@link RollingReload} decides, this class acts) and
 * scales.
 *
 * <p>The public listener opens with the app and closes only when its last instance has stopped.
 *
 * <p>Threading: all state lives on one loop ({@link Scheduler}); the public methods post there
 * and return futures, and {@link #onInstanceEvent} may be called from any thread.
 */
public final class ClusterApp {

    private static final Logger log = LoggerFactory.getLogger(ClusterApp.class);
    /** Time between two readiness probes of a starting instance. */
    static final Duration READY_POLL = Duration.ofMillis(50);

    /** Where an instance stands with the pool, as {@code list} shows it. */
    public enum Place {
        /** Started, not ready yet: no traffic. */
        STARTING,
        /** In the pool. */
        READY,
        /** Takes no new requests; finishing those in flight before it is stopped. */
        DRAINING,
        /** Not running, or on its way out: no traffic. */
        OUT;

        /** The word {@code list} shows. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * An instance of the app, as the cluster sees it.
     *
     * @param id    the supervisor's id
     * @param index its index ({@code HERD_APP_INSTANCE})
     * @param port  its internal port
     * @param place where it stands with the pool
     */
    public record Member(int id, int index, int port, Place place) {
    }

    /**
     * A step of a reload or scale, as the user watching it reads it.
     *
     * @param index the instance's index, or -1 for the whole app
     * @param step  a short machine name: {@code starting}, {@code ready}, {@code failed},
     *              {@code draining}, {@code drained}, {@code stopped}, {@code done}
     * @param text  the line to show
     */
    public record Progress(int index, String step, String text) {
    }

    /**
     * How a reload or scale ended.
     *
     * @param failure why it stopped short, or {@code null} when it did everything
     */
    public record Outcome(String failure) {
        public boolean succeeded() {
            return failure == null;
        }
    }

    /** An instance as this app tracks it; confined to the app's loop, as every field here. */
    static final class MemberState {
        final int id;
        final int index;
        /**
         * Its internal port; a new one when another program took it between two runs. In socket
         * mode, where it listens on none of its own, a number that only tells it apart.
         */
        int port;
        /** The version it runs, to plan it again. */
        AppSpec version;
        Place place = Place.OUT;
        ProcessState state = ProcessState.STOPPED;
        long pid;
        long startedNanos;
        /** Bumped to call off the readiness probes of an earlier run. */
        int probeRun;

        MemberState(int id, int index, int port) {
            this.id = id;
            this.index = index;
            this.port = port;
        }

        Member view(boolean ownPort) {
            return new Member(id, index, ownPort ? port : 0, place);
        }
    }

    /**
     * What the cluster apps of one daemon (or one primary) share.
     *
     * @param supervisor runs the instances; its events must reach each app's {@link #onInstanceEvent}
     * @param pools      opens public ports
     * @param ports      hands out internal ports
     * @param readiness  probes a starting instance's port or health path
     * @param notifySockets the notify sockets of {@code wait_ready} apps' instances
     * @param loop       where the apps' decisions run
     * @param ticker     the loop's clock
     * @param jvmAgent   herd's agent jar, given to a JVM instance in socket mode ({@code -javaagent}) so that
     *                   its own bind of the port takes the socket herd hands it; {@code null} for none
     */
    public record Services(Supervisor supervisor, Pool.Factory pools, PortAllocator ports, ReadinessCheck readiness,
                           NotifySockets notifySockets, Scheduler loop, Ticker ticker, Path jvmAgent) {

        /** Services without herd's JVM agent. */
        public Services(Supervisor supervisor, Pool.Factory pools, PortAllocator ports, ReadinessCheck readiness,
                        NotifySockets notifySockets, Scheduler loop, Ticker ticker) {
            this(supervisor, pools, ports, readiness, notifySockets, loop, ticker, null);
        }
    }

    /** Read from any thread; replaced on the loop by a reload from a file that changed its rules. */
    private volatile ClusterSpec cluster;
    private final Supervisor supervisor;
    private final Pool.Factory pools;
    private final PortAllocator ports;
    private final ReadinessCheck readiness;
    private final NotifySockets notify;
    private final Scheduler loop;
    private final Ticker ticker;
    private final Path jvmAgent;
    private final Map<Integer, MemberState> members = new LinkedHashMap<>();
    private AppSpec spec;
    /** How the last reload or scale ended, for describe; read from any thread. */
    private volatile String lastOutcome;
    private Pool pool;
    private Operation operation;
    /** By instance index, the inode of the socket it accepts on, while the pool is open (loop only). */
    private final Map<Integer, Long> socketInodes = new java.util.HashMap<>();
    /** Its public socket went to the next daemon ({@link #handOff}): this one never opens it again. */
    private boolean handedOff;

    /**
     * @param spec     the app; its instance count is how many to start
     * @param cluster  its public port and rules
     * @param services what it shares with the other cluster apps
     */
    public ClusterApp(AppSpec spec, ClusterSpec cluster, Services services) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.supervisor = services.supervisor();
        this.pools = services.pools();
        this.ports = services.ports();
        this.readiness = services.readiness();
        this.notify = Objects.requireNonNull(services.notifySockets(), "notifySockets");
        this.loop = services.loop();
        this.ticker = services.ticker();
        this.jvmAgent = services.jvmAgent();
    }

    /** The app's name. */
    public String name() {
        return spec.name();
    }

    /** The app's public port and rules. */
    public ClusterSpec cluster() {
        return cluster;
    }

    /**
     * Opens the public port, then creates and starts the app's instances (or creates them
     * stopped, as a saved list restores a stopped app).
     *
     * @return their ids; fails, with nothing started, when the public port cannot be bound
     *         ({@link java.net.BindException} naming the address) or no internal port is free
     */
    public CompletableFuture<List<Integer>> start(boolean run) {
        return onLoop(() -> {
            // A shared socket is open while the app exists, stopped or not: its instances' plans name it.
            if (run || sharesSocket()) {
                openPool();
            }
            List<InstancePlan> plans = new ArrayList<>();
            try {
                for (int i = 0; i < spec.instances(); i++) {
                    plans.add(planFor(spec, i, ports.allocate()));
                }
            } catch (RuntimeException e) {
                plans.forEach(p -> unplan(p.port()));
                closePool();
                throw e;
            }
            return plans;
        }).thenCompose(plans -> supervisor.add(spec, plans, false).whenCompleteAsync((ids, failure) -> {
            if (failure != null) {
                plans.forEach(p -> unplan(p.port()));
                closePool();
                return;
            }
            for (int i = 0; i < ids.size(); i++) {
                join(ids.get(i), plans.get(i), spec);
            }
        }, loop)).thenCompose(ids -> (run ? supervisor.start(ids) : CompletableFuture.<Void>completedFuture(null))
                .thenApply(v -> ids));
    }

    /**
     * Brings back the instances a daemon that died left, with their ids, indexes, internal ports
     * and states (those that ran are started again; see {@link Supervisor#restore}).
     *
     * @return the ids started; fails, with nothing started, if the public port cannot be bound
     */
    public CompletableFuture<List<Integer>> restore(List<Restored> instances) {
        return onLoop(() -> {
            // First: a shared socket is in every instance's plan, stopped or not.
            if (sharesSocket()
                    || instances.stream().anyMatch(r -> r.state() != ProcessState.STOPPED && r.state() != ProcessState.ERRORED)) {
                openPool();
            }
            List<RestoredInstance> restored = new ArrayList<>();
            for (Restored r : instances) {
                ports.hold(r.port());
                InstancePlan plan = planFor(spec, r.index(), r.port());
                restored.add(new RestoredInstance(r.id(), r.index(), r.state(), r.reason(), plan));
                // Known before the supervisor spawns it, so that its first event finds it.
                join(r.id(), plan, spec);
            }
            return restored;
        }).thenCompose(restored -> supervisor.restore(spec, restored).whenCompleteAsync((ids, failure) -> {
            if (failure != null) {
                members.values().forEach(m -> unplan(m.port));
                members.clear();
                closePool();
            }
        }, loop));
    }

    /**
     * An instance as a dead daemon left it.
     *
     * @param id     its id
     * @param index  its index
     * @param port   its internal port
     * @param state  its state then
     * @param reason why it comes back as it does
     */
    public record Restored(int id, int index, int port, ProcessState state, String reason) {
    }

    /** How the last reload or scale ended, in words, or {@code null} if there was none. */
    public String lastOutcome() {
        return lastOutcome;
    }

    /** The app's definition now: the one its next instances run. */
    public CompletableFuture<AppSpec> spec() {
        return onLoop(() -> spec);
    }

    /** Takes in a supervisor event; events of other apps' instances are ignored. Any thread. */
    public void onInstanceEvent(InstanceEvent e) {
        loop.execute(() -> handle(e));
    }

    /** The app's instances, in id order. */
    public CompletableFuture<List<Member>> members() {
        return onLoop(() -> members.values().stream().map(m -> m.view(!sharesSocket())).toList());
    }

    /** Samples its instances' traffic (see {@link Pool#sampleTraffic}); nothing while its public port is closed. */
    public CompletableFuture<Void> sampleTraffic() {
        return onLoop(() -> {
            if (pool != null) {
                pool.sampleTraffic();
            }
            return null;
        });
    }

    /** Each instance's traffic as of the last sample, by id; empty while the public port is closed. */
    public CompletableFuture<Map<Integer, TrafficStats>> traffic() {
        return onLoop(() -> pool == null ? Map.of() : pool.traffic());
    }

    /** The ready instances its balancer passes over as unhealthy now (see {@link Pool#unhealthy}), by id. */
    public CompletableFuture<java.util.Set<Integer>> unhealthy() {
        return onLoop(() -> pool == null ? java.util.Set.of() : pool.unhealthy());
    }

    /** Its traffic since the public port last opened, as of the last sample. */
    public CompletableFuture<TrafficTotals> totals() {
        return onLoop(() -> pool == null ? TrafficTotals.none() : pool.totals());
    }

    /** Where the public port listens, or {@code null} while it is closed. */
    public CompletableFuture<java.net.InetSocketAddress> address() {
        return onLoop(() -> pool == null ? null : pool.address());
    }

    /**
     * Replaces every instance by one of {@code next}, one slot after another (the app's
     * {@code reloadParallelism} at a time): the new one starts, gets ready and joins the pool,
     * then the old one drains and stops. If a new one fails (exits, or is not ready within
     * {@code listen_timeout}) the reload stops there: the new one is stopped and the old ones
     * keep serving.
     *
     * @param next     the app's new definition (the same, for a plain reload); its instance
     *                 count is ignored: a reload keeps the count, {@link #scale} changes it
     * @param progress told of each step, on the loop
     * @return how it ended; fails at once with {@link IllegalStateException} if a reload or
     *         scale of the app is running
     */
    public CompletableFuture<Outcome> reload(AppSpec next, Consumer<Progress> progress) {
        return reload(next, null, progress);
    }

    /**
     * As {@link #reload(AppSpec, Consumer)}, with the app's rules read again from its file: the
     * new {@code listen_timeout}, {@code drain_timeout}, {@code reload_parallelism} and
     * {@code wait_ready} apply to this reload; new balancer settings apply when the public port
     * opens again, and {@code progress} says so.
     *
     * @param nextCluster the rules from the file, with the same public address, or {@code null} to keep them
     * @throws IllegalArgumentException (failing the future) if the public address differs
     */
    public CompletableFuture<Outcome> reload(AppSpec next, ClusterSpec nextCluster, Consumer<Progress> progress) {
        return onLoop(() -> {
            busyCheck("reload");
            if (nextCluster != null) {
                if (nextCluster.port() != cluster.port() || !nextCluster.host().equals(cluster.host())) {
                    throw new IllegalArgumentException(spec.name() + ": the public address cannot change in a reload");
                }
                if (nextCluster.sharing() != cluster.sharing()) {
                    throw new IllegalArgumentException(spec.name() + ": how the port is shared (balancer.mode "
                            + label(cluster.sharing()) + " to " + label(nextCluster.sharing())
                            + ") cannot change in a reload: herd stop " + spec.name() + ", then herd start it again");
                }
                if (!nextCluster.balancer().equals(cluster.balancer())) {
                    progress.accept(new Progress(-1, "note", "the balancer settings changed: they apply when the public"
                            + " port opens again (herd stop " + spec.name() + ", then herd start " + spec.name() + ")"));
                }
                cluster = nextCluster;
            }
            openPool();
            ReloadOperation r = new ReloadOperation(this, next.withInstances(spec.instances()), progress,
                    new ArrayList<>(members.keySet()));
            operation = r;
            r.apply(r.machine.begin());
            return r.done;
        }).thenCompose(f -> f);
    }

    /**
     * Replaces one instance as a reload does, for a reason of herd's own (its memory over
     * {@code max_memory_restart}, say): a new one at its index starts, gets ready and joins the
     * pool, then the old one drains and stops, so no request fails. If the new one fails, the
     * old one keeps serving.
     *
     * @param id  the instance
     * @param why the reason, for the log and {@code describe}
     * @return how it ended; fails at once with {@link IllegalArgumentException} if the app has no
     *         such instance and {@link IllegalStateException} if a reload or scale of the app is running
     */
    public CompletableFuture<Outcome> replace(int id, String why, Consumer<Progress> progress) {
        return onLoop(() -> {
            MemberState m = members.get(id);
            if (m == null) {
                throw new IllegalArgumentException(spec.name() + " has no instance with id " + id);
            }
            busyCheck("replace instance " + m.index);
            openPool();
            ReloadOperation r = new ReloadOperation(this, "replacement of instance " + m.index + " (" + why + ")", spec,
                    progress, List.of(id));
            operation = r;
            r.apply(r.machine.begin());
            return r.done;
        }).thenCompose(f -> f);
    }

    /**
     * Changes the number of instances: new ones join when ready; surplus ones (the highest
     * indexes) drain, then stop.
     *
     * @return how it ended; fails at once with {@link IllegalArgumentException} for a count below 1
     *         and {@link IllegalStateException} if a reload or scale of the app is running
     */
    public CompletableFuture<Outcome> scale(int count, Consumer<Progress> progress) {
        if (count < 1) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "cannot scale " + spec.name() + " to " + count + ": at least 1 instance (use stop to stop it)"));
        }
        return onLoop(() -> {
            busyCheck("scale");
            ScaleOperation s = new ScaleOperation(this, count, progress);
            operation = s;
            s.begin();
            return s.done;
        }).thenCompose(f -> f);
    }

    /**
     * The app was deleted: forgets its instances and ports and closes the public port (its
     * instances are stopped by then).
     */
    public CompletableFuture<Void> close() {
        return onLoop(() -> {
            members.values().forEach(this::leave);
            members.clear();
            closePool();
            return null;
        });
    }

    /**
     * The daemon is being replaced ({@code herd update}): gives copies of the public listening
     * sockets for the next daemon, their queues as long as the system allows, so that what
     * connects until that daemon accepts waits there. Behind the proxy this daemon stops accepting
     * at once and lets the requests in flight finish for at most the drain timeout (keep-alive
     * clients are told to close) while the instances still run; the port is not opened here
     * again. When the instances take the socket, they go on accepting until they are stopped.
     *
     * @return the copies by instance index ({@link Pool#duplicateListeners}), the caller's to
     *         close; empty when the public port is not open or its pool cannot give them (a
     *         tcp-mode proxy), and it then closes when the app stops, as ever
     */
    public CompletableFuture<SortedMap<Integer, Integer>> handOff() {
        return onLoop(() -> {
            if (pool == null) {
                return new Detached(new TreeMap<Integer, Integer>(), null);
            }
            SortedMap<Integer, Integer> fds = pool.duplicateListeners();
            fds.values().forEach(Descriptors::longestQueue);
            if (fds.isEmpty() || sharesSocket()) {
                // Restarts until the instances stop still get the socket; the copy keeps it listening after.
                return new Detached(fds, null);
            }
            Pool proxy = pool;
            pool = null;
            handedOff = true;
            return new Detached(fds, proxy);
        }).thenApplyAsync(d -> {
            if (d.proxy() != null) {
                d.proxy().close(cluster.drainTimeout());
                log.info("{}: stopped accepting on {}, which the next daemon takes over", spec.name(), d.proxy().address());
            }
            return d.fds();
        }, r -> new Thread(r, "herd-handoff-" + spec.name()).start());
    }

    /** Copies of the public sockets on their way to the next daemon, with the proxy that accepted on them. */
    private record Detached(SortedMap<Integer, Integer> fds, Pool proxy) {
    }

    /** One instance was deleted on its own (not by a reload or scale of ours). */
    public CompletableFuture<Void> forget(int id) {
        return onLoop(() -> {
            MemberState m = members.remove(id);
            if (m != null) {
                leave(m);
            }
            return null;
        });
    }

    // ---- the supervisor's events --------------------------------------------------------------

    private void handle(InstanceEvent e) {
        MemberState m = members.get(e.id());
        if (m == null) {
            return;
        }
        m.state = e.to();
        switch (e.to()) {
            case STARTING -> {
                m.probeRun++;
                m.place = Place.STARTING;
                m.pid = e.pid();
                if (e.port() != m.port && e.port() > 0) {
                    // It runs the plan it was moved to before the pool heard of it: follow the run.
                    moved(m, e.port());
                }
                m.startedNanos = ticker.nanos();
                if (e.pid() > 0) {
                    if (pool == null) {
                        openPoolAfterStop();
                    }
                    if (operation != null) {
                        operation.onStarting(m);
                    }
                    probe(m, m.probeRun, e.pid(), ticker.nanos() + cluster.listenTimeout().toNanos());
                }
            }
            case ONLINE -> {
                if (pool != null) {
                    pool.admit(m.id);
                }
                m.place = Place.READY;
                if (operation != null) {
                    operation.onReady(m);
                }
            }
            default -> {
                m.probeRun++;
                // A draining instance is out of rotation already, and its drain must be left to finish.
                if (m.place != Place.DRAINING) {
                    if (pool != null) {
                        pool.maintain(m.id);
                    }
                    m.place = Place.OUT;
                }
                notify.reset(m.port);
                boolean beforeReady = e.from() == ProcessState.STARTING;
                boolean endedBeforeReady = beforeReady && e.to() != ProcessState.STOPPING;
                if (endedBeforeReady && e.to() == ProcessState.WAITING_RESTART && !sharesSocket() && !ports.isFree(m.port)) {
                    movePort(m);
                }
                if (beforeReady && operation != null) {
                    // A stop from outside (herd stop) counts too: the operation must not wait for it forever.
                    operation.onFailed(m, endedBeforeReady ? exitOf(e.reason()) : "stopped before it was ready");
                }
                if (e.to() != ProcessState.STOPPING) {
                    m.pid = 0;
                }
                // The listener outlives crashes (clients get 503 while instances restart), not a stop of all.
                closeIfAllStopped();
            }
        }
    }

    /**
     * The instance died before it was ready and its port is not free: another program took it
     * between our check and its bind. Its next run gets another port (the next but one, if its
     * restart was already under way).
     */
    private void movePort(MemberState m) {
        int old = m.port;
        int fresh;
        try {
            fresh = ports.allocate();
        } catch (RuntimeException e) {
            log.error("{}[{}]: port {} is taken and no other is free: {}", spec.name(), m.index, old, e.getMessage());
            return;
        }
        InstancePlan plan;
        try {
            plan = planFor(m.version, m.index, fresh);
        } catch (RuntimeException e) {
            unplan(fresh);
            log.error("{}[{}]: cannot plan it on port {}: {}", spec.name(), m.index, fresh, e.getMessage());
            return;
        }
        log.warn("{}[{}] (id {}): its port {} is held by {}: it moves to port {}", spec.name(), m.index, m.id, old,
                PortOwner.of(old).orElse("another program"), fresh);
        supervisor.replan(m.id, plan).whenCompleteAsync((v, failure) -> {
            if (failure != null) {
                // It runs again already, on the old port: it will fail and come back here.
                unplan(fresh);
                return;
            }
            if (m.port == old) {
                moved(m, fresh);
            }
        }, loop);
    }

    /** The pool and the ports follow an instance to its new port. */
    private void moved(MemberState m, int fresh) {
        int old = m.port;
        if (pool != null) {
            pool.remove(m.id);
            pool.add(m.id, fresh);
        }
        unplan(old);
        m.port = fresh;
    }

    /** Probes until ready (then marks it), or until the deadline (then it has failed). */
    private void probe(MemberState m, int run, long pid, long deadlineNanos) {
        if (m.probeRun != run) {
            return;
        }
        // How it was found ready, or null while it is not.
        CompletableFuture<String> look;
        if (!cluster.waitReady() && sharesSocket()) {
            look = readiness.accepting(pid, socketInode(m.index));
        } else if (!cluster.waitReady()) {
            look = readiness.probe(m.port, cluster.balancer().readinessPath())
                    .thenApply(ready -> Boolean.TRUE.equals(ready) ? readyHow(m.port) : null);
        } else if (notify.isReady(m.port)) {
            look = CompletableFuture.completedFuture("it said READY=1 on its NOTIFY_SOCKET");
        } else {
            look = supervisor.saidReady(m.id, pid).thenApply(said -> said ? "it said process.send('ready')" : null);
        }
        look.whenCompleteAsync((how, failure) -> {
            if (m.probeRun != run) {
                return;
            }
            if (failure == null && how != null) {
                m.probeRun++;
                supervisor.markReady(m.id, pid, "ready in " + seconds(ticker.nanos() - m.startedNanos) + " ("
                        + how + ")");
                return;
            }
            if (ticker.nanos() - deadlineNanos >= 0) {
                m.probeRun++;
                String why = "not ready within listen_timeout (" + seconds(cluster.listenTimeout().toNanos())
                        + "): " + notReadyHow(m, pid);
                if (operation != null && operation.owns(m)) {
                    operation.onFailed(m, why);
                } else {
                    log.warn("{}[{}] (pid {}) {}", spec.name(), m.index, pid, why);
                    supervisor.fail(m.id, pid, why);
                }
                return;
            }
            loop.schedule(() -> probe(m, run, pid, deadlineNanos), READY_POLL);
        }, loop);
    }

    private String notReadyHow(MemberState m, long pid) {
        int port = m.port;
        if (cluster.waitReady()) {
            return "no process.send('ready'), nor READY=1 on its NOTIFY_SOCKET";
        }
        if (sharesSocket()) {
            Set<Integer> own = AcceptWatch.look(pid, socketInode(m.index)).ownPorts();
            if (!own.isEmpty()) {
                return "it listens on port " + own.stream().map(String::valueOf).collect(Collectors.joining(", "))
                        + " itself instead of accepting on the socket herd hands it (fd 3, LISTEN_FDS=1): make it take"
                        + " that socket (systemd's socket activation: gunicorn, uvicorn --fd 3, Puma, go-systemd), or"
                        + " use balancer.mode http";
            }
            return "it never accepted on the socket herd hands it (fd 3, LISTEN_FDS=1, LISTEN_PID; also stdin for a"
                    + " JVM): make it take its socket from LISTEN_FDS (systemd's socket activation), or use"
                    + " balancer.mode http";
        }
        String path = cluster.balancer().readinessPath();
        return path == null ? "port " + port + " accepted no connection" : "GET " + path + " on port " + port
                + " answered no 2xx";
    }

    private String readyHow(int port) {
        String path = cluster.balancer().readinessPath();
        return path == null ? "port " + port + " accepts connections" : "GET " + path + " on port " + port + " answers 2xx";
    }

    // ---- the pool ----------------------------------------------------------------------------

    private void join(int id, InstancePlan plan, AppSpec version) {
        MemberState m = new MemberState(id, plan.index(), plan.port());
        m.version = version;
        members.put(id, m);
        if (pool != null) {
            pool.add(id, plan.port());
        }
    }

    private void leave(MemberState m) {
        if (pool != null) {
            pool.remove(m.id);
            if (sharesSocket() && members.values().stream().noneMatch(x -> x.index == m.index)) {
                pool.release(m.index);
                socketInodes.remove(m.index);
            }
        }
        unplan(m.port);
    }

    /**
     * The inode of the socket the instance at {@code index} accepts on (how {@code /proc} names
     * it), or 0 when there is none; read from {@code /proc} once per socket, not at every probe.
     */
    private long socketInode(int index) {
        if (pool == null) {
            return 0;
        }
        return socketInodes.computeIfAbsent(index, i -> {
            Handover h = pool.handover(i, spec.name(), false);
            try {
                return h == null ? 0L : AcceptWatch.inodeOf(h.fds().get(0));
            } catch (java.io.IOException e) {
                // Its own descriptor unreadable in /proc: no instance can be seen accepting on it.
                return 0L;
            }
        });
    }

    /** Gives back what an instance's plan took: its port, and its notify socket. */
    private void unplan(int port) {
        notify.close(port);
        ports.release(port);
    }

    void openPool() {
        if (pool != null || handedOff) {
            return;
        }
        try {
            pool = pools.open(cluster);
        } catch (java.io.IOException e) {
            if (pool != null) {
                pool.close(Duration.ZERO);
                pool = null;
            }
            throw new CompletionException(e);
        }
        for (MemberState m : members.values()) {
            pool.add(m.id, m.port);
            if (m.place == Place.READY) {
                pool.admit(m.id);
            }
        }
        log.info("{}: public port {} open", spec.name(), pool.address());
    }

    /** An instance of a stopped app starts again (herd start, restart): the public port reopens. */
    private void openPoolAfterStop() {
        try {
            openPool();
        } catch (CompletionException e) {
            log.error("{}: cannot open the public port {}:{} again: {}", spec.name(), cluster.host(), cluster.port(),
                    e.getCause().getMessage());
        }
    }

    private void closeIfAllStopped() {
        // A shared socket stays open while the app exists, as a systemd socket unit's does: what
        // connects while no instance runs waits in its queue, and no instance's plan outlives it.
        if (sharesSocket()) {
            return;
        }
        if (operation == null && members.values().stream().allMatch(x -> x.state == ProcessState.STOPPED)) {
            closePool();
        }
    }

    /**
     * A supervisor's exit reason without what it goes on to do ({@code ; restart in 108 ms}): a
     * reload stops a failed new instance instead, and says where its output is.
     */
    private String exitOf(String reason) {
        int cut = reason.indexOf("; ");
        return (cut > 0 ? reason.substring(0, cut) : reason) + " (its output: herd logs " + spec.name() + " --err)";
    }

    private void closePool() {
        if (pool != null) {
            Pool p = pool;
            pool = null;
            socketInodes.clear();
            p.close(Duration.ZERO);
            log.info("{}: public port {} closed", spec.name(), p.address());
        }
    }

    // ---- reload and scale --------------------------------------------------------------------

    private void busyCheck(String what) {
        if (operation != null) {
            throw new IllegalStateException("a " + operation.what + " of " + spec.name()
                    + " is running: wait for it to end, then " + what + " again");
        }
    }

    /**
     * Starts a new instance at {@code index} of {@code version}, in the pool but not admitted;
     * {@code created} learns of it before it starts, so that its first event finds it known.
     */
    CompletableFuture<MemberState> startNew(AppSpec version, int index, Consumer<MemberState> created) {
        int port;
        try {
            port = ports.allocate();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        InstancePlan plan;
        try {
            plan = planFor(version, index, port);
        } catch (RuntimeException e) {
            unplan(port);
            return CompletableFuture.failedFuture(e);
        }
        return supervisor.addInstance(version, plan, false).handleAsync((id, failure) -> {
            if (failure != null) {
                unplan(port);
                throw new CompletionException(Supervisor.cause(failure));
            }
            join(id, plan, version);
            MemberState m = members.get(id);
            created.accept(m);
            supervisor.start(List.of(id));
            return m;
        }, loop);
    }

    /** "on port 32244", or in socket mode "on the public port's socket". */
    String whereItListens(MemberState m) {
        return sharesSocket() ? "on the public port's socket" : "on port " + m.port;
    }

    /** Drains an instance, for at most the drain timeout; completes with what was in flight when it began. */
    CompletableFuture<String> drain(MemberState m) {
        m.place = Place.DRAINING;
        if (sharesSocket()) {
            // herd sees none of its requests: it drains itself once told to stop.
            return CompletableFuture.completedFuture("left to finish what it has on its stop signal");
        }
        if (pool == null) {
            return CompletableFuture.completedFuture("nothing in flight");
        }
        int inFlight = pool.inFlight(m.id);
        CompletableFuture<String> out = new CompletableFuture<>();
        Scheduler.Timer timer = loop.schedule(() -> out.complete("drain timed out after "
                + seconds(cluster.drainTimeout().toNanos()) + " with " + (pool == null ? 0 : pool.inFlight(m.id))
                + " in flight"), cluster.drainTimeout());
        pool.drain(m.id).whenCompleteAsync((v, failure) -> {
            timer.cancel();
            out.complete("drained (" + inFlight + " in flight)");
        }, loop);
        return out;
    }

    /**
     * Stops and forgets an instance; completes, when its tree is gone, with how it ended:
     * {@code "stopped"}, or that its stop signal did not end it and it was killed.
     */
    CompletableFuture<String> retire(MemberState m) {
        return retire(m, null);
    }

    /** As {@link #retire(MemberState)}; {@code why}, if not null, is what its log says it stops for. */
    CompletableFuture<String> retire(MemberState m, String why) {
        if (pool != null) {
            pool.maintain(m.id);
        }
        StopPolicy stop = m.version.stop();
        return supervisor.stop(List.of(m.id), why)
                .thenCompose(v -> supervisor.info(m.id))
                .thenApply(info -> info.flatMap(i -> i.lastExits().stream().findFirst()).orElse(null))
                .thenCompose(exit -> supervisor.delete(List.of(m.id)).thenApply(v -> exit))
                .handleAsync((exit, failure) -> {
                    members.remove(m.id);
                    leave(m);
                    if (failure != null) {
                        log.error("{}[{}] (id {}): stopping it failed", spec.name(), m.index, m.id, failure);
                        return "stopped";
                    }
                    boolean killed = exit != null && exit.requested() && exit.signal() == Signal.SIGKILL
                            && stop.killSignal() != Signal.SIGKILL;
                    return killed ? "killed: " + stop.killSignal().name() + " did not end it within kill_timeout ("
                            + seconds(stop.killTimeout().toNanos()) + ")" : "stopped";
                }, loop);
    }

    void finish(Operation op, Outcome outcome) {
        if (operation == op) {
            operation = null;
        }
        closeIfAllStopped();
        String said = outcome.succeeded()
                ? op.what + " of " + spec.name() + " done"
                : op.what + " of " + spec.name() + " stopped: " + outcome.failure();
        lastOutcome = said;
        op.progress.accept(new Progress(-1, "done", said));
        op.done.complete(outcome);
    }

    // ---- what operations reach --------------------------------------------------------------

    /** The app's definition now. */
    AppSpec currentSpec() {
        return spec;
    }

    /** The app's definition from now on: a reload's new version, a scale's count. */
    void adopt(AppSpec next) {
        spec = next;
    }

    /** One instance, or null. */
    MemberState member(int id) {
        return members.get(id);
    }

    /** Every instance. */
    Collection<MemberState> memberStates() {
        return members.values();
    }

    Supervisor supervisor() {
        return supervisor;
    }

    Scheduler loop() {
        return loop;
    }

    long now() {
        return ticker.nanos();
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * {@link #plan}, and for a {@code wait_ready} app the instance's notify socket in
     * {@code NOTIFY_SOCKET}.
     */
    private InstancePlan planFor(AppSpec version, int index, int port) {
        InstancePlan plan = sharesSocket() ? sharedPlan(version, index, port) : plan(version, index, port);
        if (!cluster.waitReady()) {
            return plan;
        }
        Map<String, String> env = new LinkedHashMap<>(plan.env());
        try {
            env.put("NOTIFY_SOCKET", notify.open(port).toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot make the notify socket of port " + port, e);
        }
        return new InstancePlan(index, plan.command(), env, plan.outLog(), plan.errLog(), port, plan.readiness(),
                plan.logFile(), plan.handover());
    }

    /** Whether the instances accept on sockets herd hands them, rather than each on a port of its own. */
    private boolean sharesSocket() {
        return cluster.sharing().handsSocket();
    }

    /**
     * The plan of an instance in socket mode: the public port in {@code PORT} (what it would
     * listen on alone) and in {@code {port}}, the pool's socket handed over (also as stdin for a
     * JVM, whose {@code System.inheritedChannel()} looks there), and the variables that herd's
     * Node.js preload and its JVM agent (added to a JVM's options) read to turn a listen on that
     * port into one on the socket; a Node.js instance also asks herd for the socket of any other
     * port it listens on ({@link SharedPorts}). {@code key} only tells the instance apart (its
     * notify socket).
     */
    private InstancePlan sharedPlan(AppSpec version, int index, int key) {
        InstancePlan own = plan(version, index, cluster.port());
        Map<String, String> env = new LinkedHashMap<>(own.env());
        env.put(LISTEN_FD_VARIABLE, Integer.toString(Handover.FIRST_FD));
        env.put(LISTEN_PORT_VARIABLE, Integer.toString(cluster.port()));
        String program = Path.of(own.command().get(0)).getFileName().toString();
        boolean jvm = program.equals("java");
        if (program.endsWith("node") || program.equals("nodejs")) {
            // A listen on any other port (an admin or metrics port) is shared too, as under PM2.
            env.put(dev.herd.supervisor.Supervisor.SHARE_LISTENS_VARIABLE, "1");
        }
        List<String> command = own.command();
        if (jvm && jvmAgent != null) {
            command = new ArrayList<>(command);
            command.add(1, "-javaagent:" + jvmAgent);
        }
        return new InstancePlan(index, command, env, own.outLog(), own.errLog(), key, own.readiness(),
                own.logFile(), pool.handover(index, version.name(), jvm));
    }

    private static String label(PortSharing sharing) {
        return switch (sharing) {
            case SOCKET -> "socket";
            case REUSEPORT -> "reuseport";
            case PROXY -> "http/tcp";
        };
    }

    /**
     * The plan of an instance at {@code index} on {@code port}: {@code PORT} set to it (replacing
     * the public value), and {@code {port}} replaced in the arguments and environment values.
     */
    static InstancePlan plan(AppSpec version, int index, int port) {
        String p = Integer.toString(port);
        List<String> command = version.command().stream().map(arg -> arg.replace("{port}", p)).toList();
        Map<String, String> env = new LinkedHashMap<>();
        version.env().forEach((k, v) -> env.put(k, v.replace("{port}", p)));
        env.put("PORT", p);
        InstancePlan fork = InstancePlan.of(version, index, version.instances());
        return new InstancePlan(index, command, env, fork.outLog(), fork.errLog(), port, Readiness.WHEN_MARKED,
                fork.logFile());
    }

    /** Where herd's Node.js preload finds the socket it hands over (fd 3). */
    public static final String LISTEN_FD_VARIABLE = "HERD_LISTEN_FD";
    /** The port whose listen herd's Node.js preload turns into a listen on the socket. */
    public static final String LISTEN_PORT_VARIABLE = "HERD_LISTEN_PORT";

    static String pidText(MemberState m) {
        return m.pid > 0 ? Long.toString(m.pid) : "(not running)";
    }

    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    private <T> CompletableFuture<T> onLoop(Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, loop);
    }
}
