package dev.herd.cluster;

/**
 * How a cluster app's instances share its public port.
 */
public enum PortSharing {
    /**
     * herd's balancer listens on the public port and passes each request to an instance on an
     * internal port of its own: any program works, every request is balanced, and herd sees each
     * one (retries, health, per-instance figures); each byte takes one hop more.
     */
    PROXY,
    /**
     * herd binds the public port once and hands the same listening socket to every instance (fd 3,
     * systemd's {@code LISTEN_FDS}); the kernel spreads the connections and no byte passes through
     * herd. The socket stays open while the app exists, so a restart refuses no connection.
     */
    SOCKET
}
