package dev.herd.daemon;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.config.ConfigException;
import dev.herd.config.EcosystemLoader;
import dev.herd.config.LoadedApps;
import dev.herd.supervisor.ProcessState;
import dev.herd.supervisor.logs.LogListener;

/**
 * {@code herd run}: the supervisor in the foreground, without a daemon, for containers and
 * systemd. Apps' output is copied to stdout as well as to their log files; SIGTERM or SIGINT stops
 * every app (kill_signal, then SIGKILL after kill_timeout) before the process exits. When every
 * instance has ended for good (stopped or errored) it exits too, non-zero if any errored, so that
 * the container's orchestrator sees it.
 */
public final class Foreground {

    private static final Logger log = LoggerFactory.getLogger(Foreground.class);
    private static final LogListener ECHO = line -> System.out.println(line.app() + "[" + line.instance() + "] | " + line.text());

    private Foreground() {
    }

    /** Runs the apps of an ecosystem file until a signal or until none is left; returns the exit status. */
    public static int run(HerdHome home, Path file, Map<String, String> env, String envName, String instances)
            throws HerdException {
        home.ensure();
        LoadedApps loaded;
        try {
            loaded = new EcosystemLoader(home.dir(), Runtime.getRuntime().availableProcessors())
                    .load(file, env, envName, instances);
        } catch (ConfigException e) {
            throw new HerdException(e.getMessage());
        }
        loaded.warnings().forEach(w -> System.err.println("herd: warning: " + w));
        CountDownLatch ended = new CountDownLatch(1);
        Apps apps = new Apps(InstanceLimit.of(System.getenv(), "herd run"), home.notifyDir(), home.dir());
        try {
            apps.checkLimit(loaded.apps());
        } catch (HerdException e) {
            apps.close();
            throw e;
        }
        // Called on the supervisor's loop, one event at a time: the last state of each instance.
        Map<Integer, ProcessState> states = new HashMap<>();
        apps.subscribe(e -> {
            states.put(e.id(), e.to());
            if (states.values().stream().allMatch(Foreground::ended)) {
                ended.countDown();
            }
        });
        // Whoever ends the run first (a signal's hook, or every app ending) does the stopping.
        AtomicBoolean ending = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            if (!ending.compareAndSet(false, true)) {
                return;
            }
            log.info("signal received: stopping every app");
            apps.close();
            log.info("every app stopped");
            // A stop asked for and carried out is a success: exit 0, not the JVM's 143 for SIGTERM.
            Runtime.getRuntime().halt(0);
        }, "herd-run-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        apps.logs().addListener(ECHO);
        apps.add(loaded.apps(), loaded.clusters());
        try {
            ended.await();
            if (!ending.compareAndSet(false, true)) {
                // A signal came first: its hook stops everything and ends the process.
                new CountDownLatch(1).await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HerdException("interrupted");
        }
        boolean errored = apps.list().stream().anyMatch(i -> i.state() == ProcessState.ERRORED);
        apps.close();
        log.info("every app has ended{}", errored ? "; some errored" : "");
        return errored ? 1 : 0;
    }

    private static boolean ended(ProcessState s) {
        return s == ProcessState.STOPPED || s == ProcessState.ERRORED;
    }
}
