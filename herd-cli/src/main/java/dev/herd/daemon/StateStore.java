package dev.herd.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.ProcessState;

/**
 * herd's files of state in {@code $HERD_HOME}: the saved list ({@code dump.json}, and the one
 * {@code update} carries over), and the running file that lets the next daemon recover from a
 * crash. Every file is written atomically (a temporary file, then a rename) and readable by its
 * owner only, since it holds the apps' environments.
 *
 * <p>The running file is written off the caller's thread, on one thread of its own: bursts of
 * changes are coalesced into one write of the latest snapshot, and {@link #awaitRecorded()} waits
 * until every change asked for so far is on disk.
 */
final class StateStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StateStore.class);

    private final HerdHome home;
    private final Supplier<Running> snapshot;
    /**
     * The files hold AppSpecs, whose durations need java.time support that the CLI's mapper goes
     * without. Derived properties (AppSpec.isNode) are written too and ignored when read back.
     */
    private final ObjectMapper json = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "herd-persist");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean pending = new AtomicBoolean();

    /**
     * @param home     where the files are
     * @param snapshot what runs now, for the running file; called on the store's own thread
     */
    StateStore(HerdHome home, Supplier<Running> snapshot) {
        this.home = home;
        this.snapshot = snapshot;
    }

    /** Writes a saved list, replacing the file. */
    void writeDump(Path file, Dump dump) throws IOException {
        writePrivately(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(dump));
    }

    /**
     * Reads a saved list.
     *
     * @return empty when there is no such file
     * @throws HerdException naming the file when it cannot be read
     */
    Optional<Dump> readDump(Path file) throws HerdException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(json.readValue(file.toFile(), Dump.class));
        } catch (IOException e) {
            throw new HerdException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Asks for the running file to be written with the latest snapshot; never blocks. */
    void recordSoon() {
        if (pending.compareAndSet(false, true)) {
            try {
                writer.execute(() -> {
                    pending.set(false);
                    record();
                });
            } catch (RejectedExecutionException e) {
                // Closed: the daemon is stopping, and removes the file.
            }
        }
    }

    /** Waits until the writes asked for so far are done, so that an answer to the user survives a crash. */
    void awaitRecorded() {
        try {
            writer.submit(() -> { }).get();
        } catch (RejectedExecutionException e) {
            // Closed: close() finishes the writes itself.
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void record() {
        try {
            writePrivately(home.runningFile(), json.writeValueAsBytes(snapshot.get()));
        } catch (RejectedExecutionException stopped) {
            // The supervisor's loop has ended: the daemon is stopping, and close() removes the file.
            log.debug("not recording the running apps: the supervisor has stopped");
        } catch (IOException | RuntimeException e) {
            log.error("cannot record the running apps in {}", home.runningFile(), e);
        }
    }

    /**
     * What a previous daemon left in the running file: if there is one, it died without stopping
     * its apps.
     *
     * @return empty when there is no file, or it cannot be read (then said in the log)
     */
    Optional<Running> readRunning() {
        Path file = home.runningFile();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(json.readValue(file.toFile(), Running.class));
        } catch (IOException e) {
            log.error("cannot read {} left by a previous daemon; its apps may still run: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    /** Finishes the pending writes, then removes the running file: a clean stop leaves nothing to recover. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
            Files.deleteIfExists(home.runningFile());
        } catch (IOException e) {
            log.error("cannot remove {}", home.runningFile(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void writePrivately(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * A saved process list.
     *
     * @param version format version
     * @param apps    every app
     * @param stopped  the apps none of whose instances ran when it was saved (null in older dumps)
     * @param clusters the cluster apps' public ports and balancers, by app name (null in older dumps)
     */
    record Dump(int version, List<AppSpec> apps, List<String> stopped, Map<String, ClusterSpec> clusters) {

        /** The cluster spec of an app, or {@code null} for a fork-mode one. */
        ClusterSpec clusterOf(String app) {
            return clusters == null ? null : clusters.get(app);
        }

        /**
         * This list, followed by the apps of {@code older} that it does not have: an update must not
         * lose what an earlier one left behind untaken.
         */
        Dump plus(Dump older) {
            Set<String> names = apps.stream().map(AppSpec::name).collect(Collectors.toSet());
            List<AppSpec> all = new ArrayList<>(apps);
            List<String> allStopped = new ArrayList<>(stopped == null ? List.of() : stopped);
            Map<String, ClusterSpec> allClusters = new LinkedHashMap<>(clusters == null ? Map.of() : clusters);
            for (AppSpec spec : older.apps()) {
                if (names.add(spec.name())) {
                    all.add(spec);
                    if (older.clusterOf(spec.name()) != null) {
                        allClusters.put(spec.name(), older.clusterOf(spec.name()));
                    }
                    if (older.stopped() != null && older.stopped().contains(spec.name())) {
                        allStopped.add(spec.name());
                    }
                }
            }
            return new Dump(version, all, allStopped, allClusters);
        }
    }

    /**
     * What runs under a daemon, kept current on every change of state.
     *
     * @param apps      every app
     * @param clusters  the cluster apps' public ports and balancers, by app name (null in files of
     *                  an earlier herd)
     * @param instances every instance, with its id and state (null in files of an earlier herd: then
     *                  {@code apps} lists only the apps that ran, to be started again with new ids)
     * @param processes group leaders to stop if they outlived the daemon
     */
    record Running(List<AppSpec> apps, Map<String, ClusterSpec> clusters, List<Instance> instances,
                   List<Process> processes) {

        /** The cluster spec of an app, or {@code null} for a fork-mode one. */
        ClusterSpec clusterOf(String app) {
            return clusters == null ? null : clusters.get(app);
        }

        /**
         * One instance as it was.
         *
         * @param id     its id
         * @param app    its app's name
         * @param index  its index in the app
         * @param state  its state
         * @param reason the reason of its last change of state
         * @param port   its internal port in cluster mode, 0 in fork mode
         */
        record Instance(int id, String app, int index, ProcessState state, String reason, int port) {
        }

        /** A group leader, identified across pid reuse by its start time. */
        record Process(long pid, long startTime, long killTimeoutMillis) {
        }
    }
}
