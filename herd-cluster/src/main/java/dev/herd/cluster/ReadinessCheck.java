package dev.herd.cluster;

import java.util.concurrent.CompletableFuture;

/**
 * One look at whether an instance is ready: its port accepts a connection, or its health path
 * answers 2xx. {@link ClusterApp} repeats it until the instance is ready or its
 * {@code listen_timeout} is over.
 */
@FunctionalInterface
public interface ReadinessCheck {

    /** Completes with whether the instance on {@code 127.0.0.1:port} is ready; never exceptionally. */
    CompletableFuture<Boolean> probe(int port, String httpPath);
}
