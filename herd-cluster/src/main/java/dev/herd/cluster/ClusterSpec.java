package dev.herd.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * What makes an app a cluster app: its public address, how that port balances, and the rules of
 * its rolling reloads. The app itself (command, environment, instances, restart and stop
 * policies) is its {@link dev.herd.supervisor.AppSpec}.
 *
 * @param host              the public listener's address ({@code 0.0.0.0} as a server's own
 *                          {@code listen(port)} would bind)
 * @param port              the public port, 1-65535
 * @param balancer          how the public port spreads traffic
 * @param listenTimeout     how long a new instance may take to be ready (PM2's
 *                          {@code listen_timeout}); past it, it has failed: a reload stops there
 * @param drainTimeout      how long a drained instance's requests in flight may take before it
 *                          is stopped anyway
 * @param reloadParallelism how many instances a reload replaces at once, at least 1
 * @param waitReady         whether an instance is ready only when it says so, rather than when
 *                          its port answers (PM2's {@code wait_ready}): {@code process.send('ready')}
 *                          over its channel ({@link dev.herd.supervisor.InstanceChannels}), or
 *                          systemd's notify protocol ({@code READY=1} on its {@code NOTIFY_SOCKET})
 * @param sharing           whether a proxy or the instances themselves accept on the public port
 *                          ({@code balancer} applies to the proxy only)
 */
public record ClusterSpec(String host, int port, BalancerSettings balancer, Duration listenTimeout,
                          Duration drainTimeout, int reloadParallelism, boolean waitReady, PortSharing sharing) {

    /** PM2's {@code listen_timeout} is 3 s, short for a JVM; herd waits longer, and fails past it. */
    public static final Duration DEFAULT_LISTEN_TIMEOUT = Duration.ofSeconds(10);
    /** As HAProxy's and Kubernetes' usual grace: long requests finish, stuck ones do not block a reload. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    public ClusterSpec {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, was " + port);
        }
        Objects.requireNonNull(balancer, "balancer");
        positive(listenTimeout, "listenTimeout");
        positive(drainTimeout, "drainTimeout");
        if (reloadParallelism < 1) {
            throw new IllegalArgumentException("reloadParallelism must be at least 1, was " + reloadParallelism);
        }
        Objects.requireNonNull(sharing, "sharing");
    }

    /** A cluster behind herd's proxy. */
    public ClusterSpec(String host, int port, BalancerSettings balancer, Duration listenTimeout, Duration drainTimeout,
                       int reloadParallelism, boolean waitReady) {
        this(host, port, balancer, listenTimeout, drainTimeout, reloadParallelism, waitReady, PortSharing.PROXY);
    }

    /** The same cluster with its port shared as {@code sharing} says. */
    public ClusterSpec withSharing(PortSharing sharing) {
        return new ClusterSpec(host, port, balancer, listenTimeout, drainTimeout, reloadParallelism, waitReady, sharing);
    }

    /** A cluster whose instances are ready when their port answers. */
    public ClusterSpec(String host, int port, BalancerSettings balancer, Duration listenTimeout, Duration drainTimeout,
                       int reloadParallelism) {
        this(host, port, balancer, listenTimeout, drainTimeout, reloadParallelism, false);
    }

    /** A cluster on {@code 0.0.0.0:port} with every default. */
    public static ClusterSpec onPort(int port) {
        return new ClusterSpec("0.0.0.0", port, BalancerSettings.DEFAULT, DEFAULT_LISTEN_TIMEOUT, DEFAULT_DRAIN_TIMEOUT, 1);
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
    }
}
