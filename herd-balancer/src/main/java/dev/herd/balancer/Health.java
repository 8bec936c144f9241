package dev.herd.balancer;

/** What checks say of a backend, independent of what the operator wants ({@link AdminState}). */
public enum Health {
    /** Not checked yet: traffic may go there. */
    UNKNOWN,
    /** Passed its checks. */
    HEALTHY,
    /** Failed: no traffic until it recovers. */
    UNHEALTHY
}
