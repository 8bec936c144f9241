package dev.herd.daemon;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.InstanceEvent;
import dev.herd.supervisor.ProcessState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes PM2's {@code pid_file} of each instance while it runs, and removes it when it stops, so
 * scripts that read {@code app-0.pid} keep working. The files are written off the supervisor's
 * loop, in the order of the events, on one thread for all apps.
 *
 * <p>Thread-safe.
 */
final class PidFiles implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PidFiles.class);
    private static final Pattern PID_SUFFIX = Pattern.compile("(-[0-9]+)?\\.pid$");

    private final Supplier<List<AppSpec>> apps;
    /** Each running instance's file, by id: touched on the writer thread only. */
    private final Map<Integer, Path> written = new HashMap<>();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "herd-pid-files");
        t.setDaemon(true);
        return t;
    });

    /** @param apps the apps as the supervisor has them now */
    PidFiles(Supplier<List<AppSpec>> apps) {
        this.apps = apps;
    }

    /**
     * The file of one instance, as PM2 names it: {@code x.pid} (or {@code x-3.pid}) becomes
     * {@code x-<id>.pid}; any other name is taken as written for one instance and gets
     * {@code -<id>} with several, so that they do not share it.
     *
     * @param configured the app's {@code pid_file}, absolute (a folder was made {@code <app>.pid} in it)
     */
    static Path fileOf(Path configured, int id, int instances) {
        String name = configured.getFileName().toString();
        if (PID_SUFFIX.matcher(name).find()) {
            return configured.resolveSibling(PID_SUFFIX.matcher(name).replaceFirst("-" + id + ".pid"));
        }
        return instances == 1 ? configured : configured.resolveSibling(name + "-" + id);
    }

    /** Follows one change of state: called on the supervisor's loop, so it only queues the work. */
    void onEvent(InstanceEvent e) {
        boolean running = e.to() == ProcessState.STARTING || e.to() == ProcessState.ONLINE;
        boolean gone = e.to() == ProcessState.STOPPED || e.to() == ProcessState.ERRORED
                || e.to() == ProcessState.WAITING_RESTART;
        if ((running && e.pid() > 0) || gone) {
            writer.execute(() -> apply(e, running));
        }
    }

    private void apply(InstanceEvent e, boolean running) {
        if (!running) {
            // The file it was given: by now its app may be gone from the supervisor (delete, kill).
            Path file = written.remove(e.id());
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ex) {
                    log.warn("{}[{}] (id {}): cannot remove its pid file {}: {}", e.app(), e.index(), e.id(), file,
                            ex.toString());
                }
            }
            return;
        }
        Optional<AppSpec> spec;
        try {
            spec = apps.get().stream().filter(a -> a.name().equals(e.app())).findFirst();
        } catch (RuntimeException closed) {
            log.debug("no pid file for {}: the supervisor has stopped", e);
            return;
        }
        if (spec.isEmpty() || spec.get().pidFile() == null) {
            return;
        }
        Path file = fileOf(spec.get().pidFile(), e.id(), spec.get().instances());
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            // Written beside and moved, so that a reader never sees an empty or half-written pid.
            Path next = file.resolveSibling("." + file.getFileName() + ".next");
            Files.writeString(next, e.pid() + "\n", StandardCharsets.US_ASCII);
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written.put(e.id(), file);
        } catch (IOException ex) {
            log.warn("{}[{}] (id {}): cannot write its pid file {}: {}", e.app(), e.index(), e.id(), file,
                    ex.toString());
        }
    }

    /** Finishes the queued writes, so that a stop's removals are done when the daemon exits. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
