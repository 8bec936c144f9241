package dev.herd.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PM2's {@code filter_env}: which variables of the environment an app inherits from
 * {@code herd start} it does not get. Its own {@code env} and the variables herd gives each
 * instance are never filtered.
 *
 * <p>PM2's rules: {@code true} drops them all (PM2 documents this but its code skips a boolean;
 * herd does what it documents), a string drops the variable of that name, and a list drops every
 * variable whose name contains one of its strings (anywhere in the name, as PM2 matches).
 *
 * @param all   drop every inherited variable
 * @param name  the one variable to drop, or {@code null}
 * @param parts drop the variables whose names contain one of these
 */
record EnvFilter(boolean all, String name, List<String> parts) {

    /** {@code filter_env: true}. */
    static final EnvFilter ALL = new EnvFilter(true, null, List.of());

    EnvFilter {
        parts = List.copyOf(parts);
    }

    /** {@code filter_env: NAME}. */
    static EnvFilter exactly(String name) {
        return new EnvFilter(false, name, List.of());
    }

    /** {@code filter_env: [A, B]}. */
    static EnvFilter containing(List<String> parts) {
        return new EnvFilter(false, null, parts);
    }

    /** The variables of {@code inherited} that pass, in their order. */
    Map<String, String> apply(Map<String, String> inherited) {
        Map<String, String> kept = new LinkedHashMap<>();
        if (all) {
            return kept;
        }
        inherited.forEach((key, value) -> {
            if (!key.equals(name) && parts.stream().noneMatch(key::contains)) {
                kept.put(key, value);
            }
        });
        return kept;
    }
}
