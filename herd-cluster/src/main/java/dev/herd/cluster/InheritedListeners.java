package dev.herd.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public listening sockets an earlier daemon handed over ({@code herd update}), still
 * listening, with what connected meanwhile in their queues: a cluster app opening its public port
 * takes the one on its address instead of binding a new socket, so the update refuses nothing.
 *
 * <p>Thread-safe.
 */
public final class InheritedListeners {

    private static final Logger log = LoggerFactory.getLogger(InheritedListeners.class);

    /**
     * One handed-over socket.
     *
     * @param app  the app whose public port it was
     * @param host its address, as the app's cluster spec says it
     * @param port its port
     * @param fd   its descriptor in this process
     */
    public record Listener(String app, String host, int port, int fd) {
    }

    private final Map<String, Listener> byAddress = new LinkedHashMap<>();

    /** Keeps these until an app takes one or {@link #closeRest} closes what is left. */
    public synchronized void add(List<Listener> listeners) {
        for (Listener l : listeners) {
            Listener before = byAddress.put(key(l.host(), l.port()), l);
            if (before != null) {
                Descriptors.close(before.fd());
            }
        }
    }

    /** The socket on {@code host:port}, now the caller's to close, if one was handed over. */
    synchronized OptionalInt take(String host, int port) {
        Listener l = byAddress.remove(key(host, port));
        return l == null ? OptionalInt.empty() : OptionalInt.of(l.fd());
    }

    /**
     * Closes the sockets no app took (its app is gone from the list, or stays stopped): their
     * queued connections are reset rather than left waiting for nobody.
     */
    public synchronized void closeRest() {
        for (Listener l : byAddress.values()) {
            log.info("{}: the public port {}:{} handed over is not used: closing it", l.app(), l.host(), l.port());
            Descriptors.close(l.fd());
        }
        byAddress.clear();
    }

    private static String key(String host, int port) {
        return host + ":" + port;
    }
}
