package dev.herd.balancer;

/**
 * Picks the backend for one request (http mode) or connection (tcp mode).
 *
 * <p>An instance is built over a fixed list of backends and never changes its membership: when
 * backends join or leave, the owner builds a new one and swaps it in through a volatile field,
 * so a pick takes no lock (Armeria's design). Backend <em>state</em> (health, admin, load) is
 * read live through {@link Backend}. Implementations are thread-safe.
 */
@FunctionalInterface
public interface LoadBalancer {

    /**
     * The backend to use, or {@code null} when none is available (every one unhealthy,
     * draining or in maintenance): the caller then answers 503.
     */
    Backend pick(RequestInfo request);
}
