package dev.herd.cluster;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import dev.herd.balancer.netty.ReadinessProbe;

/**
 * Readiness by the balancer's own probe: a TCP connect to {@code 127.0.0.1:port}, or
 * {@code GET path} answered with 2xx. One probe (its own small event loop) serves every app.
 */
public final class ProbeReadiness implements ReadinessCheck, AutoCloseable {

    /** Long enough for a loaded machine's connect; short against the time between two probes of a slow start. */
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    private final ReadinessProbe probe = ReadinessProbe.create();

    @Override
    public CompletableFuture<Boolean> probe(int port, String httpPath) {
        return probe.probe(new InetSocketAddress("127.0.0.1", port), httpPath, TIMEOUT);
    }

    @Override
    public void close() {
        probe.close();
    }
}
