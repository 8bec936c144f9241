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
     * herd. The socket stays open while the app exists, so a restart refuses no connection. One
     * queue for all: the kernel wakes the instances waiting in it unevenly, and a busy one can
     * take most connections.
     */
    SOCKET,
    /**
     * As {@link #SOCKET}, with one socket per instance index, all bound to the public port with
     * {@code SO_REUSEPORT} (nginx's {@code reuseport}): the kernel hashes each new connection to
     * one of them, so the instances get even shares. Each socket has its own queue: a connection
     * hashed to an instance that is down waits for it to start again, and the queue of an index a
     * scale-down removes is reset when its socket closes, unless {@code net.ipv4.tcp_migrate_req}
     * is set.
     */
    REUSEPORT;

    /** Whether the instances accept on sockets herd hands them, rather than herd's proxy. */
    public boolean handsSocket() {
        return this != PROXY;
    }
}
