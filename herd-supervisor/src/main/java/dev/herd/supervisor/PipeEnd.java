package dev.herd.supervisor;

import java.io.IOException;
import java.io.InputStream;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * The read end of a child's output pipe, as a raw descriptor of this process: whoever takes it
 * first owns it, either as the descriptor (for a reader that polls every pipe on one thread) or
 * as a blocking stream. The JDK cannot wrap a descriptor it did not open, so the stream reads it
 * through the C library.
 */
final class PipeEnd {

    private interface LibC extends Library {
        long read(int fd, Memory buf, long count) throws LastErrorException;

        int close(int fd);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);
    private static final int EINTR = 4;

    private int fd;
    private InputStream stream;

    PipeEnd(int fd) {
        this.fd = fd;
    }

    /** The descriptor, now the caller's to close; -1 when the stream took it. */
    synchronized int take() {
        int f = fd;
        fd = -1;
        return stream == null ? f : -1;
    }

    /** A blocking stream over it, which closes it; the same one each time. */
    synchronized InputStream stream() {
        if (stream == null) {
            int f = fd;
            fd = -1;
            stream = f < 0 ? InputStream.nullInputStream() : new Stream(f);
        }
        return stream;
    }

    private static final class Stream extends InputStream {
        private final int fd;
        private final Memory buf = new Memory(16 * 1024);
        private boolean closed;

        Stream(int fd) {
            this.fd = fd;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (true) {
                synchronized (this) {
                    if (closed) {
                        throw new IOException("closed");
                    }
                }
                try {
                    long n = LIBC.read(fd, buf, Math.min(len, buf.size()));
                    if (n == 0) {
                        return -1;
                    }
                    buf.read(0, b, off, (int) n);
                    return (int) n;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != EINTR) {
                        throw new IOException("read failed: errno " + e.getErrorCode());
                    }
                }
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                LIBC.close(fd);
            }
        }
    }
}
