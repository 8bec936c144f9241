package dev.herd.daemon;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.cluster.Descriptors;
import dev.herd.cluster.InheritedListeners;
import dev.herd.metrics.Metrics;
import dev.herd.metrics.SettingsFile;
import dev.herd.supervisor.Cgroups;
import dev.herd.supervisor.Supervisor;

/**
 * The background process that owns the apps, to its owner only, until {@code kill}: the
 * composition root that wires the parts together and runs their lifecycle. {@link Apps} holds the
 * apps and their rules, {@link StateStore} the files that outlive the daemon, {@link Commands} the
 * command table, {@link ControlServer} the socket, {@link LogStream} {@code herd logs}, and
 * {@link ResourceSampler} the CPU and memory figures, {@link Metrics} the metrics port and dashboard.
 */
public final class Daemon {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** How long what a dead daemon left running has between SIGTERM and SIGKILL. */
    private static final Duration LEFTOVER_GRACE = Duration.ofSeconds(5);

    private final HerdHome home;
    private final Apps apps;
    private final StateStore store;
    private final ResourceSampler sampler = new ResourceSampler();
    private final Metrics metrics;
    private final CountDownLatch killed = new CountDownLatch(1);
    private final PidFiles pidFiles;
    private volatile boolean keepForUpdate;
    /** Where {@code herd update} takes the public sockets, or null. */
    private volatile Path handoff;

    private Daemon(HerdHome home, InstanceLimit limit) {
        this.home = home;
        this.apps = new Apps(limit, home);
        this.store = new StateStore(home, apps::snapshot);
        this.pidFiles = new PidFiles(apps.supervisor()::apps);
        apps.subscribe(e -> store.recordSoon());
        apps.subscribe(pidFiles::onEvent);
        this.metrics = new Metrics(new SettingsFile(home.settingsFile()), new DaemonFigures(apps, sampler),
                ResourceSampler.PERIOD_MS, System::currentTimeMillis);
    }

    /**
     * Runs a daemon in this process until {@code kill} or SIGTERM; everything it started is
     * stopped before it returns.
     *
     * @throws HerdException if another daemon holds the lock, the socket cannot be made, or
     *                       {@value InstanceLimit#VARIABLE} is not a number
     */
    public static void run(HerdHome home) throws HerdException {
        home.ensure();
        InstanceLimit limit = InstanceLimit.of(System.getenv(), "herd update");
        try (FileChannel lockChannel = FileChannel.open(home.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockChannel.tryLock()) {
            if (lock == null) {
                throw new AlreadyRunning("a herd daemon is already running for " + home.dir() + readPid(home));
            }
            new Daemon(home, limit).serve();
        } catch (IOException e) {
            throw new HerdException("daemon failed: " + e.getMessage(), e);
        }
    }

    /**
     * Another daemon holds the home's lock: it runs, or is starting and answers soon. Told apart
     * from the other failures to start, since whoever started this daemon may wait for that one.
     */
    public static final class AlreadyRunning extends HerdException {

        /** The exit code of a daemon refused so ({@code EX_TEMPFAIL}): {@code DaemonMain}'s, known to the guardian. */
        public static final int EXIT_CODE = 75;

        AlreadyRunning(String message) {
            super(message);
        }
    }

    /**
     * What {@code herd kill} does when no daemon answers: stops what a daemon that died left
     * running and forgets its apps (the running file), as that daemon's kill would have, so that
     * the next daemon starts with none. Holds the lock meanwhile: no daemon starts in between.
     *
     * @return how many processes were stopped
     * @throws HerdException if a daemon holds the lock: one is starting, or hangs
     */
    public static int stopWhatADeadDaemonLeft(HerdHome home) throws HerdException {
        if (!Files.exists(home.traceFile())) {
            // Every daemon here stopped cleanly, or none ever ran.
            return 0;
        }
        try (FileChannel lockChannel = FileChannel.open(home.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockChannel.tryLock()) {
            if (lock == null) {
                throw new HerdException("a herd daemon holds the lock of " + home.dir() + readPid(home)
                        + " but does not answer: if it is not starting, it hangs (kill -9 it, then herd kill)");
            }
            int stopped = Leftovers.stopAndForget(home.traceFile(), LEFTOVER_GRACE);
            Files.deleteIfExists(home.runningFile());
            return stopped;
        } catch (IOException e) {
            throw new HerdException("cannot stop what the dead daemon left: " + e.getMessage(), e);
        }
    }

    private static String readPid(HerdHome home) {
        try {
            return " (pid " + Files.readString(home.pidFile()).trim() + ")";
        } catch (IOException e) {
            return "";
        }
    }

    private void serve() throws IOException {
        Commands commands = new Commands(home, apps, store, sampler, (forUpdate, relay) -> {
            keepForUpdate = forUpdate;
            handoff = relay;
            killed.countDown();
        });
        commands.serve(Request.MetricsPort.class, r -> DaemonFigures.answer(metrics, r));
        ControlServer server = ControlServer.bind(home.socket(), System.getProperty("user.name"), commands,
                new LogStream(apps, commands));
        Files.writeString(home.pidFile(), ProcessHandle.current().pid() + "\n");
        Cgroups cgroups = Cgroups.system();
        cgroups.unavailable().ifPresentOrElse(
                why -> log.info("instances are followed by their {} alone: {}", Supervisor.TRACE_VARIABLE, why),
                () -> log.info("instances are followed by their cgroups, in {}", cgroups.folder().orElseThrow()));
        Leftovers.stopAndRecord(home.traceFile(), Supervisor.traceToken(), cgroups.folder().orElse(null), LEFTOVER_GRACE);
        store.readRunning().ifPresent(apps::recover);
        store.recordSoon();
        MemoryLimits limits = new MemoryLimits(apps, sampler);
        sampler.start(apps::list, () -> {
            apps.sampleTraffic();
            limits.run();
            metrics.sampled();
        });
        metrics.openFromFile();
        Thread hook = new Thread(() -> shutDown(server), "herd-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        server.start();
        log.info("herd daemon {} (pid {}) serving {}", Protocol.herdVersion(), ProcessHandle.current().pid(), home.socket());
        try {
            killed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        shutDown(server);
    }

    /** The list for the next daemon, keeping the apps of an earlier update's list that no daemon took over. */
    private void writeUpdateDump() throws IOException {
        StateStore.Dump dump = apps.dump();
        try {
            dump = store.readDump(home.updateDumpFile()).map(dump::plus).orElse(dump);
        } catch (HerdException e) {
            log.error("{}; writing this daemon's apps over it", e.getMessage());
        }
        store.writeDump(home.updateDumpFile(), dump);
    }

    /**
     * Sends every cluster app's public socket to the update's relay before the apps stop, so that
     * they keep listening, and queueing, until the next daemon accepts.
     */
    private void handOff(Path relay) {
        List<InheritedListeners.Listener> sockets = apps.handOff();
        try {
            // Even none: the update client then knows at once that nothing is coming.
            SocketHandoff.send(relay, sockets);
            log.info("handed {} public socket(s) to the next daemon", sockets.size());
        } catch (IOException | RuntimeException e) {
            log.error("cannot hand the public sockets to the next daemon ({}); it binds them again", e.getMessage());
        } finally {
            sockets.forEach(l -> Descriptors.close(l.fd()));
        }
    }

    private void shutDown(ControlServer server) {
        try {
            if (keepForUpdate) {
                writeUpdateDump();
                if (handoff != null) {
                    handOff(handoff);
                }
            }
            sampler.close();
            metrics.close();
            server.close();
            apps.close();
            pidFiles.close();
            store.close();
            // Its apps are stopped: the next daemon has nothing of this one's to look for in /proc.
            Files.deleteIfExists(home.traceFile());
            Files.deleteIfExists(home.pidFile());
            log.info("herd daemon stopped");
        } catch (IOException e) {
            log.error("error while shutting down", e);
        }
    }
}
