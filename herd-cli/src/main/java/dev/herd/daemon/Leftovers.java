package dev.herd.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.supervisor.Cgroups;
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
 * unsupervised and unlisted, nor holding a port its replacement needs. Where the daemon put its
 * instances in cgroups ({@link Cgroups}), the file names their folder too, and whatever is left in
 * it is stopped as well, also a process that cleared its environment. A daemon that stops cleanly
 * removes the file, so only the start after a crash reads {@code /proc}.
 */
final class Leftovers {

    private static final Logger log = LoggerFactory.getLogger(Leftovers.class);

    private Leftovers() {
    }

    /**
     * Stops what the daemon whose token (and cgroup folder) {@code file} holds left running, then
     * writes this daemon's there.
     *
     * @param cgroups the folder of this daemon's instances' cgroups, or {@code null} for none
     * @param grace   how long the leftovers have between SIGTERM and SIGKILL
     * @return how many processes were stopped
     */
    static int stopAndRecord(Path file, String token, Path cgroups, Duration grace) throws IOException {
        int stopped = stopLeft(file, token, grace);
        Path tmp = Files.createTempFile(file.getParent(), "daemon.trace", ".tmp");
        try {
            Files.writeString(tmp, token + "\n" + (cgroups == null ? "" : cgroups + "\n"), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return stopped;
    }

    /**
     * Stops what the daemon that {@code file} names left running and removes the file, as that
     * daemon would have had it stopped cleanly: {@code herd kill} when no daemon answers.
     *
     * @return how many processes were stopped
     */
    static int stopAndForget(Path file, Duration grace) throws IOException {
        int stopped = stopLeft(file, null, grace);
        Files.deleteIfExists(file);
        return stopped;
    }

    /** Stops what the daemon {@code file} names left, unless that is the daemon of {@code token} (this one). */
    private static int stopLeft(Path file, String token, Duration grace) throws IOException {
        List<String> previous = List.of();
        try {
            previous = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException first) {
            // No daemon ran here before this one, or it was of an earlier herd.
        }
        String previousToken = previous.isEmpty() ? "" : previous.get(0).strip();
        if (previousToken.isEmpty() || previousToken.equals(token)) {
            return 0;
        }
        Path previousCgroups = previousCgroups(previous, previousToken);
        List<ProcessTree.Stat> left = new ArrayList<>(
                ProcessTree.withEnvironmentPrefix(Supervisor.TRACE_VARIABLE + "=" + previousToken + "-"));
        if (previousCgroups != null) {
            Set<Long> seen = new HashSet<>();
            left.forEach(p -> seen.add(p.pid()));
            Cgroups.members(previousCgroups).stream().filter(p -> seen.add(p.pid())).forEach(left::add);
        }
        int stopped = stop(left, grace);
        if (previousCgroups != null && !Cgroups.removeTree(previousCgroups)) {
            log.warn("the previous daemon's cgroups in {} still hold processes", previousCgroups);
        }
        return stopped;
    }

    /**
     * The folder of the previous daemon's cgroups, as its line in the file names it; taken only
     * when it is what a daemon makes ({@code herd-<its token>}), so that a file edited by hand
     * cannot have a whole service's cgroup stopped.
     */
    private static Path previousCgroups(List<String> lines, String previousToken) {
        if (lines.size() < 2 || lines.get(1).isBlank()) {
            return null;
        }
        Path folder = Path.of(lines.get(1).strip());
        if (folder.getFileName() == null || !folder.getFileName().toString().equals("herd-" + previousToken)) {
            log.warn("daemon.trace names {} as the previous daemon's cgroups, which is not a folder herd makes: ignored",
                    folder);
            return null;
        }
        return folder;
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
