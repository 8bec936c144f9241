package dev.herd.hit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which request is sent next and when it is due, shared by every connection of a run.
 *
 * <p>Closed loop (no rate): a request is due when a connection takes it, so each connection sends
 * its next request as soon as its previous one ended. Open loop ({@code rate} requests per second
 * in total): request {@code k} is due at {@code start + k / rate} whatever happened before, and a
 * connection that takes it late sends it at once. Latency is measured from the due time, so a
 * server that stalls is charged for every request it held up, not only for the one it sat on
 * (coordinated omission, as Gil Tene describes it and wrk2 corrects it).
 *
 * <p>Bounded by a count, a duration, or both: no request is due at or after {@code start +
 * duration}, and none is sent after it either: an open loop whose connections fell behind its
 * rate ends on time, its requests still due unsent (the summary then says the rate was not
 * reached). Thread-safe; time is passed in, never read.
 */
public final class Schedule {

    /** One request to send: its number (from 1) and when it is due, in {@link System#nanoTime()} terms. */
    public record Slot(long number, long dueNanos) {
    }

    private final long startNanos;
    private final long count;
    private final long durationNanos;
    private final double nanosPerRequest;
    private final AtomicLong taken = new AtomicLong();
    private volatile boolean stopped;

    private Schedule(long startNanos, long count, Duration duration, double rate) {
        if (count <= 0 && duration == null) {
            throw new IllegalArgumentException("a schedule needs a count or a duration");
        }
        this.startNanos = startNanos;
        this.count = count > 0 ? count : Long.MAX_VALUE;
        this.durationNanos = duration != null ? duration.toNanos() : Long.MAX_VALUE;
        this.nanosPerRequest = rate > 0 ? 1e9 / rate : 0;
    }

    /**
     * Requests sent as fast as the connections allow.
     *
     * @param count    how many at most, or 0 for no count
     * @param duration how long at most, or null for no limit in time (then {@code count} must be set)
     */
    public static Schedule closedLoop(long startNanos, long count, Duration duration) {
        return new Schedule(startNanos, count, duration, 0);
    }

    /** Requests due at {@code rate} per second in total from {@code startNanos}; bounds as {@link #closedLoop}. */
    public static Schedule openLoop(long startNanos, long count, Duration duration, double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be more than 0, got " + rate);
        }
        return new Schedule(startNanos, count, duration, rate);
    }

    /** The next request to send, taken at {@code nowNanos}, or null when the run has sent all it may. */
    public Slot next(long nowNanos) {
        if (stopped || nowNanos - startNanos >= durationNanos) {
            return null;
        }
        long k = taken.getAndIncrement();
        if (k >= count) {
            return null;
        }
        long due = nanosPerRequest > 0 ? startNanos + (long) (k * nanosPerRequest) : nowNanos;
        if (due - startNanos >= durationNanos) {
            return null;
        }
        return new Slot(k + 1, due);
    }

    /** No more requests after this: {@link #next} returns null from now on. */
    public void stop() {
        stopped = true;
    }

    /** When the run started. */
    public long startNanos() {
        return startNanos;
    }
}
