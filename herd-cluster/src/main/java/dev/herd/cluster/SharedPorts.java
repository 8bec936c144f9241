package dev.herd.cluster;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The listening sockets herd binds on demand for apps whose instances share their listens, as a
 * Node {@code cluster} primary binds each port a worker listens on once and hands the same handle
 * to every worker that asks: the first instance to listen on a port makes herd bind it, the
 * others get the same socket, and the kernel spreads the connections over them. The sockets stay
 * open while the app exists (an instance that exits or drains loses nothing in the queue), as
 * socket mode's do; {@link #close(String)} closes an app's.
 *
 * <p>Thread-safe.
 */
public final class SharedPorts implements AutoCloseable {

    /** What an instance asking for a port gets. */
    public sealed interface Grant {
    }

    /**
     * The socket: its descriptor in this process (herd keeps it; the receiver gets a copy) and
     * its address.
     */
    public record Granted(int fd, InetSocketAddress address) implements Grant {
    }

    /**
     * No socket.
     *
     * @param code   the errno name Node.js gives such a failure ({@code EADDRINUSE}, {@code EACCES},
     *               {@code EADDRNOTAVAIL}, {@code EINVAL}), so the app's own error handling works
     * @param reason one line for the user, naming the holder of a taken port when it is visible
     */
    public record Refused(String code, String reason) implements Grant {
    }

    private final Map<String, Map<InetSocketAddress, ListeningSocket>> byApp = new HashMap<>();

    /**
     * The socket of {@code app} on {@code host:port}, bound now if none of its instances has
     * asked for it before.
     *
     * @param host the address the app names, or {@code null} (or empty) for every address, as
     *             Node's {@code listen(port)} does: IPv6's any, dual-stack, or IPv4's where the
     *             machine has no IPv6
     */
    public synchronized Grant listen(String app, String host, int port) {
        if (port < 1 || port > 65535) {
            return new Refused("EINVAL", "port " + port + " is not a port herd can share (1 to 65535)");
        }
        boolean any = host == null || host.isEmpty();
        List<String> tries = any ? List.of("::", "0.0.0.0") : List.of(host);
        Map<InetSocketAddress, ListeningSocket> own = byApp.computeIfAbsent(app, a -> new LinkedHashMap<>());
        BindException last = null;
        for (String h : tries) {
            InetSocketAddress key;
            try {
                key = new InetSocketAddress(InetAddress.getByName(h), port);
            } catch (UnknownHostException e) {
                return new Refused("ENOTFOUND", "cannot listen on " + h + ":" + port + ": unknown host");
            }
            ListeningSocket held = own.get(key);
            if (held != null) {
                return new Granted(held.fd(), held.address());
            }
            try {
                ListeningSocket s = ListeningSocket.open(h, port);
                own.put(key, s);
                return new Granted(s.fd(), s.address());
            } catch (BindException e) {
                last = e;
            } catch (IOException e) {
                last = new BindException(e.getMessage());
            }
        }
        String said = String.valueOf(last.getMessage());
        String where = any ? "port " + port : host + ":" + port;
        for (InetSocketAddress mine : own.keySet()) {
            if (mine.getPort() == port) {
                return new Refused("EADDRINUSE", "cannot listen on " + where + ": herd shares "
                        + text(mine) + " for this app already, and an app's listens on one port must name"
                        + " the same address");
            }
        }
        if (said.endsWith("the address is in use")) {
            return new Refused("EADDRINUSE", PortOwner.of(port)
                    .map(owner -> "cannot listen on " + where + ": the port is held by " + owner).orElse(said));
        }
        if (said.contains("permission denied")) {
            return new Refused("EACCES", said);
        }
        if (said.contains("not an address of this machine")) {
            return new Refused("EADDRNOTAVAIL", said);
        }
        return new Refused("EINVAL", said);
    }

    /** The addresses herd shares for {@code app}, in the order its instances first asked for them. */
    public synchronized List<InetSocketAddress> of(String app) {
        Map<InetSocketAddress, ListeningSocket> own = byApp.get(app);
        if (own == null) {
            return List.of();
        }
        List<InetSocketAddress> all = new ArrayList<>();
        own.values().forEach(s -> all.add(s.address()));
        return all;
    }

    /**
     * The index {@link InheritedListeners.Listener}s of shared listens carry in a handover
     * ({@code herd update}), apart from the public sockets of cluster apps (0 and up).
     */
    public static final int HANDOFF_INDEX = -1;

    /**
     * For the next daemon ({@code herd update}): a copy of every socket, the caller's to close;
     * these stay open here until the apps are gone.
     */
    public synchronized List<InheritedListeners.Listener> handOff() {
        List<InheritedListeners.Listener> all = new ArrayList<>();
        byApp.forEach((app, own) -> own.values().forEach(s -> all.add(new InheritedListeners.Listener(app,
                s.address().getAddress().getHostAddress(), s.address().getPort(), HANDOFF_INDEX,
                Descriptors.duplicate(s.fd())))));
        return all;
    }

    /**
     * Takes the sockets of shared listens an earlier daemon handed over ({@link #HANDOFF_INDEX}),
     * with what waits in their queues, so the apps' instances get them when they ask again.
     *
     * @return the others, left to the caller
     */
    public synchronized List<InheritedListeners.Listener> adopt(List<InheritedListeners.Listener> handed) {
        List<InheritedListeners.Listener> rest = new ArrayList<>();
        for (InheritedListeners.Listener l : handed) {
            if (l.index() != HANDOFF_INDEX) {
                rest.add(l);
                continue;
            }
            InetSocketAddress address;
            try {
                address = new InetSocketAddress(InetAddress.getByName(l.host()), l.port());
            } catch (UnknownHostException e) {
                Descriptors.close(l.fd());
                continue;
            }
            ListeningSocket before = byApp.computeIfAbsent(l.app(), a -> new LinkedHashMap<>())
                    .put(address, ListeningSocket.adopt(l.fd(), address));
            if (before != null) {
                before.close();
            }
        }
        return rest;
    }

    /** The apps herd holds sockets for. */
    public synchronized java.util.Set<String> apps() {
        return java.util.Set.copyOf(byApp.keySet());
    }

    /** Closes the sockets of {@code app} (deleted): what waits in their queues is refused. */
    public synchronized void close(String app) {
        Map<InetSocketAddress, ListeningSocket> own = byApp.remove(app);
        if (own != null) {
            own.values().forEach(ListeningSocket::close);
        }
    }

    /** {@code 127.0.0.1:8080}, {@code [::]:8080}. */
    static String text(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + (a.getAddress().isAnyLocalAddress() ? "::" : host) + "]" : host) + ":" + a.getPort();
    }

    /** Closes every socket. */
    @Override
    public synchronized void close() {
        byApp.values().forEach(own -> own.values().forEach(ListeningSocket::close));
        byApp.clear();
    }
}
