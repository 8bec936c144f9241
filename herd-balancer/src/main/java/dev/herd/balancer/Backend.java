package dev.herd.balancer;

import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
    private final String name;
    private final InetSocketAddress address;
    private final int weight;
    /** When it last became ready: where its slow-start ramp begins. */
    private volatile long readySinceNanos;

    private volatile Health health = Health.UNKNOWN;
    private volatile AdminState admin;
    /** Until when (ticker nanos) a passive failure keeps it unhealthy; 0 when none. */
    private volatile long coolDownUntilNanos;
    /** A response timed out here and none came since: one request at a time until one does. */
    private volatile boolean suspect;
    /** While suspect: a request holds the probe, until it ends or {@link #probeHeldUntilNanos}. */
    private volatile boolean probeHeld;
    private volatile long probeHeldUntilNanos;
    /** While suspect: no probe before this (ticker nanos), after a probe that timed out too. */
    private volatile long nextProbeNanos;
    /** The pause before the next probe; 0 until a probe timed out. */
    private long probeBackoffNanos;
    /** When (ticker nanos) the suspicion began: a request started since is a probe. */
    private long suspectSinceNanos;

    private final AtomicInteger active = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final Map<ErrorKind, LongAdder> errors = new EnumMap<>(ErrorKind.class);
    private final Recorder latency = new Recorder(2);
    private final PeakEwma ewma;
    /** The current drain's; replaced when the backend returns to ready, so a later drain can be waited for. */
    private volatile CompletableFuture<Void> drained = new CompletableFuture<>();

    /**
     * A ready backend without a name.
     *
     * @param id             a name unique among the balancer's backends (e.g. {@code 127.0.0.1:9001})
     * @param address        where to connect
     * @param weight         relative share for weighted algorithms, at least 1
     * @param joinedAtNanos  ticker time it joined, where its slow-start ramp begins
     * @param ewmaDecayNanos time constant of the peak-EWMA latency
     */
    public Backend(String id, InetSocketAddress address, int weight, long joinedAtNanos, long ewmaDecayNanos) {
        this(id, null, address, weight, AdminState.READY, joinedAtNanos, ewmaDecayNanos);
    }

    /**
     * @param id             a name unique among the balancer's backends (e.g. {@code 127.0.0.1:9001})
     * @param name           a label for people and responses (a cluster's instance number), or null
     * @param address        where to connect
     * @param weight         relative share for weighted algorithms, at least 1
     * @param admin          the admin state it joins in: {@link AdminState#MAINTENANCE} to add it
     *                       before it can serve and {@link #setAdmin admit} it once it can
     * @param joinedAtNanos  ticker time it joined, where its slow-start ramp begins if it joins ready
     * @param ewmaDecayNanos time constant of the peak-EWMA latency
     */
    public Backend(String id, String name, InetSocketAddress address, int weight, AdminState admin, long joinedAtNanos,
            long ewmaDecayNanos) {
        this.id = Objects.requireNonNull(id, "id");
        this.name = name;
        this.address = Objects.requireNonNull(address, "address");
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be at least 1, was " + weight);
        }
        this.weight = weight;
        this.admin = Objects.requireNonNull(admin, "admin");
        this.readySinceNanos = joinedAtNanos;
        if (admin != AdminState.READY) {
            // Out of service with nothing in flight: drained from the start.
            drained.complete(null);
        }
        this.ewma = new PeakEwma(ewmaDecayNanos);
        for (ErrorKind k : ErrorKind.values()) {
            errors.put(k, new LongAdder());
        }
    }

    public String id() {
        return id;
    }

    /** Its label (a cluster's instance number, say), or null when it has none. */
    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return address;
    }

    public int weight() {
        return weight;
    }

    /**
     * Ticker time it last became {@link AdminState#READY}: when it joined ready, or when it was
     * admitted from maintenance or draining. Slow start ramps its share up from here.
     */
    public long readySinceNanos() {
        return readySinceNanos;
    }

    public Health health() {
        return health;
    }

    public AdminState admin() {
        return admin;
    }

    /**
     * Whether new traffic may go here: ready, not known unhealthy nor cooling down, and, while
     * {@link #suspect()}, with its probe free.
     */
    public boolean isAvailable(long nowNanos) {
        return admin == AdminState.READY && health != Health.UNHEALTHY && nowNanos - coolDownUntilNanos >= 0
                && (!suspect || probeFree(nowNanos));
    }

    private boolean probeFree(long nowNanos) {
        return (!probeHeld || nowNanos - probeHeldUntilNanos >= 0) && nowNanos - nextProbeNanos >= 0;
    }

    /** What {@link #claimProbe} gives a request just picked for this backend. */
    public enum Claim {
        /** Not suspect: it goes here as any request. */
        NOT_SUSPECT,
        /** Suspect, and this request is its probe: {@link #probeEnded()} when it ends. */
        PROBE,
        /** Suspect, and its probe was taken meanwhile (a pick on another event loop): pick again. */
        TAKEN
    }

    /**
     * Claims the one request a {@link #suspect()} backend takes at a time for a request just
     * picked for it: picks on other event loops may have chosen it at once. Requests in flight
     * from before do not hold it (a long download or a WebSocket would keep it forever). The
     * probe is held until {@link #probeEnded()}, or at most until {@code untilNanos} (give the
     * connect and response timeouts), so that it is never held for good.
     */
    public Claim claimProbe(long nowNanos, long untilNanos) {
        if (!suspect) {
            return Claim.NOT_SUSPECT;
        }
        synchronized (this) {
            if (!suspect) {
                return Claim.NOT_SUSPECT;
            }
            if (!probeFree(nowNanos)) {
                return Claim.TAKEN;
            }
            probeHeld = true;
            probeHeldUntilNanos = untilNanos;
            return Claim.PROBE;
        }
    }

    /** The request that {@link Claim#PROBE held the probe} ended, answered or not. */
    public void probeEnded() {
        probeHeld = false;
    }

    /**
     * A response did not come within the response timeout (passive health): until one comes,
     * the backend takes one new request at a time ({@link #claimProbe}), a probe, as Finagle's
     * failure accrual probes a node it marked dead; each probe that times out too doubles a pause
     * before the next one, from {@value #FIRST_PROBE_PAUSE_SECONDS} s up to
     * {@value #MAX_PROBE_PAUSE_SECONDS} s. A frozen process (SIGSTOP, a deadlock) then holds one
     * waiting request at a time, ever fewer, instead of a share of all of them, with no active
     * check configured; one that was merely slow once is back to its full share at its next
     * answer. The first timeout pauses nothing: if every backend timed out on one slow endpoint,
     * a pause would refuse every request meanwhile. Nor do the timeouts of the other requests
     * that were in flight when it began: they say nothing new.
     *
     * @param startedNanos when the request that timed out started here
     * @return whether this starts the suspicion (it was not suspect), to be reported once
     */
    public synchronized boolean responseTimedOut(long nowNanos, long startedNanos) {
        if (!suspect) {
            suspect = true;
            suspectSinceNanos = nowNanos;
            nextProbeNanos = nowNanos;
            return true;
        }
        if (startedNanos - suspectSinceNanos < 0) {
            return false;
        }
        probeBackoffNanos = probeBackoffNanos == 0 ? TimeUnit.SECONDS.toNanos(FIRST_PROBE_PAUSE_SECONDS)
                : Math.min(2 * probeBackoffNanos, TimeUnit.SECONDS.toNanos(MAX_PROBE_PAUSE_SECONDS));
        nextProbeNanos = nowNanos + probeBackoffNanos;
        return false;
    }

    private static final long FIRST_PROBE_PAUSE_SECONDS = 1;
    private static final long MAX_PROBE_PAUSE_SECONDS = 32;

    /**
     * A response came: whatever {@link #responseTimedOut} started ends.
     *
     * @return whether it was suspect until now
     */
    public boolean answered() {
        if (!suspect) {
            return false;
        }
        synchronized (this) {
            if (!suspect) {
                return false;
            }
            clearSuspicion();
            return true;
        }
    }

    /** Called holding the lock. */
    private void clearSuspicion() {
        suspect = false;
        probeBackoffNanos = 0;
        probeHeld = false;
    }

    /** Whether a response timed out here since its last answer ({@link #responseTimedOut}). */
    public boolean suspect() {
        return suspect;
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
     * Sets the admin state; draining or maintenance completes {@link #drained()} once nothing is
     * in flight. Back to ready, a drain still pending is called off (its futures fail with a
     * {@link CancellationException}), the next drain starts afresh, and the slow-start ramp
     * starts at {@code nowNanos}: it took no new traffic meanwhile, so it may be cold. Out of
     * maintenance it also starts with its health unknown and no passive cool-down nor
     * suspicion: active checks do not run in maintenance, so what they said before (of a process
     * that crashed, say) is out of date, and whoever admits it knows it can serve.
     *
     * @param nowNanos ticker time, the one the balancer's algorithms read
     */
    public synchronized void setAdmin(AdminState admin, long nowNanos) {
        AdminState before = this.admin;
        Objects.requireNonNull(admin, "admin");
        if (admin == AdminState.READY && before != AdminState.READY) {
            drained.completeExceptionally(new CancellationException(id + " is back in service before it drained"));
            drained = new CompletableFuture<>();
            readySinceNanos = nowNanos;
            if (before == AdminState.MAINTENANCE) {
                health = Health.UNKNOWN;
                coolDownUntilNanos = nowNanos;
                clearSuspicion();
            }
        }
        // Last, so that a pick that sees it ready also sees its ramp and health.
        this.admin = admin;
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

    /** Its counters and states in one read, for {@code list} and {@code describe}. */
    public BackendStats stats() {
        Map<ErrorKind, Long> counts = new EnumMap<>(ErrorKind.class);
        errors.forEach((kind, count) -> counts.put(kind, count.sum()));
        return new BackendStats(requests.sum(), active.get(), counts, health, admin);
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
        return id + (name != null ? " [" + name + "]" : "") + "(" + admin.name().toLowerCase() + ", " + health.name().toLowerCase() + ", active " + active.get() + ")";
    }
}
