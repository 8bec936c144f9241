package dev.herd.supervisor;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reaps the zombies of orphans that came back to this process once it became a child subreaper
 * ({@link Posix#becomeChildSubreaper()}): a daemonising grandchild of an instance, say.
 *
 * <p>The JDK reaps the children it spawned itself, by pid, the moment they exit; calling
 * {@code waitpid(-1)} would steal their exit codes. So this reaps only zombies that have stayed
 * zombies for a whole period: those are children the JDK does not know, unless
 * {@link ChildReaper} waits for them.
 */
public final class OrphanReaper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OrphanReaper.class);
    private final long self = ProcessHandle.current().pid();
    private final ScheduledExecutorService timer;
    private Set<Long> seenLastTime = new HashSet<>();

    /** Becomes a child subreaper and looks for orphaned zombies every {@code periodMillis}. */
    public OrphanReaper(long periodMillis) {
        Posix.becomeChildSubreaper();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herd-reaper");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::sweep, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    private void sweep() {
        try {
            Set<Long> zombies = new HashSet<>();
            for (ProcessTree.Stat s : ProcessTree.all()) {
                if (s.ppid() == self && s.isZombie()) {
                    zombies.add(s.pid());
                }
            }
            for (long pid : zombies) {
                if (seenLastTime.contains(pid) && !ChildReaper.shared().owns(pid) && Posix.reap(pid)) {
                    log.debug("reaped orphan {}", pid);
                }
            }
            seenLastTime = zombies;
        } catch (RuntimeException e) {
            log.error("orphan sweep failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
