package dev.herd.metrics;

/** A mistake in the metrics settings, or a port that cannot be opened: one line for the user. */
public final class MetricsException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message the whole line, saying what is wrong and where */
    public MetricsException(String message) {
        super(message);
    }
}
