package dev.herd.cluster;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.balancer.AdminState;
import dev.herd.balancer.Backend;
import dev.herd.balancer.ErrorKind;
import dev.herd.balancer.TrafficMeter;
import dev.herd.balancer.TrafficStats;
import dev.herd.balancer.netty.Balancer;

/**
 * A {@link Pool} on a {@link Balancer} in this process: each instance is a backend on
 * {@code 127.0.0.1:<its port>}, named by its id (the {@code X-Herd-Instance} value).
 *
 * <p>Thread-safe, as the balancer is.
 */
public final class BalancerPool implements Pool {

    private static final Logger log = LoggerFactory.getLogger(BalancerPool.class);

    /** The header that names the instance that answered, when the app asks for it. */
    public static final String INSTANCE_HEADER = "X-Herd-Instance";

    /** How far back an instance's requests per second and percentiles look. */
    static final Duration TRAFFIC_WINDOW = Duration.ofSeconds(10);

    private final Balancer balancer;
    private final Map<Integer, String> backendIds = new ConcurrentHashMap<>();
    private final Map<Integer, TrafficMeter> meters = new ConcurrentHashMap<>();
    private final Totals totals = new Totals();

    private BalancerPool(Balancer balancer) {
        this.balancer = balancer;
    }

    /** Opens pools on the cluster's public address with the cluster's balancer settings. */
    public static Pool.Factory factory() {
        return BalancerPool::open;
    }

    /** Binds the public port with no backend yet (requests get 503 until one is admitted). */
    public static BalancerPool open(ClusterSpec spec) throws IOException {
        return start(spec, builder(spec));
    }

    /**
     * Takes over the socket an earlier daemon listened on for this cluster: it accepts from the
     * socket's queue once the first instance is admitted. A balancer that cannot take one over
     * (tcp mode runs on NIO, which cannot wrap a descriptor) closes it and binds the port again,
     * losing the connections in its queue; that is logged.
     */
    static BalancerPool adopt(ClusterSpec spec, SortedMap<Integer, Integer> fds) throws IOException {
        // A proxy has one socket; any other is left from a socket per instance.
        int first = fds.firstKey();
        int fd = fds.get(first);
        fds.tailMap(first + 1).values().forEach(Descriptors::close);
        if (!Balancer.canListenOn(spec.balancer().mode())) {
            Descriptors.close(fd);
            log.warn("{}:{}: a {}-mode balancer cannot take over the socket handed over; binding it again, which resets"
                    + " the connections waiting in its queue", spec.host(), spec.port(),
                    spec.balancer().mode().name().toLowerCase());
            return open(spec);
        }
        try {
            return start(spec, builder(spec).listenOn(fd));
        } catch (IOException | RuntimeException e) {
            Descriptors.close(fd);
            throw e;
        }
    }

    private static Balancer.Builder builder(ClusterSpec spec) {
        BalancerSettings s = spec.balancer();
        Balancer.Builder b = Balancer.builder()
                .listen(new InetSocketAddress(spec.host(), spec.port()))
                .mode(s.mode())
                .algorithm(s.algorithm())
                .http(s.instanceHeader() ? s.http().withInstanceHeader(INSTANCE_HEADER) : s.http())
                .tcp(s.tcp())
                .slowStart(s.slowStart());
        if (s.healthCheck() != null) {
            b.healthCheck(s.healthCheck());
        }
        return b;
    }

    private static BalancerPool start(ClusterSpec spec, Balancer.Builder b) throws IOException {
        try {
            return new BalancerPool(b.start());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while binding " + spec.host() + ":" + spec.port());
        }
    }

    @Override
    public SortedMap<Integer, Integer> duplicateListeners() {
        int fd = balancer.listenerFd();
        SortedMap<Integer, Integer> copies = new TreeMap<>();
        if (fd >= 0) {
            copies.put(0, Descriptors.duplicate(fd));
        }
        return copies;
    }

    @Override
    public void add(int id, int port) {
        Backend backend = balancer.addBackend(new Balancer.BackendAddress("127.0.0.1", port, 1, Integer.toString(id)),
                AdminState.MAINTENANCE);
        backendIds.put(id, backend.id());
        meters.put(id, new TrafficMeter(backend, TRAFFIC_WINDOW.toNanos(), System.nanoTime()));
    }

    @Override
    public void admit(int id) {
        String b = backendIds.get(id);
        if (b != null) {
            balancer.admit(b);
        }
    }

    @Override
    public void maintain(int id) {
        String b = backendIds.get(id);
        if (b != null) {
            balancer.maintain(b);
        }
    }

    @Override
    public CompletableFuture<Void> drain(int id) {
        String b = backendIds.get(id);
        return b == null ? CompletableFuture.completedFuture(null) : balancer.drain(b);
    }

    @Override
    public int inFlight(int id) {
        String b = backendIds.get(id);
        return b == null ? 0 : balancer.backends().stream().filter(x -> x.id().equals(b)).mapToInt(Backend::active)
                .findFirst().orElse(0);
    }

    @Override
    public void sampleTraffic() {
        long now = System.nanoTime();
        meters.values().forEach(m -> totals.add(m.sample(now)));
        totals.unavailable = balancer.unavailable();
    }

    @Override
    public Map<Integer, TrafficStats> traffic() {
        Map<Integer, TrafficStats> all = new TreeMap<>();
        meters.forEach((id, m) -> all.put(id, m.latest()));
        return all;
    }

    @Override
    public Set<Integer> unhealthy() {
        // The balancer's ticker is System.nanoTime (the builder's default, which open() keeps).
        long now = System.nanoTime();
        Map<String, Backend> byId = new HashMap<>();
        balancer.backends().forEach(b -> byId.put(b.id(), b));
        Set<Integer> down = new TreeSet<>();
        backendIds.forEach((id, b) -> {
            Backend backend = byId.get(b);
            if (backend != null && backend.admin() == AdminState.READY && !backend.isAvailable(now)) {
                down.add(id);
            }
        });
        return down;
    }

    @Override
    public TrafficTotals totals() {
        return totals.snapshot();
    }

    @Override
    public void remove(int id) {
        String b = backendIds.remove(id);
        if (b != null) {
            balancer.maintain(b);
            balancer.removeBackend(b);
        }
        TrafficMeter m = meters.remove(id);
        if (m != null) {
            // Its last requests count in the totals, though it gets no further samples.
            totals.add(m.sample(System.nanoTime()));
        }
    }

    @Override
    public InetSocketAddress address() {
        return balancer.localAddress();
    }

    @Override
    public void close(Duration grace) {
        if (grace.isZero()) {
            balancer.close();
        } else {
            balancer.shutdownGracefully(grace);
        }
    }

    /** The balancer's backends, live, for figures per instance. */
    public Balancer balancer() {
        return balancer;
    }

    /** What every sample added up to; updated by the sampling thread and by removals. */
    private static final class Totals {
        private long requests;
        private volatile long unavailable;
        private final Map<ErrorKind, Long> errors = new EnumMap<>(ErrorKind.class);
        private final Histogram latency = new Histogram(2);

        synchronized void add(TrafficMeter.Delta d) {
            requests += d.requests();
            d.errors().forEach((k, n) -> errors.merge(k, n, Long::sum));
            latency.add(d.latencyMicros());
        }

        synchronized TrafficTotals snapshot() {
            return new TrafficTotals(requests, unavailable, errors, latency.copy());
        }
    }
}
