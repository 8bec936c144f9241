package dev.herd.cluster;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Raw descriptors of this process, for the listening sockets one daemon hands to the next
 * ({@code herd update}) and the channels instances inherit: the JDK keeps its own behind its
 * channels and cannot copy or close one it did not open.
 */
public final class Descriptors {

    private static final int F_DUPFD_CLOEXEC = 1030;

    private interface LibC extends Library {
        int fcntl(int fd, int cmd, int arg) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int listen(int fd, int backlog) throws LastErrorException;

        int socketpair(int domain, int type, int protocol, int[] sv) throws LastErrorException;
    }

    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;

    private static final LibC LIBC = Native.load("c", LibC.class);

    private Descriptors() {
    }

    /**
     * A copy of {@code fd} that stays open when the original closes, closed on exec: only what
     * herd hands an instance on purpose reaches it.
     *
     * @throws IllegalStateException when the process is out of descriptors or {@code fd} is not open
     */
    public static int duplicate(int fd) {
        try {
            return LIBC.fcntl(fd, F_DUPFD_CLOEXEC, 3);
        } catch (LastErrorException e) {
            throw new IllegalStateException("cannot copy descriptor " + fd + ": errno " + e.getErrorCode(), e);
        }
    }

    /**
     * A connected pair of Unix stream sockets, both closed on exec: a channel to a child, which
     * gets one end. Raw descriptors, as a Java channel's close shuts the socket down for every
     * copy, the child's too.
     *
     * @throws java.io.IOException when the process is out of descriptors
     */
    public static int[] socketPair() throws java.io.IOException {
        int[] sv = new int[2];
        try {
            LIBC.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        } catch (LastErrorException e) {
            throw new java.io.IOException("cannot make a socket pair: errno " + e.getErrorCode());
        }
        return sv;
    }

    /** Closes {@code fd}; one closed already is no error, as nothing is left open either way. */
    public static void close(int fd) {
        try {
            LIBC.close(fd);
        } catch (LastErrorException e) {
            // EBADF or EINTR: on Linux the descriptor is released in both cases.
        }
    }

    /**
     * Sets the accept queue of a socket that listens already to the longest the system allows: a
     * socket that waits for its next owner takes every connection meanwhile.
     */
    static void longestQueue(int fd) {
        try {
            LIBC.listen(fd, ListeningSocket.BACKLOG);
        } catch (LastErrorException e) {
            // The queue keeps the length it had, which still holds connections.
        }
    }
}
