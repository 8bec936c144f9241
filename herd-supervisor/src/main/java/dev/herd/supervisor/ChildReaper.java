package dev.herd.supervisor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for the children that {@link SpawnLauncher} started, all of them on one thread: each
 * child's pidfd ({@code pidfd_open(2)}) becomes readable when it exits, one {@code poll(2)} waits
 * for all of them, and {@code waitid(P_PIDFD)} reaps exactly that child. The JDK would spend a
 * thread per child on the same wait; {@code waitpid(-1)} would steal the exit codes of the
 * children the JDK started itself.
 *
 * <p>One per process ({@link #shared()}), since which children a process has, and who reaps
 * them, is a matter of the whole process: {@link OrphanReaper} asks {@link #owns} before it
 * reaps a zombie.
 */
final class ChildReaper {

    private static final Logger log = LoggerFactory.getLogger(ChildReaper.class);
    private static final int POLLIN = 1;
    private static final int EINTR = 4;
    private static final int ECHILD = 10;
    private static final int P_PIDFD = 3;
    private static final int WEXITED = 4;
    private static final int WNOHANG = 1;
    private static final int CLD_EXITED = 1;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int SIGINFO_SIZE = 128;
    private static final int SI_PID = 16;
    private static final int SI_CODE = 8;
    private static final int SI_STATUS = 24;

    private interface LibC extends Library {
        int pidfd_open(int pid, int flags) throws LastErrorException;

        int poll(Memory fds, long nfds, int timeout) throws LastErrorException;

        int waitid(int idtype, int id, Memory info, int options) throws LastErrorException;

        int eventfd(int initval, int flags) throws LastErrorException;

        long read(int fd, Memory buf, long count) throws LastErrorException;

        long write(int fd, Memory buf, long count) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final LibC LIBC = Native.load("c", LibC.class);
    private static final ChildReaper SHARED = new ChildReaper();

    /** A child being waited for: its pidfd and who hears of its end. */
    private record Child(long pid, int pidfd, CompletableFuture<Integer> exit) {
    }

    private final Map<Long, Child> children = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Child> added = new ConcurrentLinkedQueue<>();
    private final int wakeFd;
    private final Memory wakeWord = new Memory(8);

    private ChildReaper() {
        this.wakeFd = LIBC.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        Thread t = new Thread(this::run, "herd-children");
        t.setDaemon(true);
        t.start();
    }

    /** Whether the kernel has pidfds that {@code waitid} takes (Linux 5.4). */
    static boolean supported() {
        int self;
        try {
            self = LIBC.pidfd_open((int) ProcessHandle.current().pid(), 0);
        } catch (LastErrorException e) {
            return false;
        }
        try {
            LIBC.waitid(P_PIDFD, self, new Memory(SIGINFO_SIZE), WEXITED | WNOHANG);
            return true;
        } catch (LastErrorException e) {
            // ECHILD: the kernel knows P_PIDFD, and this process is no child of its own; EINVAL: it does not know it.
            return e.getErrorCode() == ECHILD;
        } finally {
            LIBC.close(self);
        }
    }

    /** The one of this process. */
    static ChildReaper shared() {
        return SHARED;
    }

    /**
     * Waits for a child of this process; call it before anything else could reap the child (which
     * {@link #owns} makes sure of for {@link OrphanReaper}).
     *
     * @return completes with the exit code, 128 + n after death by signal n
     * @throws IOException when the child cannot be watched (it is not a child of this process)
     */
    CompletableFuture<Integer> watch(long pid) throws IOException {
        int pidfd;
        try {
            pidfd = LIBC.pidfd_open((int) pid, 0);
        } catch (LastErrorException e) {
            throw new IOException("cannot watch process " + pid + ": pidfd_open failed (errno " + e.getErrorCode() + ")");
        }
        Child child = new Child(pid, pidfd, new CompletableFuture<>());
        children.put(pid, child);
        added.add(child);
        wake();
        return child.exit();
    }

    /** Whether {@code pid} is a child of ours that this reaper is to reap. */
    boolean owns(long pid) {
        return children.containsKey(pid);
    }

    private void wake() {
        wakeWord.setLong(0, 1);
        try {
            LIBC.write(wakeFd, wakeWord, 8);
        } catch (LastErrorException e) {
            // EAGAIN: the counter is already non-zero, so the thread wakes anyway.
        }
    }

    private void run() {
        List<Child> watched = new ArrayList<>();
        Memory info = new Memory(SIGINFO_SIZE);
        Memory drain = new Memory(8);
        while (true) {
            for (Child c; (c = added.poll()) != null; ) {
                watched.add(c);
            }
            Memory fds = new Memory(8L * (watched.size() + 1));
            fds.clear();
            fds.setInt(0, wakeFd);
            fds.setShort(4, (short) POLLIN);
            for (int i = 0; i < watched.size(); i++) {
                fds.setInt(8L * (i + 1), watched.get(i).pidfd());
                fds.setShort(8L * (i + 1) + 4, (short) POLLIN);
            }
            try {
                LIBC.poll(fds, watched.size() + 1, -1);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR) {
                    log.error("poll over the children's pidfds failed (errno {}); retrying", e.getErrorCode());
                }
                continue;
            }
            if (fds.getShort(6) != 0) {
                try {
                    LIBC.read(wakeFd, drain, 8);
                } catch (LastErrorException e) {
                    // EAGAIN: another wake-up read it first.
                }
            }
            List<Child> still = new ArrayList<>(watched.size());
            for (int i = 0; i < watched.size(); i++) {
                Child c = watched.get(i);
                if (fds.getShort(8L * (i + 1) + 6) == 0 || !reap(c, info)) {
                    still.add(c);
                }
            }
            watched = still;
        }
    }

    /** Reaps a child whose pidfd became readable; false if it has not exited after all. */
    private boolean reap(Child c, Memory info) {
        info.clear();
        int code;
        try {
            LIBC.waitid(P_PIDFD, c.pidfd(), info, WEXITED | WNOHANG);
            if (info.getInt(SI_PID) == 0) {
                return false;
            }
            int status = info.getInt(SI_STATUS);
            code = info.getInt(SI_CODE) == CLD_EXITED ? status : 128 + status;
        } catch (LastErrorException e) {
            // ECHILD: someone else reaped it; its exit code is lost, but not its end.
            log.warn("process {} was reaped by someone else (errno {}); its exit code is unknown", c.pid(), e.getErrorCode());
            code = -1;
        }
        children.remove(c.pid());
        try {
            LIBC.close(c.pidfd());
        } catch (LastErrorException e) {
            log.debug("closing the pidfd of {} failed (errno {})", c.pid(), e.getErrorCode());
        }
        c.exit().complete(code);
        return true;
    }
}
