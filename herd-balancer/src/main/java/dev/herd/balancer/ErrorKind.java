package dev.herd.balancer;

/** Why a request or connection to a backend failed, counted per backend. */
public enum ErrorKind {
    /** The connection was refused or could not be made. */
    CONNECT,
    /** The connection attempt timed out. */
    CONNECT_TIMEOUT,
    /** The backend did not answer in time (504). */
    RESPONSE_TIMEOUT,
    /** The connection was reset or closed before the response was complete. */
    RESET,
    /** The backend's response was not valid HTTP. */
    PROTOCOL
}
