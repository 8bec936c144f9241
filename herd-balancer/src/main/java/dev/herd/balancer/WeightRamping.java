package dev.herd.balancer;

/**
 * A balancer that ramps a joining backend up by scaling its weight inside the algorithm, because
 * asking it again (what {@link SlowStartBalancer} does) would return the same backend: least-conn
 * is deterministic for given loads, ip-hash for a given key.
 */
interface WeightRamping {

    /** The same balancer over the same backends, with a slow-start window ({@code > 0}). */
    LoadBalancer withSlowStart(long windowNanos);
}
