package dev.herd.daemon;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.ProcessTree;

/**
 * CPU and memory of each instance's whole process group, from {@code /proc}, sampled at a fixed
 * period so that {@code list} reads a recent figure instead of measuring on the spot.
 *
 * <p>Thread-safe: sampled on its own thread and on demand, read from any thread.
 */
final class ResourceSampler implements AutoCloseable {

    /** As often as {@code max_memory_restart} may be checked, and as {@code monit} redraws. */
    static final long PERIOD_MS = 1000;
    private static final Logger log = LoggerFactory.getLogger(ResourceSampler.class);

    /**
     * One instance's figures.
     *
     * @param cpuPercent  CPU over the last period, in percent of one core
     * @param memoryBytes resident memory now
     * @param cpuSeconds  CPU time its process group's live processes have used (exited children
     *                    that were waited for included), for counters
     */
    record Usage(double cpuPercent, long memoryBytes, double cpuSeconds) {
        static final Usage NONE = new Usage(0, 0, 0);
    }

    private record Sample(long nanos, long cpuTicks) {
    }

    private final long ticksPerSecond = Posix.clockTicksPerSecond();
    private final long pageSize = Posix.pageSize();
    private final Map<Long, Sample> last = new HashMap<>();
    private final Map<Long, Usage> usage = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "herd-sampler");
        t.setDaemon(true);
        return t;
    });

    /**
     * Samples the running instances of {@code instances} every second, on a thread of its
     * own, until closed, and runs {@code alongside} after each sample: what else is measured at
     * the same period (the cluster apps' traffic).
     */
    void start(Supplier<List<InstanceInfo>> instances, Runnable alongside) {
        timer.scheduleWithFixedDelay(() -> {
            try {
                sample(runningPids(instances.get()), System.nanoTime());
                alongside.run();
            } catch (RuntimeException e) {
                log.error("sampling failed", e);
            }
        }, 0, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    /** The group leaders of the instances that have a process. */
    static List<Long> runningPids(List<InstanceInfo> list) {
        return list.stream().filter(i -> i.pid() > 0).map(InstanceInfo::pid).toList();
    }

    /** Stops the periodic sampling. */
    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** Takes one sample of the given group leaders. */
    synchronized void sample(List<Long> pids, long nanos) {
        Map<Long, long[]> totals = new HashMap<>();
        for (long pid : pids) {
            totals.put(pid, new long[2]);
        }
        for (ProcessTree.Stat s : ProcessTree.all()) {
            long[] t = totals.get(s.pgid());
            if (t != null && !s.isZombie()) {
                t[0] += s.cpuTicks();
                t[1] += s.rssPages();
            }
        }
        last.keySet().retainAll(totals.keySet());
        usage.keySet().retainAll(totals.keySet());
        totals.forEach((pid, t) -> {
            Sample prev = last.put(pid, new Sample(nanos, t[0]));
            double cpu = 0;
            if (prev != null && nanos > prev.nanos()) {
                cpu = (t[0] - prev.cpuTicks()) * 1e9 / ticksPerSecond / (nanos - prev.nanos()) * 100;
            }
            usage.put(pid, new Usage(Math.max(0, cpu), t[1] * pageSize, (double) t[0] / ticksPerSecond));
        });
    }

    /** The latest figures for a group leader. */
    Usage of(long pid) {
        return usage.getOrDefault(pid, Usage.NONE);
    }

    /** Whether every one of these group leaders has been sampled at least once. */
    boolean knows(List<Long> pids) {
        return usage.keySet().containsAll(pids);
    }
}
