package dev.herd.supervisor.logs;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits a byte stream into lines at {@code \n} or {@code \r\n}, cutting lines longer than
 * {@link #MAX_LINE} bytes into pieces and decoding each as UTF-8 with replacement. A cut never
 * splits a multibyte character: its first bytes move on to the next piece. Bytes may arrive in
 * chunks of any size. Not thread-safe: {@link OutputPump} feeds and flushes it under one lock.
 */
final class LineSplitter {

    /** The longest line, in bytes, emitted whole; longer ones are cut into pieces of at most this size. */
    static final int MAX_LINE = 16 * 1024;

    /** What a splitter holds at first: most lines fit, and a long one grows it up to {@link #MAX_LINE}. */
    private static final int INITIAL = 256;

    private final Consumer<String> lines;
    private byte[] buf = new byte[INITIAL];
    private int len;
    // A '\r' held back until the next byte shows whether it ends the line.
    private boolean pendingCr;

    LineSplitter(Consumer<String> lines) {
        this.lines = lines;
    }

    void feed(byte[] bytes, int off, int count) {
        int end = off + count;
        for (int i = off; i < end; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                pendingCr = false;
                emit();
            } else if (b == '\r') {
                if (pendingCr) {
                    append((byte) '\r');
                }
                pendingCr = true;
            } else {
                if (pendingCr) {
                    pendingCr = false;
                    append((byte) '\r');
                }
                append(b);
            }
        }
    }

    /** Whether bytes of a line not ended yet are held. */
    boolean holdsPartialLine() {
        return len > 0 || pendingCr;
    }

    /**
     * Emits the bytes held of a line not ended yet as a line: the last one of a stream that did not
     * end with a terminator, or one an app left unfinished for a while. Feeding may go on.
     */
    void finish() {
        if (pendingCr) {
            pendingCr = false;
            append((byte) '\r');
        }
        if (len > 0) {
            emit();
        }
    }

    private void append(byte b) {
        if (len == MAX_LINE) {
            cut();
        } else if (len == buf.length) {
            buf = java.util.Arrays.copyOf(buf, Math.min(MAX_LINE, buf.length * 2));
        }
        buf[len++] = b;
    }

    private void cut() {
        int keep = incompleteTail();
        int piece = len - keep;
        lines.accept(new String(buf, 0, piece, StandardCharsets.UTF_8));
        System.arraycopy(buf, piece, buf, 0, keep);
        len = keep;
    }

    /** How many bytes at the end of the buffer start a UTF-8 sequence that is not complete yet. */
    private int incompleteTail() {
        for (int back = 1; back <= 3 && back <= len; back++) {
            int b = buf[len - back] & 0xFF;
            if (b < 0x80) {
                return 0;
            }
            if (b >= 0xC0) {
                int need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                return need > back ? back : 0;
            }
        }
        return 0;
    }

    private void emit() {
        lines.accept(new String(buf, 0, len, StandardCharsets.UTF_8));
        len = 0;
    }
}
