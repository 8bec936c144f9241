package dev.herd.balancer;

/**
 * Peak-sensitive exponentially weighted moving average of latency (Finagle's PeakEwma): a sample
 * above the average replaces it at once, one below decays into it with time constant
 * {@code decayNanos}, so a backend stalled in a GC pause looks slow immediately and recovers
 * gradually.
 */
final class PeakEwma {

    private final double decayNanos;
    private double value;
    private long stampNanos;
    private boolean seeded;

    PeakEwma(long decayNanos) {
        this.decayNanos = Math.max(1, decayNanos);
    }

    synchronized void observe(long sampleNanos, long nowNanos) {
        if (!seeded) {
            value = sampleNanos;
            stampNanos = nowNanos;
            seeded = true;
            return;
        }
        if (sampleNanos > value) {
            value = sampleNanos;
        } else {
            double w = Math.exp(-Math.max(0, nowNanos - stampNanos) / decayNanos);
            value = value * w + sampleNanos * (1 - w);
        }
        stampNanos = nowNanos;
    }

    /** The average decayed to {@code nowNanos}; 0 before the first sample. */
    synchronized double value(long nowNanos) {
        if (!seeded) {
            return 0;
        }
        double w = Math.exp(-Math.max(0, nowNanos - stampNanos) / decayNanos);
        return value * w;
    }
}
