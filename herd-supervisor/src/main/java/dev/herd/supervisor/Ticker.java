package dev.herd.supervisor;

/**
 * A monotonic clock in nanoseconds, injected wherever a decision depends on elapsed time so that
 * tests can move time by hand.
 */
@FunctionalInterface
public interface Ticker {

    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long nanos();

    /** The system's monotonic clock. */
    static Ticker system() {
        return System::nanoTime;
    }
}
