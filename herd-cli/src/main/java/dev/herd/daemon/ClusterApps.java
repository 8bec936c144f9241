package dev.herd.daemon;

import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.cluster.ClusterApp;
import dev.herd.cluster.ClusterSpec;
import dev.herd.cluster.InheritedListeners;
import dev.herd.cluster.NotifySockets;
import dev.herd.cluster.Pool;
import dev.herd.cluster.PortAllocator;
import dev.herd.cluster.PortOwner;
import dev.herd.cluster.ProbeReadiness;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.InstanceEvent;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.Scheduler;
import dev.herd.supervisor.Supervisor;
import dev.herd.supervisor.Ticker;

/**
 * The cluster apps of one daemon or {@code herd run}, by name, and what they share: one loop for
 * their decisions (small, and none blocks), the internal ports, the readiness probe and the
 * notify sockets. Each follows the supervisor's events, which {@link #onInstanceEvent} hands on.
 *
 * <p>Thread-safe.
 */
final class ClusterApps implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterApps.class);

    private final Map<String, ClusterApp> apps = new ConcurrentHashMap<>();
    private final Scheduler loop = Scheduler.singleThread("herd-cluster");
    private final PortAllocator ports = PortAllocator.forThisMachine();
    private final NotifySockets notify;
    private final InheritedListeners inherited = new InheritedListeners();
    /** Made with the first cluster app: its event loop is a thread a daemon without one need not have. */
    private ProbeReadiness readiness;

    /** @param notifyDir where {@code wait_ready} instances' notify sockets are made */
    ClusterApps(Path notifyDir) {
        this.notify = new NotifySockets(notifyDir);
    }

    /** Hands a supervisor event to the cluster app it is about, if any. Any thread; never blocks. */
    void onInstanceEvent(InstanceEvent e) {
        ClusterApp app = apps.get(e.app());
        if (app != null) {
            app.onInstanceEvent(e);
        }
    }

    /** The cluster app of that name, if it is one. */
    Optional<ClusterApp> get(String app) {
        return Optional.ofNullable(apps.get(app));
    }

    /** Every cluster app, by name. */
    Map<String, ClusterApp> all() {
        return Map.copyOf(apps);
    }

    /** Each cluster app's public port and balancer, by name, for the saved lists. */
    Map<String, ClusterSpec> specs() {
        Map<String, ClusterSpec> specs = new LinkedHashMap<>();
        apps.forEach((name, c) -> specs.put(name, c.cluster()));
        return specs;
    }

    /**
     * Adds a cluster app and starts it (or creates its instances stopped).
     *
     * @throws HerdException in one line when its public port cannot be bound (naming the holder
     *                       of a taken one); nothing is left started
     */
    void add(AppSpec spec, ClusterSpec cluster, Supervisor supervisor, boolean start) throws HerdException {
        ClusterApp app = register(spec, cluster, supervisor);
        try {
            app.start(start).join();
        } catch (CompletionException e) {
            forget(spec.name());
            throw new HerdException(spec.name() + ": " + failure(spec.name(), cluster, Supervisor.cause(e)));
        }
    }

    /**
     * Brings back a cluster app a daemon that died left, with its instances' ids, ports and states.
     *
     * @throws CompletionException when it cannot (its public port is taken, say); nothing is left
     */
    void restore(AppSpec spec, ClusterSpec cluster, List<ClusterApp.Restored> instances, Supervisor supervisor) {
        ClusterApp app = register(spec, cluster, supervisor);
        try {
            app.restore(instances).join();
        } catch (CompletionException e) {
            forget(spec.name());
            throw e;
        }
    }

    /**
     * Forgets what deleted instances leave: a cluster app with no instance left closes its public
     * port; one that keeps some forgets the deleted ones.
     *
     * @param left every instance there is now
     */
    void deleted(List<Integer> ids, List<InstanceInfo> left) {
        for (String name : List.copyOf(apps.keySet())) {
            if (left.stream().noneMatch(i -> i.app().equals(name))) {
                forget(name);
            } else {
                ids.forEach(id -> apps.get(name).forget(id).join());
            }
        }
    }

    /**
     * Keeps the public sockets an earlier daemon handed over, for the apps about to be brought
     * back to take instead of binding their ports.
     */
    void inherit(List<InheritedListeners.Listener> listeners) {
        inherited.add(listeners);
    }

    /** Closes the handed-over sockets no app took. */
    void closeUnclaimed() {
        inherited.closeRest();
    }

    /**
     * Gives a copy of every open public socket for the next daemon ({@link ClusterApp#handOff}),
     * the proxies closing theirs while the instances still run; the copies are the caller's.
     */
    List<InheritedListeners.Listener> handOff() {
        Map<String, CompletableFuture<SortedMap<Integer, Integer>>> pending = new LinkedHashMap<>();
        apps.forEach((name, app) -> pending.put(name, app.handOff()));
        List<InheritedListeners.Listener> handed = new ArrayList<>();
        pending.forEach((name, f) -> {
            try {
                ClusterSpec c = apps.get(name).cluster();
                f.join().forEach((index, fd) -> handed.add(new InheritedListeners.Listener(name, c.host(), c.port(),
                        index, fd)));
            } catch (CompletionException e) {
                log.error("{}: cannot hand its public port over; it closes with this daemon: {}", name,
                        Supervisor.cause(e).toString());
            }
        });
        return handed;
    }

    /** Closes every public port and the shared parts; the instances must be stopped first. */
    @Override
    public synchronized void close() {
        apps.values().forEach(c -> c.close().join());
        apps.clear();
        loop.shutdown();
        notify.close();
        if (readiness != null) {
            readiness.close();
        }
    }

    private synchronized ClusterApp register(AppSpec spec, ClusterSpec cluster, Supervisor supervisor) {
        if (readiness == null) {
            readiness = new ProbeReadiness();
        }
        ClusterApp app = new ClusterApp(spec, cluster, new ClusterApp.Services(supervisor, Pool.Factory.standard(inherited), ports,
                readiness, notify, loop, Ticker.system(), JVM_AGENT));
        apps.put(spec.name(), app);
        return app;
    }

    /**
     * herd's JVM agent, the {@code herd-agent.jar} the build puts beside {@code herd.jar}, or
     * {@code null} when it is not there (socket-mode JVM apps must then take the socket themselves).
     */
    private static final Path JVM_AGENT = agentBesideOwnJar();

    private static Path agentBesideOwnJar() {
        try {
            Path own = Path.of(ClusterApps.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path agent = own.resolveSibling(AGENT_JAR);
            if (Files.isRegularFile(agent)) {
                return agent;
            }
            log.warn("{} is not beside {}: JVM apps in socket mode must take the socket herd hands them themselves",
                    AGENT_JAR, own);
        } catch (java.net.URISyntaxException | RuntimeException e) {
            log.warn("cannot locate herd's own jar, so not {} either: {}", AGENT_JAR, e.getMessage());
        }
        return null;
    }

    private static final String AGENT_JAR = "herd-agent.jar";

    private void forget(String name) {
        ClusterApp app = apps.remove(name);
        if (app != null) {
            app.close().join();
        }
    }

    /**
     * The one line for a cluster app that cannot start: a taken public port names its holder,
     * another app of this daemon by its name.
     */
    private String failure(String name, ClusterSpec cluster, Throwable cause) {
        if (cause instanceof BindException bind) {
            Optional<String> other = apps.values().stream()
                    .filter(a -> !a.name().equals(name) && a.cluster().port() == cluster.port())
                    .map(ClusterApp::name).findFirst();
            if (other.isPresent() && String.valueOf(bind.getMessage()).endsWith("the address is in use")) {
                return "cannot listen on " + cluster.host() + ":" + cluster.port() + ": it is the public port of app '"
                        + other.get() + "' of this herd (herd delete " + other.get() + ", or give this one another port)";
            }
            return PortOwner.bindFailure(cluster.host(), cluster.port(), bind);
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }
}
