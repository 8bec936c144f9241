package dev.herd.cluster;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

import dev.herd.supervisor.ProcessTree;

/**
 * Whether an instance in {@link PortSharing#SOCKET} mode accepts connections on the socket herd
 * handed it: read from {@code /proc}, since a shared socket cannot be probed per instance (a
 * connection to it reaches whichever instance accepts first). A process of the instance's tree
 * accepts when one of its epoll sets watches the socket (libuv, the JDK's selectors, Go, asyncio:
 * {@code /proc/<pid>/fdinfo} lists the inode of every descriptor an epoll set watches), or when a
 * thread waits in {@code accept} on it, or in {@code poll} or {@code select} with it among the
 * descriptors waited on ({@code /proc/<pid>/task/<tid>/syscall} names the call and its arguments,
 * and the thread's memory the descriptors: a blocking server, a prefork worker). The last two need
 * what a debugger needs (the same user, and herd an ancestor), which a supervisor is.
 *
 * <p>It also finds what a misconfigured app does instead: the TCP ports its tree listens on
 * itself.
 */
final class AcceptWatch {

    private static final long SYS_POLL = 7;
    private static final long SYS_SELECT = 23;
    private static final long SYS_ACCEPT = 43;
    private static final long SYS_PSELECT6 = 270;
    private static final long SYS_PPOLL = 271;
    private static final long SYS_ACCEPT4 = 288;
    private static final int POLLIN = 1;
    /** Enough for any server's poll set; a bound on what is read of another process's memory. */
    private static final long MAX_POLLED = 4096;

    /**
     * One look.
     *
     * @param how       how it accepts, or {@code null} while it does not
     * @param ownPorts  the TCP ports its processes listen on with sockets of their own
     */
    record Look(String how, Set<Integer> ownPorts) {
        boolean accepting() {
            return how != null;
        }
    }

    private AcceptWatch() {
    }

    /** The inode of the socket behind this process's descriptor {@code fd}, as {@code /proc} links name it. */
    static long inodeOf(int fd) throws IOException {
        return socketInode(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
    }

    /** Looks at the tree of {@code pid} for the socket of inode {@code socket}; never throws. */
    static Look look(long pid, long socket) {
        Set<Long> otherSockets = new HashSet<>();
        String how = null;
        for (ProcessTree.Stat p : ProcessTree.treeOf(pid)) {
            Path proc = Path.of("/proc", Long.toString(p.pid()));
            Map<Integer, String> fds = descriptors(proc);
            Set<Integer> socketFds = new HashSet<>();
            for (Map.Entry<Integer, String> fd : fds.entrySet()) {
                long inode = socketInode(fd.getValue());
                if (inode == socket) {
                    socketFds.add(fd.getKey());
                } else if (inode > 0) {
                    otherSockets.add(inode);
                }
            }
            if (how == null && !socketFds.isEmpty()) {
                how = howItAccepts(proc, fds, socketFds, socket);
            }
        }
        return new Look(how, listeningPorts(otherSockets));
    }

    private static String howItAccepts(Path proc, Map<Integer, String> fds, Set<Integer> socketFds, long socket) {
        for (Map.Entry<Integer, String> fd : fds.entrySet()) {
            if (fd.getValue().equals("anon_inode:[eventpoll]")) {
                String info = read(proc.resolve("fdinfo").resolve(Integer.toString(fd.getKey())));
                if (info != null && epollTargets(info).contains(socket)) {
                    return "it accepts on the socket herd handed it: an epoll set watches it";
                }
            }
        }
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
            for (Path task : tasks) {
                String line = read(task.resolve("syscall"));
                if (line == null) {
                    continue;
                }
                OptionalInt accept = acceptFd(line);
                if (accept.isPresent() && socketFds.contains(accept.getAsInt())) {
                    return "it accepts on the socket herd handed it: a thread waits in accept";
                }
                Set<Integer> polled = polledFds(task.resolve("mem"), line);
                if (polled.stream().anyMatch(socketFds::contains)) {
                    return "it accepts on the socket herd handed it: a thread polls it";
                }
            }
        } catch (IOException e) {
            // Gone, or its threads are not ours to read.
        }
        return null;
    }

    private static Map<Integer, String> descriptors(Path proc) {
        Map<Integer, String> fds = new HashMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : dir) {
                try {
                    fds.put(Integer.parseInt(fd.getFileName().toString()), Files.readSymbolicLink(fd).toString());
                } catch (IOException | NumberFormatException e) {
                    // Closed while listed.
                }
            }
        } catch (IOException e) {
            // Gone, or not ours to read.
        }
        return fds;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return null;
        }
    }

    /** The inode of a {@code socket:[123]} link, or 0 for any other link. */
    static long socketInode(String link) {
        if (!link.startsWith("socket:[") || !link.endsWith("]")) {
            return 0;
        }
        try {
            return Long.parseLong(link.substring("socket:[".length(), link.length() - 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * The inodes an epoll set watches, from its {@code fdinfo}: one line per target,
     * {@code tfd:        3 events:       19 data: ... pos:0 ino:4f2a sdev:8}, the inode in hex.
     */
    static Set<Long> epollTargets(String fdinfo) {
        Set<Long> inodes = new HashSet<>();
        for (String line : fdinfo.split("\n")) {
            if (!line.startsWith("tfd:")) {
                continue;
            }
            int at = line.indexOf(" ino:");
            if (at < 0) {
                continue;
            }
            int end = line.indexOf(' ', at + 5);
            try {
                inodes.add(Long.parseLong(line.substring(at + 5, end < 0 ? line.length() : end), 16));
            } catch (NumberFormatException e) {
                // A line of another shape: not a target.
            }
        }
        return inodes;
    }

    /**
     * The descriptor a thread waits to accept on, from its {@code syscall} file: the call's
     * number, then its arguments in hex ({@code 288 0x3 0x7ffc... ...}); empty for any other call.
     */
    static OptionalInt acceptFd(String syscall) {
        String[] f = syscall.trim().split("\\s+");
        if (f.length < 2) {
            return OptionalInt.empty();
        }
        try {
            long call = Long.parseLong(f[0]);
            if (call != SYS_ACCEPT && call != SYS_ACCEPT4) {
                return OptionalInt.empty();
            }
            return OptionalInt.of((int) Long.parseLong(f[1].startsWith("0x") ? f[1].substring(2) : f[1], 16));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * The descriptors a thread waits on to read, when its {@code syscall} file says it is in
     * {@code poll}/{@code ppoll} (the {@code pollfd} array its first two arguments give) or
     * {@code select}/{@code pselect6} (the read set its first two give), read from its memory;
     * empty for any other call, or when the memory is not ours to read.
     */
    static Set<Integer> polledFds(Path mem, String syscall) {
        String[] f = syscall.trim().split("\\s+");
        if (f.length < 3) {
            return Set.of();
        }
        try {
            long call = Long.parseLong(f[0]);
            long a0 = Long.parseUnsignedLong(hex(f[1]), 16);
            long a1 = Long.parseUnsignedLong(hex(f[2]), 16);
            if (call == SYS_POLL || call == SYS_PPOLL) {
                int n = (int) Math.min(a1, MAX_POLLED);
                return pollFds(readMemory(mem, a0, n * 8));
            }
            if (call == SYS_SELECT || call == SYS_PSELECT6) {
                int n = (int) Math.min(a0, MAX_POLLED);
                return a1 == 0 ? Set.of() : selectFds(readMemory(mem, a1, (n + 7) / 8), n);
            }
        } catch (NumberFormatException | IOException e) {
            // Another shape, or memory we may not read: no answer from this thread.
        }
        return Set.of();
    }

    private static String hex(String word) {
        return word.startsWith("0x") ? word.substring(2) : word;
    }

    private static byte[] readMemory(Path mem, long address, int length) throws IOException {
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(mem.toFile(), "r")) {
            file.seek(address);
            byte[] bytes = new byte[length];
            file.readFully(bytes);
            return bytes;
        }
    }

    /** The descriptors of a {@code struct pollfd} array (int fd, short events, short revents) waiting to read. */
    static Set<Integer> pollFds(byte[] array) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(array).order(java.nio.ByteOrder.nativeOrder());
        Set<Integer> fds = new HashSet<>();
        for (int i = 0; i + 8 <= array.length; i += 8) {
            if ((b.getShort(i + 4) & POLLIN) != 0) {
                fds.add(b.getInt(i));
            }
        }
        return fds;
    }

    /** The descriptors of an {@code fd_set} bitmap of {@code nfds} bits (bit k of byte k / 8 on Linux). */
    static Set<Integer> selectFds(byte[] set, int nfds) {
        Set<Integer> fds = new HashSet<>();
        for (int fd = 0; fd < nfds && fd / 8 < set.length; fd++) {
            if ((set[fd / 8] & (1 << (fd % 8))) != 0) {
                fds.add(fd);
            }
        }
        return fds;
    }

    /** The TCP ports on which sockets of these inodes listen. */
    private static Set<Integer> listeningPorts(Set<Long> inodes) {
        Set<Integer> ports = new TreeSet<>();
        if (!inodes.isEmpty()) {
            PortOwner.listeners().stream().filter(l -> inodes.contains(l.inode())).forEach(l -> ports.add(l.port()));
        }
        return ports;
    }

    /** The ports of one {@code /proc/net/tcp} table's listening sockets whose inode is one of these. */
    static List<Integer> listeningPorts(String table, Set<Long> inodes) {
        return PortOwner.listeners(table).stream().filter(l -> inodes.contains(l.inode()))
                .map(PortOwner.Listener::port).toList();
    }
}
