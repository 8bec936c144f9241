package dev.herd.balancer;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The balancing algorithms, each built over a fixed list of backends (copied; build a new
 * balancer when membership changes, see {@link LoadBalancer}).
 *
 * <p>Every balancer asks {@code nanoTime} for the time once per pick, to read
 * {@link Backend#isAvailable(long) availability} (cool-downs) and costs; pass
 * {@code System::nanoTime} in production and a fake ticker in tests. Every balancer is
 * thread-safe, provided the {@code random} source given to it is: pass
 * {@code ThreadLocalRandom.current()} or {@link #threadSafeRandom(long)} when picks come from
 * several threads, a seeded {@link java.util.SplittableRandom} only in single-threaded tests.
 * A balancer returns null when no backend is available.
 */
public final class LoadBalancers {

    private LoadBalancers() {
    }

    /**
     * Each available backend in turn, as many turns per round as its weight, interleaved (as
     * HAProxy's {@code roundrobin}, whose weights count too); an unavailable one's turn is
     * skipped. With equal weights a lock-free cursor; with different ones {@link #weighted},
     * the same order it would give them.
     */
    public static LoadBalancer roundRobin(List<Backend> backends, LongSupplier nanoTime) {
        List<Backend> list = copy(backends);
        Objects.requireNonNull(nanoTime);
        return Choice.equalWeights(list.toArray(new Backend[0]))
                ? new RoundRobinBalancer(list, nanoTime) : new SmoothWeightedBalancer(list, nanoTime);
    }

    /**
     * The available backend with the fewest requests in flight (connections in tcp mode) for its
     * weight, {@code (active + 1) / weight} as HAProxy's leastconn; ties go to each of the tied in
     * turn, whatever their place in the list. Lock-free.
     */
    public static LoadBalancer leastConn(List<Backend> backends, LongSupplier nanoTime) {
        return new LeastConnBalancer(copy(backends), Objects.requireNonNull(nanoTime), 0);
    }

    /**
     * The same client key to the same backend while it is available, by weighted rendezvous
     * hashing: when one of N backends leaves or joins about 1/N of keys move, and only to or from
     * it. A key whose backend is unavailable goes to its next best meanwhile. Stateless.
     */
    public static LoadBalancer ipHash(List<Backend> backends, LongSupplier nanoTime) {
        return new RendezvousHashBalancer(copy(backends), Objects.requireNonNull(nanoTime), 0);
    }

    /**
     * nginx's smooth weighted round-robin: each backend its weight's share, interleaved (weights
     * 5, 1, 1 give a, a, b, a, c, a, a). Takes a lock for one pass over the backends per pick.
     */
    public static LoadBalancer weighted(List<Backend> backends, LongSupplier nanoTime) {
        return new SmoothWeightedBalancer(copy(backends), Objects.requireNonNull(nanoTime));
    }

    /**
     * At random among the available backends, each with probability its weight over their total
     * (uniformly when the weights are equal).
     */
    public static LoadBalancer random(List<Backend> backends, LongSupplier nanoTime, RandomGenerator random) {
        return new RandomBalancer(copy(backends), Objects.requireNonNull(nanoTime), Objects.requireNonNull(random));
    }

    /**
     * Power of two choices (Mitzenmacher 2001) on {@link Backend#cost(long)}, peak-EWMA latency
     * times load, as Finagle's {@code P2CPeakEwma}: the cheaper of two distinct available backends
     * drawn at random. Routes around a backend that turns slow (a GC pause) as soon as one of its
     * responses is late. With different weights both are drawn by weight and their costs divided
     * by it, so a backend carries load in proportion to its weight.
     */
    public static LoadBalancer p2c(List<Backend> backends, LongSupplier nanoTime, RandomGenerator random) {
        return new PowerOfTwoChoicesBalancer(copy(backends), Objects.requireNonNull(nanoTime),
                Objects.requireNonNull(random));
    }

    /**
     * The balancer of {@code algorithm}, with a {@link #threadSafeRandom(long) per-thread random}
     * from {@code seed}.
     */
    public static LoadBalancer of(Algorithm algorithm, List<Backend> backends, LongSupplier nanoTime, long seed) {
        return of(algorithm, backends, nanoTime, threadSafeRandom(seed));
    }

    /** The balancer of {@code algorithm}; {@code random} is used by random and p2c only. */
    public static LoadBalancer of(Algorithm algorithm, List<Backend> backends, LongSupplier nanoTime,
            RandomGenerator random) {
        return switch (Objects.requireNonNull(algorithm, "algorithm")) {
            // The same balancer: weighted is round-robin's old name for the weighted order.
            case ROUND_ROBIN, WEIGHTED -> roundRobin(backends, nanoTime);
            case LEAST_CONN -> leastConn(backends, nanoTime);
            case IP_HASH -> ipHash(backends, nanoTime);
            case RANDOM -> random(backends, nanoTime, random);
            case P2C -> p2c(backends, nanoTime, random);
        };
    }

    /**
     * Slow start (HAProxy's {@code slowstart}, Armeria's weight ramping): a backend that became
     * ready less than {@code window} ago ({@link Backend#readySinceNanos()}: when it joined ready,
     * or was admitted) gets a share of its weight growing linearly with that time, at least 10%,
     * so a cold instance (empty caches, JIT not yet warm) is not handed its full share at once.
     *
     * <p>For round-robin, weighted, random and p2c a pick of a ramping backend is kept with
     * probability age/window, else the inner balancer is asked again (up to 8 times), so the
     * backend gets that fraction of a settled backend's share. Least-conn and ip-hash would
     * answer the same again, so for them the ramp scales the backend's weight inside the
     * algorithm: least-conn compares {@code (active + 1) / ramp}, ip-hash's keys move to the
     * ramping backend gradually and then stay. A zero window returns {@code inner} itself.
     *
     * @param inner    a balancer from this class, or any other (then by rejection)
     * @param window   how long the ramp lasts, not negative
     * @param nanoTime the same ticker the backends' {@code readySinceNanos} come from
     * @param random   the acceptance draws; thread-safe when picks come from several threads
     */
    public static LoadBalancer slowStart(LoadBalancer inner, Duration window, LongSupplier nanoTime,
            RandomGenerator random) {
        Objects.requireNonNull(inner, "inner");
        long windowNanos = Objects.requireNonNull(window, "window").toNanos();
        if (windowNanos < 0) {
            throw new IllegalArgumentException("slow-start window must not be negative, was " + window);
        }
        if (windowNanos == 0) {
            return inner;
        }
        if (inner instanceof WeightRamping ramping) {
            return ramping.withSlowStart(windowNanos);
        }
        return new SlowStartBalancer(inner, windowNanos, Objects.requireNonNull(nanoTime),
                Objects.requireNonNull(random));
    }

    /**
     * A random source safe to share between threads and reproducible from {@code seed} in a
     * single thread: each thread draws from its own {@link java.util.SplittableRandom} split from
     * one seeded root. {@link java.util.concurrent.ThreadLocalRandom#current()} is the unseeded
     * alternative.
     */
    public static RandomGenerator threadSafeRandom(long seed) {
        return new PerThreadRandom(seed);
    }

    private static List<Backend> copy(List<Backend> backends) {
        // List.copyOf also rejects null elements, which a pick would otherwise meet much later.
        return List.copyOf(Objects.requireNonNull(backends, "backends"));
    }
}
