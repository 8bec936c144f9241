package dev.herd.supervisor.logs;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every instance's output pipes on one thread, with {@code poll(2)}, so that an instance
 * costs no thread of its own: each pipe's read end is made non-blocking and read when it is
 * readable, a few chunks at a time so that a flooding app does not starve the others (it is only
 * slowed by the pipe filling up, as with a thread of its own that reads no faster). At end of
 * stream, or on a read error, the descriptor is closed and its reader told.
 */
final class PipePoller {

    /** What a pipe's bytes go to; called on the poller's thread only. */
    interface Reader {
        void fed(byte[] bytes, int count);

        /** The pipe ended (or failed: {@code failure} is not null); its descriptor is closed. */
        void ended(Exception failure);
    }

    private static final Logger log = LoggerFactory.getLogger(PipePoller.class);
    private static final short POLLIN = 0x1;
    private static final short POLLERR = 0x8;
    private static final short POLLHUP = 0x10;
    private static final int POLLFD_SIZE = 8;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    private static final int CHUNK = 16 * 1024;
    /** Chunks read from one pipe per round, before the others get their turn. */
    private static final int CHUNKS_PER_TURN = 4;

    private interface LibC extends Library {
        int poll(Memory fds, long count, int timeoutMillis) throws LastErrorException;

        long read(int fd, Memory buf, long count) throws LastErrorException;

        long write(int fd, byte[] buf, long count) throws LastErrorException;

        int fcntl(int fd, int cmd, int arg) throws LastErrorException;

        int pipe2(int[] fds, int flags) throws LastErrorException;

        int close(int fd);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);
    private static volatile PipePoller shared;

    private record Entry(int fd, Reader reader) {
    }

    private final Queue<Entry> added = new ConcurrentLinkedQueue<>();
    private final int wakeRead;
    private final int wakeWrite;

    private PipePoller() {
        int[] wake = new int[2];
        LIBC.pipe2(wake, O_NONBLOCK | O_CLOEXEC);
        wakeRead = wake[0];
        wakeWrite = wake[1];
        Thread t = new Thread(this::run, "herd-output");
        t.setDaemon(true);
        t.start();
    }

    /** The process's one poller, started with the first pipe. */
    static PipePoller shared() {
        PipePoller p = shared;
        if (p == null) {
            synchronized (PipePoller.class) {
                p = shared;
                if (p == null) {
                    p = new PipePoller();
                    shared = p;
                }
            }
        }
        return p;
    }

    /** Reads {@code fd} from now on (it becomes non-blocking and the poller's to close). */
    void add(int fd, Reader reader) {
        try {
            LIBC.fcntl(fd, F_SETFL, LIBC.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
        } catch (LastErrorException e) {
            LIBC.close(fd);
            reader.ended(new java.io.IOException("cannot read the pipe: errno " + e.getErrorCode()));
            return;
        }
        added.add(new Entry(fd, reader));
        try {
            LIBC.write(wakeWrite, new byte[] {1}, 1);
        } catch (LastErrorException e) {
            // EAGAIN: the wake pipe is full, so the poller wakes anyway.
        }
    }

    private void run() {
        List<Entry> pipes = new ArrayList<>();
        Memory fds = new Memory(POLLFD_SIZE);
        Memory buf = new Memory(CHUNK);
        byte[] bytes = new byte[CHUNK];
        while (true) {
            Entry e;
            while ((e = added.poll()) != null) {
                pipes.add(e);
            }
            long need = (long) POLLFD_SIZE * (pipes.size() + 1);
            if (fds.size() < need) {
                fds = new Memory(Math.max(need, fds.size() * 2));
            }
            set(fds, 0, wakeRead);
            for (int i = 0; i < pipes.size(); i++) {
                set(fds, i + 1, pipes.get(i).fd());
            }
            try {
                LIBC.poll(fds, pipes.size() + 1, -1);
            } catch (LastErrorException ex) {
                if (ex.getErrorCode() != EINTR) {
                    log.error("polling the instances' output failed (errno {}): retrying", ex.getErrorCode());
                }
                continue;
            }
            if (fds.getShort(6) != 0) {
                drainWake(buf);
            }
            List<Entry> gone = new ArrayList<>();
            for (int i = 0; i < pipes.size(); i++) {
                short revents = fds.getShort((long) (i + 1) * POLLFD_SIZE + 6);
                if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !read(pipes.get(i), buf, bytes)) {
                    gone.add(pipes.get(i));
                }
            }
            pipes.removeAll(gone);
        }
    }

    private static void set(Memory fds, int i, int fd) {
        long at = (long) i * POLLFD_SIZE;
        fds.setInt(at, fd);
        fds.setShort(at + 4, POLLIN);
        fds.setShort(at + 6, (short) 0);
    }

    private void drainWake(Memory buf) {
        try {
            while (LIBC.read(wakeRead, buf, buf.size()) > 0) {
                // Only the wake-up counts, not what it says.
            }
        } catch (LastErrorException e) {
            // EAGAIN: drained.
        }
    }

    /** @return whether the pipe stays */
    private static boolean read(Entry pipe, Memory buf, byte[] bytes) {
        for (int i = 0; i < CHUNKS_PER_TURN; i++) {
            long n;
            try {
                n = LIBC.read(pipe.fd(), buf, CHUNK);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EAGAIN || e.getErrorCode() == EINTR) {
                    return true;
                }
                LIBC.close(pipe.fd());
                pipe.reader().ended(new java.io.IOException("read failed: errno " + e.getErrorCode()));
                return false;
            }
            if (n == 0) {
                LIBC.close(pipe.fd());
                pipe.reader().ended(null);
                return false;
            }
            buf.read(0, bytes, 0, (int) n);
            try {
                pipe.reader().fed(bytes, (int) n);
            } catch (RuntimeException e) {
                log.error("a log reader failed; its pipe is read no more", e);
                LIBC.close(pipe.fd());
                pipe.reader().ended(e);
                return false;
            }
        }
        return true;
    }
}
