package dev.herd.balancer;

import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Recorder;

/**
 * One server behind the balancer: where it is, its weight, its two independent states (health
 * and admin, as HAProxy), and the load and counters the algorithms and {@code list} read.
 *
 * <p>Thread-safe: event loops update the counters concurrently; states are volatile.
 */
public final class Backend {

    private static final double UNMEASURED_PENALTY_NANOS = 1e9;

    private final String id;
    private final InetSocketAddress address;
    private final int weight;
    private final long joinedAtNanos;

    private volatile Health health = Health.UNKNOWN;
    private volatile AdminState admin = AdminState.READY;
    /** Until when (ticker nanos) a passive failure keeps it unhealthy; 0 when none. */
    private volatile long coolDownUntilNanos;

    private final AtomicInteger active = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final Map<ErrorKind, LongAdder> errors = new EnumMap<>(ErrorKind.class);
    private final Recorder latency = new Recorder(3);
    private final PeakEwma ewma;
    /** The current drain's; replaced when the backend returns to ready, so a later drain can be waited for. */
    private volatile CompletableFuture<Void> drained = new CompletableFuture<>();

    /**
     * @param id            a name unique among the balancer's backends (e.g. {@code 127.0.0.1:9001})
     * @param address       where to connect
     * @param weight        relative share for weighted algorithms, at least 1
     * @param joinedAtNanos ticker time it joined, for slow start
     * @param ewmaDecayNanos time constant of the peak-EWMA latency
     */
    public Backend(String id, InetSocketAddress address, int weight, long joinedAtNanos, long ewmaDecayNanos) {
        this.id = Objects.requireNonNull(id, "id");
        this.address = Objects.requireNonNull(address, "address");
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be at least 1, was " + weight);
        }
        this.weight = weight;
        this.joinedAtNanos = joinedAtNanos;
        this.ewma = new PeakEwma(ewmaDecayNanos);
        for (ErrorKind k : ErrorKind.values()) {
            errors.put(k, new LongAdder());
        }
    }

    public String id() {
        return id;
    }

    public InetSocketAddress address() {
        return address;
    }

    public int weight() {
        return weight;
    }

    public long joinedAtNanos() {
        return joinedAtNanos;
    }

    public Health health() {
        return health;
    }

    public AdminState admin() {
        return admin;
    }

    /** Whether new traffic may go here: ready, and not known unhealthy nor cooling down. */
    public boolean isAvailable(long nowNanos) {
        return admin == AdminState.READY && health != Health.UNHEALTHY && nowNanos - coolDownUntilNanos >= 0;
    }

    /** Sets the health, as an active check decides. */
    public void setHealth(Health health) {
        this.health = Objects.requireNonNull(health);
    }

    /**
     * A connection to it failed (passive health): no new traffic until {@code untilNanos}.
     *
     * @return whether this starts a cool-down (it was not cooling down at {@code nowNanos}), so
     *         the caller reports each one once rather than for every failed connection
     */
    public boolean coolDown(long nowNanos, long untilNanos) {
        boolean starts = nowNanos - coolDownUntilNanos >= 0;
        this.coolDownUntilNanos = untilNanos;
        return starts;
    }

    /**
     * Sets the admin state; draining completes {@link #drained()} once nothing is in flight. Back
     * to ready, a drain still pending is called off (its futures fail with a
     * {@link CancellationException}) and the next drain starts afresh.
     */
    public synchronized void setAdmin(AdminState admin) {
        AdminState before = this.admin;
        this.admin = Objects.requireNonNull(admin);
        if (admin == AdminState.READY && before != AdminState.READY) {
            drained.completeExceptionally(new CancellationException(id + " is back in service before it drained"));
            drained = new CompletableFuture<>();
        }
        completeDrainIfIdle();
    }

    /**
     * Completes when the backend is draining (or in maintenance) and has nothing in flight. A
     * reload waits on it before stopping the instance. Each call returns a new future that
     * follows the backend's own, so a caller that cancels or completes it (with
     * {@code orTimeout}, say) leaves the drain, and others waiting on it, unaffected.
     */
    public CompletableFuture<Void> drained() {
        return drained.copy();
    }

    /** Requests in flight (http mode) or open connections (tcp mode). */
    public int active() {
        return active.get();
    }

    /** A request (or connection) starts on this backend. */
    public void onStart() {
        active.incrementAndGet();
        requests.increment();
    }

    /**
     * A request (or connection) ended.
     *
     * @param latencyNanos time to the response (http) or the connection's life (tcp)
     * @param nowNanos     ticker time, for the EWMA
     * @param error        why it failed, or null when it succeeded
     */
    public void onEnd(long latencyNanos, long nowNanos, ErrorKind error) {
        active.decrementAndGet();
        if (error != null) {
            errors.get(error).increment();
        } else {
            latency.recordValue(Math.max(0, latencyNanos / 1000));
        }
        ewma.observe(latencyNanos, nowNanos);
        completeDrainIfIdle();
    }

    /** A failure that happened before any request started here (connect refused, say). */
    public void onError(ErrorKind error) {
        errors.get(error).increment();
    }

    /**
     * Peak-EWMA latency in nanoseconds at {@code nowNanos}, weighted by the load in flight. A
     * backend with requests in flight but no latency measured yet (a new instance) costs a
     * second per request, as Finagle's penalty: else it would look free and win every pick until
     * its first answer.
     */
    public double cost(long nowNanos) {
        double latency = ewma.value(nowNanos);
        int inFlight = active.get();
        if (latency == 0 && inFlight > 0) {
            return UNMEASURED_PENALTY_NANOS * inFlight;
        }
        return latency * (inFlight + 1);
    }

    /** Requests started so far. */
    public long requests() {
        return requests.sum();
    }

    /** Errors of one kind so far. */
    public long errors(ErrorKind kind) {
        return errors.get(kind).sum();
    }

    /** The latency recorder (microseconds), for snapshots by the owner. */
    public Recorder latencyMicros() {
        return latency;
    }

    private void completeDrainIfIdle() {
        // The unlocked check keeps the lock off every request's end while the backend is ready;
        // the locked one keeps a drain called off meanwhile from completing its successor.
        if (admin != AdminState.READY && active.get() == 0) {
            synchronized (this) {
                if (admin != AdminState.READY && active.get() == 0) {
                    drained.complete(null);
                }
            }
        }
    }

    @Override
    public String toString() {
        return id + "(" + admin.name().toLowerCase() + ", " + health.name().toLowerCase() + ", active " + active.get() + ")";
    }
}
