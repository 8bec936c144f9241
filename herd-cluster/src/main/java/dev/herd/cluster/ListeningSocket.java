package dev.herd.cluster;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * A TCP socket bound and listening in this process, made with the system calls themselves so that
 * its descriptor is known and can be handed to instances ({@link dev.herd.supervisor.Handover});
 * the JDK's channels do not tell theirs. herd never accepts on it: the instances do.
 *
 * <p>The queue is as long as the system allows ({@code net.core.somaxconn}): while every instance
 * restarts, connections wait there instead of being refused.
 */
final class ListeningSocket implements AutoCloseable {

    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_REUSEPORT = 15;
    private static final int EADDRINUSE = 98;
    private static final int EADDRNOTAVAIL = 99;
    private static final int EACCES = 13;
    /** Linux cuts a backlog down to {@code net.core.somaxconn}: ask for the most. */
    static final int BACKLOG = 65535;

    private interface LibC extends Library {
        int socket(int domain, int type, int protocol) throws LastErrorException;

        int setsockopt(int fd, int level, int name, Memory value, int length) throws LastErrorException;

        int bind(int fd, Memory address, int length) throws LastErrorException;

        int listen(int fd, int backlog) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        String strerror(int errnum);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);

    private final int fd;
    private final InetSocketAddress address;
    private boolean closed;

    private ListeningSocket(int fd, InetSocketAddress address) {
        this.fd = fd;
        this.address = address;
    }

    /**
     * Binds {@code host:port} and listens.
     *
     * @throws BindException naming the address when it is taken, not this machine's, or not allowed
     */
    static ListeningSocket open(String host, int port) throws IOException {
        return open(host, port, false);
    }

    /**
     * Binds {@code host:port} and listens; with {@code reusePort}, as one of a group of sockets
     * on that port ({@code SO_REUSEPORT}) among which the kernel spreads new connections. Every
     * member of the group must be opened so, by the same user.
     *
     * @throws BindException naming the address when it is taken, not this machine's, or not allowed
     */
    static ListeningSocket open(String host, int port, boolean reusePort) throws IOException {
        String where = host + ":" + port;
        InetAddress ip;
        try {
            ip = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new BindException("cannot listen on " + where + ": unknown host");
        }
        boolean v4 = ip instanceof Inet4Address;
        Memory addr = v4 ? new Memory(16) : new Memory(28);
        addr.clear();
        addr.setShort(0, (short) (v4 ? AF_INET : AF_INET6));
        // sin_port and sin6_port are in network byte order.
        addr.setByte(2, (byte) (port >> 8));
        addr.setByte(3, (byte) port);
        addr.write(v4 ? 4 : 8, ip.getAddress(), 0, ip.getAddress().length);
        int fd = LIBC.socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try {
            Memory one = new Memory(4);
            one.setInt(0, 1);
            LIBC.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4);
            if (reusePort) {
                LIBC.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, one, 4);
            }
            LIBC.bind(fd, addr, (int) addr.size());
            LIBC.listen(fd, BACKLOG);
        } catch (LastErrorException e) {
            LIBC.close(fd);
            throw switch (e.getErrorCode()) {
                case EADDRINUSE -> new BindException("cannot listen on " + where + ": the address is in use");
                case EADDRNOTAVAIL -> new BindException("cannot listen on " + where + ": not an address of this machine");
                case EACCES -> new BindException("cannot listen on " + where
                        + ": permission denied (ports below 1024 need privileges)");
                default -> new BindException("cannot listen on " + where + ": " + LIBC.strerror(e.getErrorCode()));
            };
        }
        return new ListeningSocket(fd, new InetSocketAddress(ip, port));
    }

    /**
     * Takes over a socket that listens on {@code address} already: one an earlier daemon handed
     * over, with the connections waiting in its queue.
     */
    static ListeningSocket adopt(int fd, InetSocketAddress address) {
        return new ListeningSocket(fd, address);
    }

    /** Its descriptor in this process. */
    int fd() {
        return fd;
    }

    InetSocketAddress address() {
        return address;
    }

    /** Closes it here; instances that hold a copy keep theirs until they close it or exit. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Descriptors.close(fd);
        }
    }
}
