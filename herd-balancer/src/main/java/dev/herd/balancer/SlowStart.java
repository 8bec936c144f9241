package dev.herd.balancer;

/** The share a backend in its slow-start window may take, shared by every algorithm's ramp. */
final class SlowStart {

    /** The least share a just-joined backend gets, so its first requests warm it at all. */
    static final double FLOOR = 0.1;

    private SlowStart() {
    }

    /**
     * The fraction of its weight {@code backend} has at {@code nowNanos}: the time since it became
     * ready over the window, at least {@link #FLOOR}, and exactly 1 once the window is over (or
     * when there is no window), so algorithms can keep their exact integer paths for settled
     * backends.
     */
    static double ramp(Backend backend, long nowNanos, long windowNanos) {
        if (windowNanos <= 0) {
            return 1.0;
        }
        long age = nowNanos - backend.readySinceNanos();
        if (age >= windowNanos) {
            return 1.0;
        }
        return Math.max(FLOOR, (double) age / windowNanos);
    }
}
