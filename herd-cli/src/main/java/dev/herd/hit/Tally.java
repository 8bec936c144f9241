package dev.herd.hit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * Counts a run's exchanges as they end: per error kind and status, per instance, per second of
 * the run (by the time each ended), with latency histograms (HdrHistogram, microseconds) for the
 * whole run and for each second.
 *
 * <p>A second's histogram is folded into its {@link HitSummary.Second} once the run is two
 * seconds past it, so a long run keeps only a few histograms. At most {@value #MAX_INSTANCES}
 * instances are told apart; answers from more (a body whose first line is different every time)
 * are counted under {@value #OTHERS}.
 *
 * <p>Thread-safe: the event loops record, a Ctrl-C handler may take a summary at any time.
 */
public final class Tally {

    static final int MAX_INSTANCES = 1000;
    static final String OTHERS = "(others)";

    private final String url;
    private final double rate;
    private final long startNanos;
    private final long lastSecond;
    private final Histogram latency = new Histogram(3);
    private final Map<ErrorKind, Long> errors = new EnumMap<>(ErrorKind.class);
    private final Map<Integer, Long> statuses = new TreeMap<>();
    private final Map<String, Long> instances = new LinkedHashMap<>();
    private final List<HitSummary.Second> closed = new ArrayList<>();
    private final TreeMap<Long, Bucket> open = new TreeMap<>();
    /** The last second folded into {@link #closed}, or -1. */
    private long foldedThrough = -1;
    private long requests;
    private long ok;

    /** One second still receiving exchanges. */
    private static final class Bucket {
        final Histogram latency = new Histogram(3);
        final Map<String, Long> instances = new LinkedHashMap<>();
        long requests;
        long errors;
    }

    /**
     * @param rate       the open loop's rate, or 0 (reported as is)
     * @param startNanos the run's start, in {@link System#nanoTime()} terms
     * @param duration   the run's duration, or null: exchanges that end after it (those in flight
     *                   at the end) count in its last second, not in a second of their own
     */
    public Tally(String url, double rate, long startNanos, Duration duration) {
        this.url = url;
        this.rate = rate;
        this.startNanos = startNanos;
        this.lastSecond = duration == null ? Long.MAX_VALUE : Math.max(0, (duration.toMillis() + 999) / 1000 - 1);
    }

    /** Counts {@code e}, which ended at {@code nowNanos}. */
    public synchronized void record(Exchange e, long nowNanos) {
        long micros = Math.max(0, TimeUnit.NANOSECONDS.toMicros(e.latencyNanos()));
        latency.recordValue(micros);
        requests++;
        // A thread that read the clock long before it got the lock is counted in the oldest open second.
        long second = Math.max(foldedThrough + 1, Math.min(lastSecond, (nowNanos - startNanos) / 1_000_000_000L));
        Bucket bucket = open.computeIfAbsent(second, s -> new Bucket());
        bucket.requests++;
        bucket.latency.recordValue(micros);
        if (e.ok()) {
            ok++;
            String who = instances.containsKey(e.instance()) || instances.size() < MAX_INSTANCES ? e.instance() : OTHERS;
            instances.merge(who, 1L, Long::sum);
            bucket.instances.merge(who, 1L, Long::sum);
        } else {
            errors.merge(e.error(), 1L, Long::sum);
            if (e.error() == ErrorKind.STATUS) {
                statuses.merge(e.status(), 1L, Long::sum);
            }
            bucket.errors++;
        }
        while (open.firstKey() < second - 1) {
            var oldest = open.pollFirstEntry();
            closed.add(fold(oldest.getKey(), oldest.getValue()));
            foldedThrough = oldest.getKey();
        }
    }

    /** Failures so far. */
    public synchronized long failures() {
        return requests - ok;
    }

    /** The run so far, as of {@code nowNanos}. */
    /** Requests sent again on a new connection; guarded by this. */
    private long retried;

    public synchronized HitSummary summary(long nowNanos, boolean interrupted) {
        double seconds = Math.max(0, nowNanos - startNanos) / 1e9;
        TreeMap<Long, HitSummary.Second> bySecond = new TreeMap<>();
        closed.forEach(s -> bySecond.put(s.second(), s));
        open.forEach((second, b) -> bySecond.put(second, fold(second, b)));
        List<HitSummary.Second> timeline = new ArrayList<>();
        for (long s = 0; !bySecond.isEmpty() && s <= bySecond.lastKey(); s++) {
            timeline.add(bySecond.getOrDefault(s, new HitSummary.Second(s, 0, 0, 0, 0, Map.of())));
        }
        List<HitSummary.InstanceShare> shares = new ArrayList<>();
        instances.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(en -> shares.add(new HitSummary.InstanceShare(en.getKey(), en.getValue(),
                        ok == 0 ? 0 : (double) en.getValue() / ok)));
        HitSummary.Errors errs = new HitSummary.Errors(requests - ok, count(ErrorKind.REFUSED), count(ErrorKind.RESET),
                count(ErrorKind.TIMEOUT), count(ErrorKind.STATUS), count(ErrorKind.OTHER),
                Collections.unmodifiableMap(new TreeMap<>(statuses)));
        HitSummary.Latency lat = requests == 0 ? new HitSummary.Latency(0, 0, 0, 0, 0)
                : new HitSummary.Latency(ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(90)),
                        ms(latency.getValueAtPercentile(99)), ms(latency.getValueAtPercentile(99.9)), ms(latency.getMaxValue()));
        return new HitSummary(url, requests, ok, seconds, seconds > 0 ? requests / seconds : 0, rate, errs, lat,
                List.copyOf(shares), List.copyOf(timeline), interrupted, retried);
    }

    /** A request is sent again on a new connection ({@link HitPlan#retry}). */
    public synchronized void retried() {
        retried++;
    }

    private long count(ErrorKind kind) {
        return errors.getOrDefault(kind, 0L);
    }

    private static HitSummary.Second fold(long second, Bucket b) {
        return new HitSummary.Second(second, b.requests, b.errors, ms(b.latency.getValueAtPercentile(50)),
                ms(b.latency.getValueAtPercentile(99)),
                Collections.unmodifiableMap(new LinkedHashMap<>(b.instances)));
    }

    /** Microseconds as milliseconds, to the microsecond. */
    private static double ms(long micros) {
        return micros / 1000.0;
    }
}
