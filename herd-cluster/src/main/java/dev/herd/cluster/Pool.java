package dev.herd.cluster;

import dev.herd.supervisor.Handover;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import dev.herd.balancer.TrafficStats;

/**
 * The balancer in front of one cluster app, as the app sees it: members by instance id, which
 * join out of rotation and get traffic only once admitted. {@link BalancerPool} runs it in this
 * process; a pool in a process of its own fits the same shape.
 */
public interface Pool {

    /**
     * The listening socket the instance at {@code index} gets instead of a port of its own
     * ({@link PortSharing#handsSocket}), or {@code null} when each instance listens on its own
     * port behind a proxy.
     *
     * @param index   the instance's index: with {@link PortSharing#REUSEPORT} each has a socket of its own
     * @param name    the socket's name for {@code LISTEN_FDNAMES}
     * @param asStdin whether the instance also gets it as its standard input (a JVM's inherited channel)
     */
    default Handover handover(int index, String name, boolean asStdin) {
        return null;
    }

    /**
     * No instance is left at {@code index} (a scale-down): a pool with a socket per index closes
     * that one, so that the kernel stops putting connections in a queue nobody takes from.
     */
    default void release(int index) {
    }

    /** Adds an instance listening on {@code 127.0.0.1:port}; it gets no traffic until {@link #admit}. */
    void add(int id, int port);

    /** The instance is ready: it takes traffic (ramping up with slow start). */
    void admit(int id);

    /** The instance is gone or going: no traffic at all from now on. */
    void maintain(int id);

    /** No new requests for the instance; completes when it has none in flight. */
    CompletableFuture<Void> drain(int id);

    /** Requests (or connections, in tcp mode) in flight on the instance now. */
    int inFlight(int id);

    /**
     * Takes a traffic sample of every instance ({@link dev.herd.balancer.TrafficMeter}): whoever
     * shows the figures calls it at a steady period, since rates and percentiles cover the
     * last few samples.
     */
    void sampleTraffic();

    /** Each instance's traffic as of the last sample, by id. */
    Map<Integer, TrafficStats> traffic();

    /** The traffic since the public port opened, of instances removed since included, as of the last sample. */
    TrafficTotals totals();

    /**
     * The admitted instances the balancer now passes over as unhealthy: its active checks failed
     * {@code health_fall} times, or a connection to it failed (a passive cool-down). Empty for a
     * pool that does not check (the kernel spreads a shared socket's connections).
     */
    default Set<Integer> unhealthy() {
        return Set.of();
    }

    /** Forgets the instance; it gets no traffic from the moment this is called. */
    void remove(int id);

    /**
     * Copies of the public listening sockets' descriptors, by instance index (index 0 for the
     * one socket of a proxy or of {@link PortSharing#SOCKET}), for a successor to accept from
     * ({@code herd update}); empty when this pool cannot give them. The caller closes them; each
     * socket goes on listening, with its queue, as long as a copy is open.
     */
    default SortedMap<Integer, Integer> duplicateListeners() {
        return new TreeMap<>();
    }

    /** Where the public port listens. */
    InetSocketAddress address();

    /** Stops accepting, lets what is in flight finish for at most {@code grace}, and closes. */
    void close(Duration grace);

    /** Opens a pool on a cluster's public address. */
    @FunctionalInterface
    interface Factory {
        /**
         * Binds the public port.
         *
         * @throws java.net.BindException naming the address when it is taken or not allowed
         */
        Pool open(ClusterSpec spec) throws java.io.IOException;

        /** herd's: a {@link SocketPool} when the instances take sockets, else a {@link BalancerPool}. */
        static Factory standard() {
            return standard(new InheritedListeners());
        }

        /**
         * herd's, taking the socket an earlier daemon handed over on the public address instead of
         * binding one when there is one.
         */
        static Factory standard(InheritedListeners inherited) {
            return spec -> {
                SortedMap<Integer, Integer> fds = inherited.take(spec.host(), spec.port());
                if (spec.sharing().handsSocket()) {
                    return fds.isEmpty() ? SocketPool.open(spec) : SocketPool.adopt(spec, fds);
                }
                return fds.isEmpty() ? BalancerPool.open(spec) : BalancerPool.adopt(spec, fds);
            };
        }
    }
}
