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

    /**
     * Completes with how the instance of {@code pid} accepts on the socket herd handed it
     * ({@link PortSharing#SOCKET}), or with {@code null} while it does not; never exceptionally.
     * This one reads {@code /proc} ({@link AcceptWatch}) off the caller's thread.
     *
     * @param socketInode the socket's inode, as {@code /proc} names it
     */
    default CompletableFuture<String> accepting(long pid, long socketInode) {
        return CompletableFuture.supplyAsync(() -> AcceptWatch.look(pid, socketInode).how())
                .exceptionally(failure -> null);
    }
}
