package dev.herd.balancer;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * One backend's figures at one moment, as {@code list} and {@code describe} show them.
 *
 * @param requests requests (connections in tcp mode) started so far
 * @param active   requests in flight (open connections in tcp mode)
 * @param errors   failures so far by kind, every kind present (0 when none)
 * @param health   what checks say
 * @param admin    what the operator wants
 */
public record BackendStats(long requests, int active, Map<ErrorKind, Long> errors, Health health, AdminState admin) {

    /** Copies {@code errors}, so a snapshot stays one. */
    public BackendStats {
        Map<ErrorKind, Long> copy = new EnumMap<>(ErrorKind.class);
        copy.putAll(Objects.requireNonNull(errors, "errors"));
        errors = Collections.unmodifiableMap(copy);
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(admin, "admin");
    }
}
