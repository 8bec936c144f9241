package dev.herd.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import dev.herd.balancer.Algorithm;
import dev.herd.balancer.netty.Balancer;
import dev.herd.balancer.netty.HealthCheckSettings;
import dev.herd.balancer.netty.HttpProxySettings;
import dev.herd.balancer.netty.TcpProxySettings;
import dev.herd.cluster.PortOwner;
import dev.herd.daemon.HerdException;

/**
 * Runs {@code herd balance} in the foreground until SIGTERM or SIGINT, then stops accepting,
 * lets in-flight requests finish and exits. Kept apart from {@link Main} so that no other
 * command loads Netty.
 */
final class BalanceRunner {

    /** How long in-flight requests may take to finish after SIGTERM. */
    private static final Duration GRACE = Duration.ofSeconds(30);
    /** More event loops than a few per core only add threads and file descriptors. */
    private static final int MAX_THREADS = 256;

    private BalanceRunner() {
    }

    /** What {@code herd balance} was asked for, parsed but not yet checked against each other. */
    record Options(InetSocketAddress listen, List<Balancer.BackendAddress> backends, String algorithm, String mode,
                   String transport, String healthPath, Duration connectTimeout, int maxRetries, int threads,
                   Duration slowStart, boolean forwardedHeaders, String trustedForwardHeader, Duration idleTimeout,
                   Duration headerTimeout, Duration responseTimeout, HealthOptions health) {
    }

    /** The active health check's timing and thresholds as given; null where not given. */
    record HealthOptions(Duration interval, Duration timeout, Integer rise, Integer fall) {
        boolean anyGiven() {
            return interval != null || timeout != null || rise != null || fall != null;
        }
    }

    private static Duration orDefault(Duration given, Duration otherwise) {
        return given != null ? given : otherwise;
    }

    private static HealthCheckSettings healthCheck(String path, HealthOptions h) throws HerdException {
        if (h.rise() != null && h.rise() < 1) {
            throw new HerdException("--health-rise: expected 1 or more, got " + h.rise());
        }
        if (h.fall() != null && h.fall() < 1) {
            throw new HerdException("--health-fall: expected 1 or more, got " + h.fall());
        }
        HealthCheckSettings d = HealthCheckSettings.DEFAULT;
        try {
            return new HealthCheckSettings(path, orDefault(h.interval(), d.interval()), orDefault(h.timeout(), d.timeout()),
                    h.rise() != null ? h.rise() : d.rise(), h.fall() != null ? h.fall() : d.fall());
        } catch (IllegalArgumentException e) {
            // The numbers are checked above, per option; what is left is the path.
            throw new HerdException("--health-check: " + e.getMessage());
        }
    }

    static int run(Options o) throws HerdException {
        InetSocketAddress listen = o.listen();
        List<Balancer.BackendAddress> backends = o.backends();
        String healthPath = o.healthPath();
        if (o.maxRetries() < 0) {
            throw new HerdException("--max-retries: expected 0 or more, got " + o.maxRetries());
        }
        if (o.threads() < 1 || o.threads() > MAX_THREADS) {
            throw new HerdException("--threads: expected 1 to " + MAX_THREADS + ", got " + o.threads());
        }
        if (o.connectTimeout().isZero() || o.connectTimeout().toMillis() > Integer.MAX_VALUE) {
            throw new HerdException("--connect-timeout: must be more than 0 and at most 24 days");
        }
        Balancer.Builder b = Balancer.builder().listen(listen).threads(o.threads()).slowStart(o.slowStart());
        try {
            b.algorithm(Algorithm.parse(o.algorithm()));
        } catch (IllegalArgumentException e) {
            throw new HerdException("--algorithm: " + e.getMessage());
        }
        switch (o.mode()) {
            case "http" -> {
                HttpProxySettings d = HttpProxySettings.DEFAULT;
                HttpProxySettings http;
                try {
                    http = new HttpProxySettings(o.connectTimeout(),
                            orDefault(o.headerTimeout(), d.headerReadTimeout()), orDefault(o.responseTimeout(), d.responseTimeout()),
                            orDefault(o.idleTimeout(), d.idleTimeout()), o.maxRetries(), d.maxHeaderBytes(), d.maxTargetBytes(),
                            d.replayBufferBytes(), d.passiveCoolDown(), o.trustedForwardHeader(), o.forwardedHeaders());
                } catch (IllegalArgumentException e) {
                    // The options are checked one by one above; what is left is the header's name.
                    throw new HerdException("--trusted-forward-header: " + e.getMessage());
                }
                b.mode(Balancer.Mode.HTTP).http(http);
            }
            case "tcp" -> {
                if (!o.forwardedHeaders() || o.trustedForwardHeader() != null || o.headerTimeout() != null
                        || o.responseTimeout() != null) {
                    throw new HerdException("--no-forwarded-headers, --trusted-forward-header, --header-timeout and"
                            + " --response-timeout are for --mode http");
                }
                b.mode(Balancer.Mode.TCP).tcp(new TcpProxySettings(o.connectTimeout(), o.maxRetries(),
                        orDefault(o.idleTimeout(), TcpProxySettings.DEFAULT.idleTimeout()),
                        TcpProxySettings.DEFAULT.passiveCoolDown()));
            }
            default -> throw new HerdException("--mode: expected http or tcp, got '" + o.mode() + "'");
        }
        switch (o.transport()) {
            case "epoll" -> b.transport(Balancer.Transport.EPOLL);
            case "io_uring" -> b.transport(Balancer.Transport.IO_URING);
            case "nio" -> b.transport(Balancer.Transport.NIO);
            default -> throw new HerdException("--transport: expected epoll, io_uring or nio, got '" + o.transport() + "'");
        }
        if (healthPath != null) {
            b.healthCheck(healthCheck(healthPath.isEmpty() ? null : healthPath, o.health()));
        } else if (o.health().anyGiven()) {
            throw new HerdException("--health-interval, --health-timeout, --health-rise and --health-fall need --health-check");
        }
        for (Balancer.BackendAddress backend : backends) {
            try {
                b.backend(backend);
            } catch (IllegalArgumentException e) {
                throw new HerdException("--backend: " + e.getMessage());
            }
        }
        Balancer balancer;
        try {
            balancer = b.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HerdException("interrupted while binding " + listen);
        } catch (BindException e) {
            throw new HerdException(PortOwner.bindFailure(listen.getHostString(), listen.getPort(), e));
        } catch (IOException e) {
            throw new HerdException(e.getMessage());
        }
        System.out.println("herd: balancing " + listen.getHostString() + ":" + balancer.localAddress().getPort()
                + " over " + backends.size() + " backend(s); SIGTERM or Ctrl-C stops it gracefully");
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("herd: stopping: no new connections, finishing requests in flight");
            balancer.shutdownGracefully(GRACE);
            done.countDown();
            System.err.println("herd: balancer stopped");
            // A stop asked for and carried out is a success: exit 0, not the JVM's 143 for SIGTERM.
            Runtime.getRuntime().halt(0);
        }, "herd-balance-shutdown"));
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
