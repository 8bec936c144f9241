package dev.herd.cluster;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

import org.HdrHistogram.Histogram;

import dev.herd.balancer.ErrorKind;

/**
 * A cluster app's traffic since its public port opened, every instance it has had included: the
 * counters a Prometheus scrape turns into rates and latency quantiles.
 *
 * @param requests      requests (connections, in tcp mode) sent to an instance
 * @param unavailable   requests refused because no instance was available (503s)
 * @param errors        failures by kind, every kind present
 * @param latencyMicros the answered requests' latencies in microseconds, a copy of its own
 */
public record TrafficTotals(long requests, long unavailable, Map<ErrorKind, Long> errors, Histogram latencyMicros) {

    /** Copies {@code errors} with every kind present. */
    public TrafficTotals {
        Map<ErrorKind, Long> copy = new EnumMap<>(ErrorKind.class);
        for (ErrorKind k : ErrorKind.values()) {
            copy.put(k, 0L);
        }
        copy.putAll(Objects.requireNonNull(errors, "errors"));
        errors = Collections.unmodifiableMap(copy);
        Objects.requireNonNull(latencyMicros, "latencyMicros");
    }

    /** An app whose port has not opened. */
    public static TrafficTotals none() {
        return new TrafficTotals(0, 0, Map.of(), new Histogram(2));
    }
}
