package dev.herd.supervisor;

import java.util.List;
import java.util.Objects;

/**
 * Listening sockets an instance gets from herd instead of binding its own, the way systemd's
 * socket activation hands them over ({@code sd_listen_fds(3)}): the first at descriptor 3, the
 * next at 4 and so on, announced by {@code LISTEN_FDS}, {@code LISTEN_PID} (the instance's own
 * pid) and {@code LISTEN_FDNAMES}. The descriptors stay open in herd: an instance that exits or
 * closes its copy loses nothing that waits in the queue.
 *
 * <p>It may also carry the instance's message channel (one end of a socket pair), handed over
 * after the sockets and not counted in {@code LISTEN_FDS}: Node.js's own IPC channel
 * ({@code NODE_CHANNEL_FD}), on which herd sends the sockets an instance asks for.
 *
 * @param fds     the descriptors, in this process, of the sockets to hand over, in order; empty
 *                when only a channel goes
 * @param names   one name per socket ({@code LISTEN_FDNAMES}); no colons
 * @param asStdin whether the first socket is also the instance's standard input, where the JDK's
 *                {@code System.inheritedChannel()} (and Jetty and Tomcat through it) look for it
 * @param channel the descriptor, in this process, of the channel's end the instance gets, or -1
 */
public record Handover(List<Integer> fds, List<String> names, boolean asStdin, int channel) {

    /** The descriptor number the first socket gets in the instance ({@code SD_LISTEN_FDS_START}). */
    public static final int FIRST_FD = 3;

    public Handover {
        fds = List.copyOf(fds);
        names = List.copyOf(names);
        if (fds.isEmpty() && channel < 0) {
            throw new IllegalArgumentException("a handover needs at least one socket or a channel");
        }
        if (fds.isEmpty() && asStdin) {
            throw new IllegalArgumentException("no socket to give as stdin");
        }
        if (channel < -1) {
            throw new IllegalArgumentException("not a descriptor: " + channel);
        }
        if (names.size() != fds.size()) {
            throw new IllegalArgumentException("one name per socket: " + fds.size() + " sockets, " + names.size() + " names");
        }
        for (String name : names) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || name.contains(":")) {
                throw new IllegalArgumentException("a socket's name must be non-empty and without ':': '" + name + "'");
            }
        }
        for (int fd : fds) {
            if (fd < 0) {
                throw new IllegalArgumentException("not a descriptor: " + fd);
            }
        }
    }

    /** Sockets and no channel. */
    public Handover(List<Integer> fds, List<String> names, boolean asStdin) {
        this(fds, names, asStdin, -1);
    }

    /** One socket under one name. */
    public static Handover of(int fd, String name, boolean asStdin) {
        return new Handover(List.of(fd), List.of(name), asStdin);
    }

    /** A channel alone, no socket. */
    public static Handover channelOnly(int channel) {
        return new Handover(List.of(), List.of(), false, channel);
    }

    /** These sockets and {@code fd} as the channel. */
    public Handover withChannel(int fd) {
        return new Handover(fds, names, asStdin, fd);
    }

    /** The descriptor number the channel gets in the instance: right after the sockets. */
    public int channelNumber() {
        return FIRST_FD + fds.size();
    }

    /** Whether it hands listening sockets over (systemd's protocol), not just a channel. */
    public boolean hasSockets() {
        return !fds.isEmpty();
    }

    /** {@code LISTEN_FDNAMES}: the names joined by colons. */
    public String fdNames() {
        return String.join(":", names);
    }
}
