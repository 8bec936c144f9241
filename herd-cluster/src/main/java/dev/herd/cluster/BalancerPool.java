package dev.herd.cluster;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import dev.herd.balancer.AdminState;
import dev.herd.balancer.Backend;
import dev.herd.balancer.netty.Balancer;

/**
 * A {@link Pool} on a {@link Balancer} in this process: each instance is a backend on
 * {@code 127.0.0.1:<its port>}, named by its id (the {@code X-Herd-Instance} value).
 *
 * <p>Thread-safe, as the balancer is.
 */
public final class BalancerPool implements Pool {

    /** The header that names the instance that answered, when the app asks for it. */
    public static final String INSTANCE_HEADER = "X-Herd-Instance";

    private final Balancer balancer;
    private final Map<Integer, String> backendIds = new ConcurrentHashMap<>();

    private BalancerPool(Balancer balancer) {
        this.balancer = balancer;
    }

    /** Opens pools on the cluster's public address with the cluster's balancer settings. */
    public static Pool.Factory factory() {
        return BalancerPool::open;
    }

    /** Binds the public port with no backend yet (requests get 503 until one is admitted). */
    public static BalancerPool open(ClusterSpec spec) throws IOException {
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
        try {
            return new BalancerPool(b.start());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while binding " + spec.host() + ":" + spec.port());
        }
    }

    @Override
    public void add(int id, int port) {
        Backend backend = balancer.addBackend(new Balancer.BackendAddress("127.0.0.1", port, 1, Integer.toString(id)),
                AdminState.MAINTENANCE);
        backendIds.put(id, backend.id());
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
    public void remove(int id) {
        String b = backendIds.remove(id);
        if (b != null) {
            balancer.maintain(b);
            balancer.removeBackend(b);
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
}
