package dev.herd.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.supervisor.Posix;
import dev.herd.supervisor.ProcessTree;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.Supervisor;

/**
 * The processes a daemon that died left running: every process a daemon starts carries its trace
 * token in {@link Supervisor#TRACE_VARIABLE}, and the token is kept in a file of the herd home
 * before any app starts, so the next daemon there finds all of them in {@code /proc}, whatever
 * the dead one had recorded in its running file (a daemon out of memory records nothing more).
 * They are stopped before the running file's apps are brought back: no instance is left running
 * unsupervised and unlisted, nor holding a port its replacement needs. A daemon that stops
 * cleanly removes the file, so only the start after a crash reads {@code /proc}.
 */
final class Leftovers {

    private static final Logger log = LoggerFactory.getLogger(Leftovers.class);

    private Leftovers() {
    }

    /**
     * Stops what the daemon whose token {@code file} holds left running, then writes this daemon's
     * token there.
     *
     * @param grace how long the leftovers have between SIGTERM and SIGKILL
     * @return how many processes were stopped
     */
    static int stopAndRecord(Path file, String token, Duration grace) throws IOException {
        String previous = null;
        try {
            previous = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException first) {
            // No daemon ran here before this one, or it was of an earlier herd.
        }
        int stopped = 0;
        if (previous != null && !previous.isEmpty() && !previous.equals(token)) {
            stopped = stop(ProcessTree.withEnvironmentPrefix(Supervisor.TRACE_VARIABLE + "=" + previous + "-"), grace);
        }
        Path tmp = Files.createTempFile(file.getParent(), "daemon.trace", ".tmp");
        try {
            Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return stopped;
    }

    /** SIGTERM to each, SIGKILL to those still there after {@code grace}. */
    static int stop(List<ProcessTree.Stat> left, Duration grace) {
        if (left.isEmpty()) {
            return 0;
        }
        log.warn("the previous daemon died and left {} process(es) running: stopping them (pids {})", left.size(),
                left.stream().map(ProcessTree.Stat::pid).toList());
        // Each checked against its start time first: a pid reused since is not signalled.
        List<CompletableFuture<ProcessHandle>> exits = new ArrayList<>();
        for (ProcessTree.Stat p : left) {
            if (ProcessTree.isAlive(p)) {
                ProcessHandle.of(p.pid()).ifPresent(h -> exits.add(h.onExit()));
                Posix.kill(p.pid(), Signal.SIGTERM);
            }
        }
        try {
            CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // Killed below.
        } catch (ExecutionException e) {
            log.debug("waiting for the leftovers: {}", e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ProcessTree.Stat> stubborn = left.stream().filter(ProcessTree::isAlive).toList();
        if (!stubborn.isEmpty()) {
            log.warn("{} of them ignored SIGTERM for {} ms: killed (pids {})", stubborn.size(), grace.toMillis(),
                    stubborn.stream().map(ProcessTree.Stat::pid).toList());
            stubborn.forEach(p -> Posix.kill(p.pid(), Signal.SIGKILL));
        }
        return left.size();
    }
}
