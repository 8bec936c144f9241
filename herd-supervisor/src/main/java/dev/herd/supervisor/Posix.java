package dev.herd.supervisor;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The few system calls the JDK does not offer: signals to a process group, the child-subreaper
 * flag and reaping a given pid. Linux only, like the rest of the supervisor.
 */
public final class Posix {

    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int WNOHANG = 1;
    private static final int ESRCH = 3;
    private static final int SC_CLK_TCK = 2;

    private interface LibC extends Library {
        int kill(int pid, int sig) throws LastErrorException;

        int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

        int waitpid(int pid, int[] status, int options) throws LastErrorException;

        int getuid();

        int getpagesize();

        long sysconf(int name);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);

    private Posix() {
    }

    /**
     * Sends a signal to one process.
     *
     * @return false when the process no longer exists
     */
    public static boolean kill(long pid, Signal signal) {
        return send((int) pid, signal);
    }

    /**
     * Sends a signal to every process of a process group ({@code kill -SIG -- -pgid}).
     *
     * @return false when the group no longer has members
     */
    public static boolean killGroup(long pgid, Signal signal) {
        return send(-(int) pgid, signal);
    }

    private static boolean send(int target, Signal signal) {
        try {
            LIBC.kill(target, signal.number());
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ESRCH) {
                return false;
            }
            throw new IllegalStateException("kill(" + target + ", " + signal + ") failed: errno " + e.getErrorCode(), e);
        }
    }

    /**
     * Makes this process the reaper of its orphaned descendants, so a double-forked grandchild of
     * an instance comes back to us (and is reaped) instead of going to init.
     */
    public static void becomeChildSubreaper() {
        LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }

    /**
     * Reaps one exited child without blocking.
     *
     * @return true if the pid was a zombie child and is now gone
     */
    public static boolean reap(long pid) {
        try {
            return LIBC.waitpid((int) pid, new int[1], WNOHANG) == pid;
        } catch (LastErrorException e) {
            return false;
        }
    }

    /** The size of a memory page in bytes, the unit of RSS in {@code /proc}. */
    public static int pageSize() {
        return LIBC.getpagesize();
    }

    /** Clock ticks per second, the unit of CPU times in {@code /proc}. */
    public static long clockTicksPerSecond() {
        return LIBC.sysconf(SC_CLK_TCK);
    }

    /** The real user id of this process. */
    public static int uid() {
        return LIBC.getuid();
    }
}
