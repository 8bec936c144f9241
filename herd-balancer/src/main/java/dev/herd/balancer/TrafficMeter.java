package dev.herd.balancer;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.HdrHistogram.Histogram;

/**
 * Measures one backend's traffic for people: sampled by one owner at a steady period, it turns
 * the backend's counters and latency recorder into rates and percentiles over the last few
 * samples (a sliding window, as {@code top} does, so a figure neither jumps with each request
 * nor remembers the morning), and hands each sample's new latencies to whoever keeps totals.
 *
 * <p>The meter is the only reader of the backend's {@link Backend#latencyMicros() recorder}: each
 * sample takes the latencies recorded since the previous one. Thread-safe: {@link #latest()} may
 * be read from any thread while the owner samples.
 */
public final class TrafficMeter {

    /** What one sample added: the requests, failures and latencies since the previous one. */
    public record Delta(long requests, Map<ErrorKind, Long> errors, Histogram latencyMicros) {
    }

    private record Point(long nanos, long requests, long errors, Histogram latencyMicros) {
    }

    private final Backend backend;
    private final long windowNanos;
    private final List<Point> window = new ArrayList<>();
    private final List<Histogram> spare = new ArrayList<>();
    private final Histogram merged = newHistogram();
    private final Map<ErrorKind, Long> lastErrors = new EnumMap<>(ErrorKind.class);
    private long lastRequests;
    private Histogram recycled;
    private volatile TrafficStats latest = TrafficStats.NONE;

    /**
     * @param backend     the backend whose counters it reads from now on
     * @param windowNanos how far back rates and percentiles look
     * @param nowNanos    ticker time of the first sample, taken now
     */
    public TrafficMeter(Backend backend, long windowNanos, long nowNanos) {
        this.backend = Objects.requireNonNull(backend, "backend");
        if (windowNanos <= 0) {
            throw new IllegalArgumentException("the window must be positive, was " + windowNanos + " ns");
        }
        this.windowNanos = windowNanos;
        sample(nowNanos);
    }

    /** The backend it measures. */
    public Backend backend() {
        return backend;
    }

    /** The figures of the last sample. */
    public TrafficStats latest() {
        return latest;
    }

    /**
     * Takes a sample: reads the counters and the latencies recorded since the previous sample,
     * drops from the window what is older than its length, and computes the figures.
     *
     * @param nowNanos ticker time, not before the previous sample's
     * @return what happened since the previous sample, for totals kept elsewhere; its histogram
     *         is the meter's own: read it before the next sample
     */
    public synchronized Delta sample(long nowNanos) {
        BackendStats stats = backend.stats();
        Histogram interval = backend.latencyMicros().getIntervalHistogram(recycled);
        recycled = interval;
        Histogram fresh = spare.isEmpty() ? newHistogram() : spare.remove(spare.size() - 1);
        fresh.add(interval);
        long errorsNow = 0;
        Map<ErrorKind, Long> newErrors = new EnumMap<>(ErrorKind.class);
        for (Map.Entry<ErrorKind, Long> e : stats.errors().entrySet()) {
            errorsNow += e.getValue();
            newErrors.put(e.getKey(), e.getValue() - lastErrors.getOrDefault(e.getKey(), 0L));
            lastErrors.put(e.getKey(), e.getValue());
        }
        Delta delta = new Delta(stats.requests() - lastRequests, newErrors, fresh);
        lastRequests = stats.requests();

        window.add(new Point(nowNanos, stats.requests(), errorsNow, fresh));
        // The oldest point is the window's start: its counters are the baseline, and its
        // latencies (from before it) fall outside. It goes once the next one is old enough to start it.
        while (window.size() > 2 && nowNanos - window.get(1).nanos() >= windowNanos) {
            Histogram gone = window.remove(0).latencyMicros();
            gone.reset();
            spare.add(gone);
        }
        merged.reset();
        for (int i = 1; i < window.size(); i++) {
            merged.add(window.get(i).latencyMicros());
        }
        Point first = window.get(0);
        long span = nowNanos - first.nanos();
        boolean measured = span > 0;
        double seconds = span / 1e9;
        boolean answered = merged.getTotalCount() > 0;
        latest = new TrafficStats(stats.requests(), stats.active(), stats.errors(), measured ? span : 0,
                measured ? (stats.requests() - first.requests()) / seconds : 0,
                measured ? (errorsNow - first.errors()) / seconds : 0,
                answered ? merged.getValueAtPercentile(50) / 1000.0 : 0,
                answered ? merged.getValueAtPercentile(99) / 1000.0 : 0);
        return delta;
    }

    /** Microsecond latencies at two significant digits: 1% is plenty for people, and a tenth of the memory of three. */
    static Histogram newHistogram() {
        return new Histogram(2);
    }
}
