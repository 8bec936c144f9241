package dev.herd.cluster;

import java.time.Duration;
import java.util.Objects;

import dev.herd.balancer.Algorithm;
import dev.herd.balancer.netty.Balancer;
import dev.herd.balancer.netty.HealthCheckSettings;
import dev.herd.balancer.netty.HttpProxySettings;
import dev.herd.balancer.netty.TcpProxySettings;

/**
 * How a cluster app's public port balances its instances: the settings of {@code herd balance},
 * with the same names and defaults.
 *
 * @param mode           http (per request) or tcp (per connection)
 * @param algorithm      how a backend is picked
 * @param http           http mode's timeouts, retries and forwarding headers
 * @param tcp            tcp mode's timeouts and retries
 * @param healthCheck    active checks of ready instances, or {@code null} for none (a crashed
 *                       instance leaves the pool at once anyway); its HTTP path, when set, is
 *                       also what a new instance must answer with 2xx to be ready
 * @param slowStart      how long a new instance's share ramps up, zero for none
 * @param instanceHeader whether responses carry {@code X-Herd-Instance: <id>}
 */
public record BalancerSettings(Balancer.Mode mode, Algorithm algorithm, HttpProxySettings http, TcpProxySettings tcp,
                               HealthCheckSettings healthCheck, Duration slowStart, boolean instanceHeader) {

    /** {@code herd balance}'s defaults: http, round-robin, no active checks, no slow start, no header. */
    public static final BalancerSettings DEFAULT = new BalancerSettings(Balancer.Mode.HTTP, Algorithm.ROUND_ROBIN,
            HttpProxySettings.DEFAULT, TcpProxySettings.DEFAULT, null, Duration.ZERO, false);

    public BalancerSettings {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(tcp, "tcp");
        Objects.requireNonNull(slowStart, "slowStart");
        if (slowStart.isNegative()) {
            throw new IllegalArgumentException("slowStart must not be negative, was " + slowStart);
        }
    }

    /** The HTTP path a new instance must answer with 2xx to be ready, or {@code null} for a TCP connect. */
    public String readinessPath() {
        return mode == Balancer.Mode.HTTP && healthCheck != null ? healthCheck.httpPath() : null;
    }
}
