package dev.herd.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

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
     * @param app   the app whose public port it was
     * @param host  its address, as the app's cluster spec says it
     * @param port  its port
     * @param index the instance index it is for ({@link PortSharing#REUSEPORT}), else 0
     * @param fd    its descriptor in this process
     */
    public record Listener(String app, String host, int port, int index, int fd) {
    }

    /** By {@code host:port}, then by instance index. */
    private final Map<String, SortedMap<Integer, Listener>> byAddress = new LinkedHashMap<>();

    /** Keeps these until an app takes one or {@link #closeRest} closes what is left. */
    public synchronized void add(List<Listener> listeners) {
        for (Listener l : listeners) {
            Listener before = byAddress.computeIfAbsent(key(l.host(), l.port()), k -> new TreeMap<>()).put(l.index(), l);
            if (before != null) {
                Descriptors.close(before.fd());
            }
        }
    }

    /** The sockets on {@code host:port} by instance index, now the caller's to close; empty if none was handed over. */
    synchronized SortedMap<Integer, Integer> take(String host, int port) {
        SortedMap<Integer, Integer> fds = new TreeMap<>();
        SortedMap<Integer, Listener> taken = byAddress.remove(key(host, port));
        if (taken != null) {
            taken.forEach((index, l) -> fds.put(index, l.fd()));
        }
        return fds;
    }

    /**
     * Closes the sockets no app took (its app is gone from the list, or stays stopped): their
     * queued connections are reset rather than left waiting for nobody.
     */
    public synchronized void closeRest() {
        for (Listener l : byAddress.values().stream().flatMap(m -> m.values().stream()).toList()) {
            log.info("{}: the public socket {}:{} (instance {}) handed over is not used: closing it", l.app(), l.host(),
                    l.port(), l.index());
            Descriptors.close(l.fd());
        }
        byAddress.clear();
    }

    private static String key(String host, int port) {
        return host + ":" + port;
    }
}
