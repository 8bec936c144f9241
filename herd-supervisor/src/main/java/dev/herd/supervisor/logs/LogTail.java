package dev.herd.supervisor.logs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Reads the last lines of a log file for {@code herd logs --lines n}, reading backwards from the
 * end in blocks, so a large file costs only as much as the lines returned.
 */
public final class LogTail {

    private static final int BLOCK = 8 * 1024;

    private LogTail() {
    }

    /**
     * The last {@code n} lines of {@code file}, oldest first, without terminators. If the file has
     * fewer, the rest come from the end of its newest rotated file {@code file.1}. A file ending
     * without a newline still has that last line; a missing file has no lines.
     */
    public static List<String> lastLines(Path file, int n) throws IOException {
        if (n < 0) {
            throw new IllegalArgumentException("n must not be negative, was " + n);
        }
        List<String> current = tail(file, n);
        if (current.size() >= n) {
            return current;
        }
        List<String> lines = tail(file.resolveSibling(file.getFileName() + ".1"), n - current.size());
        lines.addAll(current);
        return lines;
    }

    private static List<String> tail(Path file, int n) throws IOException {
        if (n == 0) {
            return new ArrayList<>();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long end = ch.size();
            long start = startOfLastLines(ch, end, n);
            ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(end - start));
            readFully(ch, bytes, start);
            return split(new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return new ArrayList<>();
        }
    }

    /** The offset where the last {@code n} lines begin: just after the n-th newline from the end. */
    private static long startOfLastLines(FileChannel ch, long end, int n) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        long pos = end;
        int newlines = 0;
        boolean last = true;
        while (pos > 0) {
            int size = (int) Math.min(BLOCK, pos);
            pos -= size;
            block.clear().limit(size);
            readFully(ch, block, pos);
            for (int i = block.position() - 1; i >= 0; i--) {
                if (block.get(i) != '\n') {
                    last = false;
                    continue;
                }
                // The file's final newline ends the last line rather than starting another.
                if (last) {
                    last = false;
                    continue;
                }
                if (++newlines == n) {
                    return pos + i + 1;
                }
            }
        }
        return 0;
    }

    /** Fills {@code buf} from {@code offset}, stopping early only at end of file (it may shrink meanwhile). */
    private static void readFully(FileChannel ch, ByteBuffer buf, long offset) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf, offset + buf.position()) < 0) {
                return;
            }
        }
    }

    private static List<String> split(String text) {
        if (text.isEmpty()) {
            return new ArrayList<>();
        }
        List<String> lines = new ArrayList<>();
        Collections.addAll(lines, text.split("\r?\n", -1));
        if (text.endsWith("\n")) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }
}
