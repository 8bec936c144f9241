package dev.herd.cluster;

import java.io.IOException;
import java.net.BindException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.Scheduler;
import dev.herd.supervisor.ProcessLauncher;
import dev.herd.supervisor.StopPolicy;
import dev.herd.supervisor.Supervisor;
import dev.herd.supervisor.Ticker;
import dev.herd.supervisor.logs.LogRegistry;
import dev.herd.supervisor.logs.Stream;

/**
 * Node's {@code cluster} module for a Java {@code main}: the same call, made first in the
 * primary, relaunches this JVM (the same {@code java}, JVM options, class path, main class and
 * arguments) as N workers behind one public port, and in each worker runs the server on the
 * internal port it is given.
 *
 * <pre>{@code
 * public static void main(String[] args) throws Exception {
 *     HerdCluster.builder().instances(4).port(8000).run(port -> startMyServer(port));
 * }
 * }</pre>
 *
 * <p>The primary supervises the workers (a crashed one is restarted by the restart policy, and
 * rejoins the pool once its port answers), balances the public port over them in-process, and
 * on SIGTERM or SIGINT stops them all before it exits. Workers never outlive it: each watches
 * its parent and exits as soon as the primary is gone, even after a SIGKILL of the primary.
 * Workers' output goes to the primary's standard output and error, line by line.
 *
 * <p>{@link #serve} instead hands every worker the public port's one listening socket (a
 * {@link ServerSocketChannel}), so the kernel spreads the connections and no byte passes through
 * the primary ({@link PortSharing#SOCKET}), as Node's cluster module shares its primary's handle:
 *
 * <pre>{@code
 * HerdCluster.builder().instances(4).port(8000).serve(socket -> startMyServer(socket));
 * }</pre>
 */
public final class HerdCluster {

    /** Set in a worker's environment; its value is the primary's pid. */
    public static final String WORKER_VARIABLE = "HERD_CLUSTER_PRIMARY";
    private static final Logger log = LoggerFactory.getLogger(HerdCluster.class);
    /** How often a worker checks that its primary is still there. */
    private static final Duration PARENT_CHECK = Duration.ofMillis(200);

    /** Starts a worker's server; returns once it listens (its own threads keep the JVM alive). */
    @FunctionalInterface
    public interface Server {
        /** Listens on {@code 127.0.0.1:port} (or every address) and serves. */
        void start(int port) throws Exception;
    }

    /** Starts a worker's server on the socket the primary shares with every worker; returns once it accepts. */
    @FunctionalInterface
    public interface SocketServer {
        /** Accepts on {@code socket} (bound and listening already; blocking) and serves. */
        void start(ServerSocketChannel socket) throws Exception;
    }

    private final int instances;
    private final ClusterSpec cluster;
    private final RestartPolicy restart;
    private final StopPolicy stop;
    private final String name;

    private HerdCluster(Builder b) {
        this.instances = b.instances;
        this.cluster = new ClusterSpec(b.host, b.port, b.balancer, b.listenTimeout, ClusterSpec.DEFAULT_DRAIN_TIMEOUT, 1);
        this.restart = b.restart;
        this.stop = b.stop;
        this.name = b.name;
    }

    /** A cluster of one worker per core on port 8000, as Node's cluster examples start. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether this JVM is a worker of a {@link HerdCluster} primary. */
    public static boolean isWorker() {
        return System.getenv(WORKER_VARIABLE) != null;
    }

    /**
     * In a worker: starts {@code server} on the worker's port and returns. In the primary:
     * starts the workers and the public port, and returns only when the cluster has stopped
     * (SIGTERM, SIGINT), every worker gone.
     *
     * @throws IOException if the public port cannot be bound (its message names it)
     */
    public void run(Server server) throws Exception {
        Objects.requireNonNull(server, "server");
        if (isWorker()) {
            watchPrimary();
            String port = System.getenv("PORT");
            if (port == null) {
                throw new IllegalStateException("a herd cluster worker needs PORT, which its primary sets");
            }
            server.start(Integer.parseInt(port));
        } else {
            runPrimary(cluster);
        }
    }

    /**
     * As {@link #run}, with the public port's socket shared by the workers instead of a balancer
     * in the primary: in a worker, starts {@code server} on it (the JDK's inherited channel, which
     * the primary hands over) and returns; in the primary, binds the port and starts the workers,
     * and returns when the cluster has stopped. The balancer settings do not apply.
     *
     * @throws IOException if the public port cannot be bound (its message names it)
     */
    public void serve(SocketServer server) throws Exception {
        Objects.requireNonNull(server, "server");
        if (isWorker()) {
            watchPrimary();
            if (!(System.inheritedChannel() instanceof ServerSocketChannel socket)) {
                throw new IllegalStateException("a herd cluster worker of serve() needs the socket its primary hands"
                        + " over as its standard input, and has none");
            }
            server.start(socket);
        } else {
            runPrimary(cluster.withSharing(PortSharing.SOCKET));
        }
    }

    private static void watchPrimary() {
        long primary = Long.parseLong(System.getenv(WORKER_VARIABLE));
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herd-cluster-watchdog");
            t.setDaemon(true);
            return t;
        });
        watchdog.scheduleWithFixedDelay(() -> {
            Optional<Long> parent = ProcessHandle.current().parent().map(ProcessHandle::pid);
            if (parent.isEmpty() || parent.get() != primary) {
                // The primary is gone (reparented to init or a subreaper): a worker never outlives it.
                Runtime.getRuntime().halt(1);
            }
        }, 0, PARENT_CHECK.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void runPrimary(ClusterSpec cluster) throws Exception {
        ProcessHandle.Info self = ProcessHandle.current().info();
        Path java = Path.of(self.command().orElseThrow(() -> new IllegalStateException(
                "cannot tell which java runs this JVM, to start the workers with it")));
        List<String> args = new ArrayList<>(List.of(self.arguments().orElse(new String[0])));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put(WORKER_VARIABLE, Long.toString(ProcessHandle.current().pid()));
        AppSpec spec = new AppSpec(name, java, null, List.of(), args, Path.of(System.getProperty("user.dir")), env,
                instances, restart, stop,
                new LogPolicy(LogRegistry.DISCARD, LogRegistry.DISCARD, true, null, 0, 0));

        // Workers write where the primary writes, as Node's workers share their primary's stdio. The
        // lines are copied to this JVM's own streams: reopening /dev/stdout would get a second file
        // offset, and the primary's writes and the workers' would overwrite each other in a file.
        LogRegistry logs = new LogRegistry();
        logs.addListener(line -> (line.stream() == Stream.ERR ? System.err : System.out).println(line.text()));
        List<ClusterApp> apps = new ArrayList<>(1);
        Supervisor supervisor = new Supervisor(ProcessLauncher.system(), logs, Ticker.system(), System::currentTimeMillis,
                Math::random, e -> apps.forEach(a -> a.onInstanceEvent(e)));
        ProbeReadiness readiness = new ProbeReadiness();
        // Workers are ready when their port answers; the notify sockets stay unused, so a temporary folder does.
        NotifySockets notify = new NotifySockets(Files.createTempDirectory("herd-cluster-"));
        ClusterApp app = new ClusterApp(spec, cluster, new ClusterApp.Services(supervisor, Pool.Factory.standard(),
                PortAllocator.forThisMachine(), readiness, notify, Scheduler.singleThread("herd-cluster"),
                Ticker.system()));
        apps.add(app);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            log.info("{}: stopping {} worker(s)", name, instances);
            supervisor.close();
            app.close().join();
            readiness.close();
            logs.close();
            stopped.countDown();
        }, "herd-cluster-stop");
        try {
            app.start(true).join();
        } catch (RuntimeException e) {
            supervisor.close();
            readiness.close();
            logs.close();
            Throwable cause = Supervisor.cause(e);
            if (cause instanceof BindException bind) {
                throw new BindException(PortOwner.bindFailure(cluster.host(), cluster.port(), bind));
            }
            throw cause instanceof IOException io ? io : e;
        }
        Runtime.getRuntime().addShutdownHook(hook);
        log.info("{}: {} worker(s) behind {}:{}", name, instances, cluster.host(), cluster.port());
        stopped.await();
        // The hook ran: the JVM is exiting. Give it the moment it needs to finish.
        stopped.await(1, TimeUnit.SECONDS);
    }

    /** The shape of a cluster; {@link #run} starts it. */
    public static final class Builder {
        private int instances = Runtime.getRuntime().availableProcessors();
        private String host = "0.0.0.0";
        private int port = 8000;
        private BalancerSettings balancer = BalancerSettings.DEFAULT;
        private Duration listenTimeout = ClusterSpec.DEFAULT_LISTEN_TIMEOUT;
        private RestartPolicy restart = RestartPolicy.DEFAULT;
        private StopPolicy stop = StopPolicy.DEFAULT;
        private String name = "cluster";

        private Builder() {
        }

        /** How many workers, at least 1. */
        public Builder instances(int instances) {
            if (instances < 1) {
                throw new IllegalArgumentException("instances must be at least 1, was " + instances);
            }
            this.instances = instances;
            return this;
        }

        /** The public port. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The public address ({@code 0.0.0.0} by default). */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host);
            return this;
        }

        /** How the public port balances (round-robin http by default). */
        public Builder balancer(BalancerSettings balancer) {
            this.balancer = Objects.requireNonNull(balancer);
            return this;
        }

        /** How long a worker may take to listen before it counts as failed. */
        public Builder listenTimeout(Duration listenTimeout) {
            this.listenTimeout = Objects.requireNonNull(listenTimeout);
            return this;
        }

        /** When a worker that died is started again (PM2's defaults). */
        public Builder restart(RestartPolicy restart) {
            this.restart = Objects.requireNonNull(restart);
            return this;
        }

        /** How a worker is stopped (SIGTERM, then SIGKILL after 5 s). */
        public Builder stop(StopPolicy stop) {
            this.stop = Objects.requireNonNull(stop);
            return this;
        }

        /** The name in the primary's log lines. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name);
            return this;
        }

        /** Checks the settings and runs, as {@link HerdCluster#run}. */
        public void run(Server server) throws Exception {
            new HerdCluster(this).run(server);
        }

        /** Checks the settings and runs with the socket shared, as {@link HerdCluster#serve}. */
        public void serve(SocketServer server) throws Exception {
            new HerdCluster(this).serve(server);
        }
    }
}
