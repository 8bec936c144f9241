package dev.herd.balancer;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * Client affinity by weighted rendezvous (highest random weight) hashing (Thaler and Ravishankar,
 * "Using name-based mappings to increase hit rates", 1998): every backend scores the client key
 * and the highest available score wins. When one of N backends leaves, only its keys move (each
 * to its own second choice, spread over the rest); when one joins, it takes about 1/(N+1) of the
 * keys, and no key moves between two backends that stayed. An unavailable backend is passed over
 * for the key's next best, and the key returns once it is back.
 *
 * <p>Weights: the score is {@code weight / -ln(u)} with {@code u} the pair's hash in (0, 1), so a
 * backend wins a key with probability weight / total weight (the logarithmic method of weighted
 * rendezvous hashing: {@code -ln(u) / weight} is exponential with rate weight, and the least of
 * such variates falls to each in proportion to its rate). With equal weights and nothing ramping,
 * comparing the hashes themselves gives the same winner without a logarithm per backend.
 *
 * <p>Slow start scales a ramping backend's weight, so keys move to it as its weight grows and stay
 * there, instead of flapping between it and their old backend request by request.
 */
final class RendezvousHashBalancer implements LoadBalancer, WeightRamping {

    private final Backend[] backends;
    private final long[] idHashes;
    private final boolean equalWeights;
    private final LongSupplier nanoTime;
    private final long slowStartNanos;

    RendezvousHashBalancer(List<Backend> backends, LongSupplier nanoTime, long slowStartNanos) {
        this.backends = backends.toArray(new Backend[0]);
        this.idHashes = new long[this.backends.length];
        boolean equal = true;
        for (int i = 0; i < this.backends.length; i++) {
            idHashes[i] = Hashing.hash(this.backends[i].id());
            equal &= this.backends[i].weight() == this.backends[0].weight();
        }
        this.equalWeights = equal;
        this.nanoTime = nanoTime;
        this.slowStartNanos = slowStartNanos;
    }

    @Override
    public LoadBalancer withSlowStart(long windowNanos) {
        return new RendezvousHashBalancer(List.of(backends), nanoTime, windowNanos);
    }

    @Override
    public Backend pick(RequestInfo request) {
        long now = nanoTime.getAsLong();
        long key = Hashing.hash(request.clientKey());
        return equalWeights && !anyRamping(now) ? pickByHash(key, now) : pickByScore(key, now);
    }

    private Backend pickByHash(long key, long now) {
        Backend best = null;
        long bestHash = 0;
        for (int i = 0; i < backends.length; i++) {
            Backend b = backends[i];
            if (b.isAvailable(now)) {
                // Unsigned order, as the u of pickByScore, so both paths choose alike.
                long h = Hashing.fmix64(key ^ idHashes[i]) ^ Long.MIN_VALUE;
                if (best == null || h > bestHash) {
                    best = b;
                    bestHash = h;
                }
            }
        }
        return best;
    }

    private Backend pickByScore(long key, long now) {
        Backend best = null;
        double bestScore = 0;
        for (int i = 0; i < backends.length; i++) {
            Backend b = backends[i];
            if (b.isAvailable(now)) {
                long h = Hashing.fmix64(key ^ idHashes[i]);
                double u = ((h >>> 11) + 0.5) * 0x1.0p-53;
                double score = b.weight() * SlowStart.ramp(b, now, slowStartNanos) / -Math.log(u);
                if (best == null || score > bestScore) {
                    best = b;
                    bestScore = score;
                }
            }
        }
        return best;
    }

    private boolean anyRamping(long now) {
        if (slowStartNanos <= 0) {
            return false;
        }
        for (Backend b : backends) {
            if (now - b.readySinceNanos() < slowStartNanos) {
                return true;
            }
        }
        return false;
    }
}
