package dev.herd.daemon;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.herd.balancer.TrafficStats;
import dev.herd.balancer.netty.Balancer;
import dev.herd.metrics.Figures;
import dev.herd.metrics.Metrics;
import dev.herd.metrics.MetricsException;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.ProcessTree;

/**
 * The daemon's figures as the metrics read them: its instances with their sampled CPU and memory
 * and their balancer's traffic, each cluster app's totals, and its own process; and the
 * {@code metrics} command's answer.
 *
 * <p>Thread-safe: reads the thread-safe apps and sampler.
 */
final class DaemonFigures implements Figures {

    private final Apps apps;
    private final ResourceSampler sampler;
    private final long ticksPerSecond = Posix.clockTicksPerSecond();
    private final long pageSize = Posix.pageSize();

    DaemonFigures(Apps apps, ResourceSampler sampler) {
        this.apps = apps;
        this.sampler = sampler;
    }

    /** Runs {@code herd metrics}; a mistake is the user's one line. */
    static Object answer(Metrics metrics, Request.MetricsPort r) throws HerdException {
        try {
            return metrics.change(new Metrics.Change(r.port(), r.host(), r.token(), r.off()));
        } catch (MetricsException e) {
            throw new HerdException(e.getMessage());
        }
    }

    @Override
    public List<Instance> instances() {
        Map<Integer, TrafficStats> traffic = new HashMap<>();
        apps.clusters().values().forEach(c -> traffic.putAll(c.traffic().join()));
        List<Instance> out = new ArrayList<>();
        for (InstanceInfo i : apps.list()) {
            ResourceSampler.Usage u = i.pid() > 0 ? sampler.of(i.pid()) : ResourceSampler.Usage.NONE;
            out.add(new Instance(i.id(), i.app(), i.index(), i.state(), i.pid(), i.restarts(),
                    new Usage(u.cpuPercent(), u.memoryBytes(), u.cpuSeconds()), traffic.get(i.id())));
        }
        return out;
    }

    @Override
    public List<AppTraffic> traffic() {
        List<AppTraffic> out = new ArrayList<>();
        new TreeMap<>(apps.clusters()).forEach((name, c) -> out.add(new AppTraffic(name,
                c.cluster().balancer().mode() == Balancer.Mode.HTTP, c.totals().join())));
        return out;
    }

    @Override
    public Usage self() {
        return ProcessTree.stat(ProcessHandle.current().pid())
                .map(s -> new Usage(0, s.rssPages() * pageSize, (double) s.cpuTicks() / ticksPerSecond))
                .orElse(Usage.NONE);
    }
}
