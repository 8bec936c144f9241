package dev.herd.metrics;

import java.util.List;

import dev.herd.balancer.TrafficStats;
import dev.herd.cluster.TrafficTotals;
import dev.herd.supervisor.ProcessState;

/**
 * What the daemon measures, read by the metrics when a sample is recorded and when Prometheus
 * scrapes. Implemented by the daemon over its apps and sampler; called from the sampler's thread
 * and the dashboard server's thread, so it must be thread-safe.
 */
public interface Figures {

    /** Every instance with its latest sampled figures, in id order. */
    List<Instance> instances();

    /** Every cluster app's traffic since its public port opened, by app name order. */
    List<AppTraffic> traffic();

    /** This daemon's own CPU and resident memory. */
    Usage self();

    /**
     * One instance.
     *
     * @param id          herd's id of the instance (new with each reload)
     * @param app         its app
     * @param index       its index in the app ({@code HERD_APP_INSTANCE})
     * @param state       its state
     * @param pid         its process group leader, 0 when not running
     * @param restarts    restarts so far
     * @param usage       its process group's CPU and memory, zeros when not running
     * @param traffic     what the balancer measured of it, null outside a cluster app's pool
     */
    record Instance(int id, String app, int index, ProcessState state, long pid, int restarts, Usage usage,
                    TrafficStats traffic) {
    }

    /**
     * CPU and memory of a process group or process.
     *
     * @param cpuPercent  CPU over the last sample period, 100 per core
     * @param memoryBytes resident memory
     * @param cpuSeconds  CPU time used so far
     */
    record Usage(double cpuPercent, long memoryBytes, double cpuSeconds) {
        /** Nothing measured. */
        public static final Usage NONE = new Usage(0, 0, 0);
    }

    /**
     * A cluster app's traffic.
     *
     * @param app    the app
     * @param http   http mode (per request); false in tcp mode (per connection)
     * @param totals since its public port opened
     */
    record AppTraffic(String app, boolean http, TrafficTotals totals) {
    }
}
