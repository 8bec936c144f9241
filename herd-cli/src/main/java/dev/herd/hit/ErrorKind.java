package dev.herd.hit;

/** Why a request failed, as the summary counts it. */
public enum ErrorKind {
    /** Nothing listened: the connection was refused. */
    REFUSED("refused"),
    /** The connection was reset, or closed before the whole response arrived. */
    RESET("reset"),
    /** No whole response (or no connection) within the timeout. */
    TIMEOUT("timeout"),
    /** A complete response whose status is not 2xx. */
    STATUS("non-2xx"),
    /** Anything else: a malformed response, a local failure. */
    OTHER("other");

    private final String label;

    ErrorKind(String label) {
        this.label = label;
    }

    /** The word the summary prints for it. */
    public String label() {
        return label;
    }
}
