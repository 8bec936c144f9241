package dev.herd.cluster;

import dev.herd.supervisor.Handover;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

import dev.herd.balancer.TrafficStats;

/**
 * The balancer in front of one cluster app, as the app sees it: members by instance id, which
 * join out of rotation and get traffic only once admitted. {@link BalancerPool} runs it in this
 * process; a pool in a process of its own fits the same shape.
 */
public interface Pool {

    /**
     * The listening socket instances get instead of ports of their own
     * ({@link PortSharing#SOCKET}), or {@code null} when each instance listens on its own port
     * behind a proxy.
     *
     * @param name    the socket's name for {@code LISTEN_FDNAMES}
     * @param asStdin whether the instance also gets it as its standard input (a JVM's inherited channel)
     */
    default Handover handover(String name, boolean asStdin) {
        return null;
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

    /** Forgets the instance; it gets no traffic from the moment this is called. */
    void remove(int id);

    /**
     * A copy of the public listening socket's descriptor, for a successor to accept from
     * ({@code herd update}), or -1 when this pool cannot give one. The caller closes it; the
     * socket goes on listening, with its queue, as long as a copy is open.
     */
    default int duplicateListener() {
        return -1;
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

        /** herd's: a {@link SocketPool} for {@link PortSharing#SOCKET}, else a {@link BalancerPool}. */
        static Factory standard() {
            return standard(new InheritedListeners());
        }

        /**
         * herd's, taking the socket an earlier daemon handed over on the public address instead of
         * binding one when there is one.
         */
        static Factory standard(InheritedListeners inherited) {
            return spec -> {
                OptionalInt fd = inherited.take(spec.host(), spec.port());
                if (spec.sharing() == PortSharing.SOCKET) {
                    return fd.isPresent() ? SocketPool.adopt(spec, fd.getAsInt()) : SocketPool.open(spec);
                }
                return fd.isPresent() ? BalancerPool.adopt(spec, fd.getAsInt()) : BalancerPool.open(spec);
            };
        }
    }
}
