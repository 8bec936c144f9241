package dev.herd.balancer;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The balancing algorithms, by the names the command line uses. Every one uses the backends' weights. */
public enum Algorithm {
    /**
     * Each available backend in turn, as many turns as its weight, interleaved (smooth weighted
     * round-robin, as nginx; HAProxy's {@code roundrobin} is weighted too).
     */
    ROUND_ROBIN("round-robin"),
    /** The backend with the fewest requests in flight (connections in tcp mode) for its weight. */
    LEAST_CONN("least-conn"),
    /** The same client to the same backend, by consistent (rendezvous) hashing of its key. */
    IP_HASH("ip-hash"),
    /**
     * The same as {@link #ROUND_ROBIN}, which is weighted now; the name is still accepted, as
     * configurations written for it use it.
     */
    WEIGHTED("weighted"),
    /** At random among the available, by weight. */
    RANDOM("random"),
    /** Power of two choices on peak-EWMA latency times load, over weight, as Finagle. */
    P2C("p2c");

    private final String cliName;

    Algorithm(String cliName) {
        this.cliName = cliName;
    }

    /** The name on the command line and in configuration, e.g. {@code least-conn}. */
    public String cliName() {
        return cliName;
    }

    /**
     * The algorithm of a command-line name, case-insensitive.
     *
     * @throws IllegalArgumentException naming the accepted names when {@code name} is none of them
     */
    public static Algorithm parse(String name) {
        if (name != null) {
            String wanted = name.trim().toLowerCase(Locale.ROOT);
            for (Algorithm a : values()) {
                if (a.cliName.equals(wanted)) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("unknown algorithm '" + name + "': expected one of "
                + Arrays.stream(values()).map(Algorithm::cliName).collect(Collectors.joining(", ")));
    }
}
