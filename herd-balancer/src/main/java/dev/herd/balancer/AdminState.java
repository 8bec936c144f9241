package dev.herd.balancer;

/** What the operator wants of a backend, as HAProxy's ready, drain and maint. */
public enum AdminState {
    /** Takes new traffic. */
    READY,
    /** Takes no new traffic; what it has in flight finishes (a reload waits for this). */
    DRAINING,
    /** Takes no traffic at all. */
    MAINTENANCE
}
