package dev.herd.balancer;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A thread-safe random source from one seed: each thread draws from its own
 * {@link SplittableRandom}, split from the seeded root the first time that thread asks, so picks
 * on different event loops never contend and a single-threaded run is reproducible.
 */
final class PerThreadRandom implements RandomGenerator {

    private final SplittableRandom root;
    private final ThreadLocal<SplittableRandom> local = ThreadLocal.withInitial(this::split);

    PerThreadRandom(long seed) {
        this.root = new SplittableRandom(seed);
    }

    // SplittableRandom is not thread-safe, and the root is shared by every thread's first call.
    private synchronized SplittableRandom split() {
        return root.split();
    }

    @Override
    public long nextLong() {
        return local.get().nextLong();
    }

    @Override
    public int nextInt(int bound) {
        return local.get().nextInt(bound);
    }

    @Override
    public long nextLong(long bound) {
        return local.get().nextLong(bound);
    }

    @Override
    public double nextDouble() {
        return local.get().nextDouble();
    }
}
