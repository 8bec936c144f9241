package dev.herd.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import dev.herd.balancer.TrafficStats;
import dev.herd.supervisor.Handover;

/**
 * The {@link Pool} of an app whose instances accept themselves: one listening socket that every
 * instance gets ({@link PortSharing#SOCKET}), or one per instance index, all on the public port
 * with {@code SO_REUSEPORT} ({@link PortSharing#REUSEPORT}). The kernel hands each connection to
 * whichever instance accepts first (or to the socket its hash picks), so there is no rotation to
 * join or leave, and no request herd could count: an old instance drains itself once it is told
 * to stop, by closing its copy of the socket and finishing what it has, while the others (and, in
 * a reload, its successor at the same index) go on accepting from the same queue.
 *
 * <p>Thread-safe.
 */
public final class SocketPool implements Pool {

    private final String host;
    private final int port;
    private final boolean perIndex;
    /** By instance index; in {@link PortSharing#SOCKET} mode the one socket is at 0 and serves every index. */
    private final SortedMap<Integer, ListeningSocket> sockets = new TreeMap<>();
    private final InetSocketAddress address;
    private boolean closed;

    private SocketPool(ClusterSpec spec, Map<Integer, ListeningSocket> first) {
        this.host = spec.host();
        this.port = spec.port();
        this.perIndex = spec.sharing() == PortSharing.REUSEPORT;
        this.sockets.putAll(first);
        this.address = first.values().iterator().next().address();
    }

    /** Opens socket pools on the cluster's public address. */
    public static Pool.Factory factory() {
        return SocketPool::open;
    }

    /**
     * Binds the public port and listens, with nobody accepting yet: connections wait in the queue.
     * With a socket per index, the one of index 0 is bound now and the others as their instances
     * are planned.
     *
     * @throws java.net.BindException naming the address when it is taken or not allowed
     */
    public static SocketPool open(ClusterSpec spec) throws IOException {
        boolean perIndex = spec.sharing() == PortSharing.REUSEPORT;
        return new SocketPool(spec, Map.of(0, ListeningSocket.open(spec.host(), spec.port(), perIndex)));
    }

    /**
     * Takes over the sockets an earlier daemon listened on for this cluster, by index, with their
     * queues. In {@link PortSharing#SOCKET} mode only the one at index 0 counts; others are closed.
     */
    static SocketPool adopt(ClusterSpec spec, SortedMap<Integer, Integer> fds) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(spec.host()), spec.port());
        Map<Integer, ListeningSocket> adopted = new TreeMap<>();
        boolean perIndex = spec.sharing() == PortSharing.REUSEPORT;
        fds.forEach((index, fd) -> {
            if (perIndex || adopted.isEmpty()) {
                adopted.put(perIndex ? index : 0, ListeningSocket.adopt(fd, address));
            } else {
                Descriptors.close(fd);
            }
        });
        return new SocketPool(spec, adopted);
    }

    @Override
    public synchronized Handover handover(int index, String name, boolean asStdin) {
        return Handover.of(socketFor(index).fd(), name, asStdin);
    }

    /** The socket of that index, bound now if it is the first instance at it. */
    private ListeningSocket socketFor(int index) {
        if (closed) {
            throw new IllegalStateException("the public sockets of " + address + " are closed");
        }
        if (!perIndex) {
            return sockets.get(0);
        }
        return sockets.computeIfAbsent(index, i -> {
            try {
                return ListeningSocket.open(host, port, true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public synchronized void release(int index) {
        if (perIndex && index != 0) {
            ListeningSocket s = sockets.remove(index);
            if (s != null) {
                s.close();
            }
        }
    }

    @Override
    public synchronized SortedMap<Integer, Integer> duplicateListeners() {
        SortedMap<Integer, Integer> copies = new TreeMap<>();
        sockets.forEach((index, s) -> copies.put(index, Descriptors.duplicate(s.fd())));
        return copies;
    }

    @Override
    public void add(int id, int port) {
        // Every instance has its socket from its start: there is nothing to add it to.
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
        return address;
    }

    @Override
    public synchronized void close(Duration grace) {
        closed = true;
        sockets.values().forEach(ListeningSocket::close);
        sockets.clear();
    }
}
