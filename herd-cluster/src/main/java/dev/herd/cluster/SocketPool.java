package dev.herd.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.herd.balancer.TrafficStats;
import dev.herd.supervisor.Handover;

/**
 * The {@link Pool} of an app in {@link PortSharing#SOCKET} mode: one listening socket that every
 * instance gets ({@link #handover}); the kernel hands each connection to whichever instance
 * accepts first, so there is no rotation to join or leave, and no request herd could count: an
 * old instance drains itself once it is told to stop, by closing its copy of the socket and
 * finishing what it has, while the others go on accepting from the same queue.
 *
 * <p>Thread-safe.
 */
public final class SocketPool implements Pool {

    private final ListeningSocket socket;

    private SocketPool(ListeningSocket socket) {
        this.socket = socket;
    }

    /** Opens socket pools on the cluster's public address. */
    public static Pool.Factory factory() {
        return SocketPool::open;
    }

    /**
     * Binds the public port and listens, with nobody accepting yet: connections wait in the queue.
     *
     * @throws java.net.BindException naming the address when it is taken or not allowed
     */
    public static SocketPool open(ClusterSpec spec) throws IOException {
        return new SocketPool(ListeningSocket.open(spec.host(), spec.port()));
    }

    /** Takes over the socket an earlier daemon listened on for this cluster, with its queue. */
    static SocketPool adopt(ClusterSpec spec, int fd) throws IOException {
        return new SocketPool(ListeningSocket.adopt(fd, new InetSocketAddress(InetAddress.getByName(spec.host()), spec.port())));
    }

    @Override
    public int duplicateListener() {
        return Descriptors.duplicate(socket.fd());
    }

    @Override
    public Handover handover(String name, boolean asStdin) {
        return Handover.of(socket.fd(), name, asStdin);
    }

    @Override
    public void add(int id, int port) {
        // Every instance has the socket from its start: there is nothing to add it to.
    }

    @Override
    public void admit(int id) {
        // An instance takes connections as soon as it accepts: herd cannot hold it back.
    }

    @Override
    public void maintain(int id) {
        // Only the instance can stop accepting, when told to stop.
    }

    @Override
    public CompletableFuture<Void> drain(int id) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public int inFlight(int id) {
        return 0;
    }

    @Override
    public void sampleTraffic() {
        // No byte passes through herd.
    }

    @Override
    public Map<Integer, TrafficStats> traffic() {
        return Map.of();
    }

    @Override
    public TrafficTotals totals() {
        return TrafficTotals.none();
    }

    @Override
    public void remove(int id) {
        // Nothing was added.
    }

    @Override
    public InetSocketAddress address() {
        return socket.address();
    }

    @Override
    public void close(Duration grace) {
        socket.close();
    }
}
