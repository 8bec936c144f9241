package dev.herd.daemon;

import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.cluster.ClusterApp;
import dev.herd.supervisor.ProcessState;

/**
 * Enforces {@code max_memory_restart}: after each sample, restarts the instances that
 * {@link MemoryWatch} finds over their limit. A fork-mode instance is restarted gracefully
 * ({@code kill_signal}, then {@code kill_timeout}); a cluster instance is replaced as a reload
 * replaces it, its successor ready and admitted before it drains, so no request fails.
 *
 * <p>Runs on the sampler's thread; the outcomes of replacements arrive on the apps' loops.
 */
final class MemoryLimits implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(MemoryLimits.class);

    private final Apps apps;
    private final ResourceSampler sampler;
    private final MemoryWatch watch = new MemoryWatch();
    private final Queue<Integer> retries = new ConcurrentLinkedQueue<>();

    MemoryLimits(Apps apps, ResourceSampler sampler) {
        this.apps = apps;
        this.sampler = sampler;
    }

    @Override
    public void run() {
        for (Integer id = retries.poll(); id != null; id = retries.poll()) {
            watch.retry(id);
        }
        List<MemoryWatch.Sample> samples = apps.list().stream()
                .filter(i -> i.state() == ProcessState.ONLINE && i.pid() > 0 && i.spec().memoryLimit() != null)
                .map(i -> new MemoryWatch.Sample(i.id(), i.app(), i.index(), i.pid(), i.spec().memoryLimit(),
                        sampler.of(i.pid()).memoryBytes()))
                .toList();
        for (MemoryWatch.Breach b : watch.check(samples, System.nanoTime())) {
            restart(b);
        }
    }

    private void restart(MemoryWatch.Breach b) {
        String why = b.reason();
        Optional<ClusterApp> cluster = apps.cluster(b.app());
        if (cluster.isEmpty()) {
            log.warn("{}[{}] (id {}, pid {}): {}: restarting it", b.app(), b.index(), b.id(), b.pid(), why);
            apps.supervisor().restart(List.of(b.id()), why);
            return;
        }
        log.warn("{}[{}] (id {}, pid {}): {}: replacing it", b.app(), b.index(), b.id(), b.pid(), why);
        cluster.get().replace(b.id(), why, p -> log.info("{}: {}", b.app(), p.text())).whenComplete((outcome, failure) -> {
            if (failure != null) {
                log.warn("{}[{}] (id {}): cannot replace it now ({}); checking again", b.app(), b.index(), b.id(),
                        dev.herd.supervisor.Supervisor.cause(failure).getMessage());
                retries.add(b.id());
            } else if (!outcome.succeeded()) {
                retries.add(b.id());
            }
        });
    }
}
