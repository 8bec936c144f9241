package dev.herd.agent;

import java.io.PrintStream;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The listening socket herd handed this JVM, and the first bind of the app's port that becomes
 * it. The app's socket keeps its own descriptor number, which {@code dup2(2)} turns into one more
 * descriptor of herd's socket (closing the app's unbound socket at once): every part of the JDK
 * that knows the channel by that number (accept, selectors, close, virtual threads' poller) goes
 * on as before, and a close closes only the app's descriptor, never the socket, which herd and the
 * other instances hold too.
 *
 * <p>The {@code on*} methods are called by the advice woven into {@code java.base}, which reaches
 * this class through the system class loader by reflection (a class of {@code java.base} cannot
 * link to one on the class path); they are public for that alone and are no API. Each returns what
 * tells the advice to skip the JDK's own bind, or to let it run: it never throws.
 */
public final class InheritedSocket {

    private static volatile InheritedSocket installed;

    private final int port;
    private final int source;
    private final InetSocketAddress address;
    private final JdkSockets jdk;
    private final JdkSockets.Impl impl;
    private final PrintStream err;
    private final AtomicBoolean taken = new AtomicBoolean();
    private volatile WeakReference<Object> takenImpl = new WeakReference<>(null);
    private volatile WeakReference<Object> takenChannel = new WeakReference<>(null);
    /** The sockets put in place of herd's on a stop signal, kept open for the life of the process. */
    private final List<ServerSocketChannel> quiet = new CopyOnWriteArrayList<>();

    /**
     * @param port    the app's public port ({@code HERD_LISTEN_PORT}): a bind of it, on any host,
     *                becomes the socket
     * @param source  a descriptor of herd's socket that only this object uses, so that it stays
     *                open and means that socket for the life of the process
     * @param address where herd's socket listens
     * @param impl    the {@code java.net.ServerSocket} side, or null when this JDK's could not be
     *                looked up (then only channels take the socket)
     */
    InheritedSocket(int port, int source, InetSocketAddress address, JdkSockets jdk, JdkSockets.Impl impl,
                    PrintStream err) {
        this.port = port;
        this.source = source;
        this.address = address;
        this.jdk = jdk;
        this.impl = impl;
        this.err = err;
    }

    /** Makes this the socket the advice hands over; done once, by the agent's premain. */
    static void install(InheritedSocket socket) {
        installed = socket;
    }

    /**
     * Called at the start of {@code ServerSocketChannelImpl.netBind(local, backlog)}, under the
     * channel's state lock with the channel open and unbound.
     *
     * @return the address the channel is now bound to, when it took the socket (the JDK's bind
     *         and listen are then skipped); null to let them run
     */
    public static SocketAddress onChannelBind(Object channel, SocketAddress local) {
        InheritedSocket socket = installed;
        return socket == null ? null : socket.channelBind(channel, local);
    }

    /**
     * Called at the start of {@code NioSocketImpl.bind(host, port)}.
     *
     * @return true when the socket impl took the socket (the JDK's bind is then skipped)
     */
    public static boolean onSocketBind(Object socketImpl, InetAddress host, int port) {
        InheritedSocket socket = installed;
        return socket != null && socket.socketBind(socketImpl, host, port);
    }

    /**
     * Called at the start of {@code NioSocketImpl.listen(backlog)}.
     *
     * @return true when the socket impl is the one that took the socket: herd's socket listens
     *         already, and a listen of the app's would change its queue's length for every instance
     */
    public static boolean onSocketListen(Object socketImpl) {
        InheritedSocket socket = installed;
        return socket != null && socket.socketListen(socketImpl);
    }

    SocketAddress channelBind(Object channel, SocketAddress local) {
        if (!(local instanceof InetSocketAddress asked) || !matches(asked) || !taken.compareAndSet(false, true)) {
            return null;
        }
        try {
            jdk.dup2(source, jdk.channelFd(channel));
            takenChannel = new WeakReference<>(channel);
            announce(asked.getHostString());
            return address;
        } catch (Throwable e) {
            fallBack(asked.getHostString(), e);
            return null;
        }
    }

    boolean socketBind(Object socketImpl, InetAddress host, int port) {
        if (impl == null || port != this.port || host == null || !impl.isServer(socketImpl)) {
            return false;
        }
        synchronized (impl.lock(socketImpl)) {
            // A closed or bound impl is the JDK's to refuse, with its own exception.
            if (!impl.isUnbound(socketImpl) || !taken.compareAndSet(false, true)) {
                return false;
            }
            try {
                jdk.dup2(source, impl.descriptor(socketImpl));
            } catch (Throwable e) {
                fallBack(host.getHostAddress(), e);
                return false;
            }
            impl.bound(socketImpl, host, address.getPort());
            takenImpl = new WeakReference<>(socketImpl);
        }
        announce(host.getHostAddress());
        return true;
    }

    boolean socketListen(Object socketImpl) {
        if (impl == null || takenImpl.get() != socketImpl) {
            return false;
        }
        synchronized (impl.lock(socketImpl)) {
            // Closed since its bind: the JDK's listen says so.
            return (int) impl.state().get(socketImpl) == impl.unconnected();
        }
    }

    /**
     * The instance got its stop signal: a channel that accepts in blocking mode (Tomcat's and
     * Jetty's acceptor threads) takes no connection from herd's socket any more. Such a server
     * stops by pausing its acceptor and then closing the channel, but its acceptor sits in
     * {@code accept(2)} on the socket every instance shares, and the connection that wakes it is
     * then dropped unanswered (Tomcat destroys what it accepts while paused). So the channel's
     * descriptor is made one of a private listening socket that nobody connects to, and its blocked
     * accept is woken, to wait on that one until the server closes the channel; the connections
     * queued on herd's socket go to the other instances. A channel used with a selector (the
     * JDK's {@code HttpServer}, Netty) is left alone: it takes only what it asks for.
     */
    void stopAccepting() {
        Object channel = takenChannel.get();
        if (!(channel instanceof ServerSocketChannel c) || !c.isOpen() || !c.isBlocking() || !jdk.canWake()) {
            return;
        }
        try {
            ServerSocketChannel idle = ServerSocketChannel.open();
            idle.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            quiet.add(idle);
            // Another descriptor of the same number: the acceptor's next poll is on the idle socket.
            jdk.dup2(jdk.channelFd(idle), jdk.channelFd(channel));
            jdk.wakeAcceptor(channel);
        } catch (Throwable e) {
            err.println("[herd] cannot stop the acceptor taking connections from herd's socket (" + ListenAgent.reason(e)
                    + "): the one it takes while stopping may be dropped");
        }
    }

    private boolean matches(InetSocketAddress asked) {
        return asked.getPort() == port && !asked.isUnresolved();
    }

    private void announce(String host) {
        err.println("[herd] " + hostPort(host) + " is the socket herd hands this instance (fd 0)");
    }

    private void fallBack(String host, Throwable e) {
        err.println("[herd] cannot make " + hostPort(host) + " the socket herd hands this instance ("
                + ListenAgent.reason(e) + "): it binds as usual");
    }

    private String hostPort(String host) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
