package dev.herd.supervisor.logs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Past lines of a log file and of its rotated files ({@code file.1} newest), with the time each
 * was written as its {@link LineTimes} tell: the last lines ({@code herd logs --lines 50}), those
 * written since a moment ({@code --since 10m}), or both.
 *
 * <p>Reads backwards from the end of the newest file in blocks to find the last lines, so a large
 * file costs only as much as the lines returned; with a moment, starts where its times say.
 */
public final class LogHistory {

    /** No limit on the number of lines. */
    public static final int ALL = -1;
    /** No limit on how old a line may be. */
    public static final long EVER = Long.MIN_VALUE;

    private static final int BLOCK = 8 * 1024;

    /**
     * One past line.
     *
     * @param text        the line, without its terminator
     * @param epochMillis when it was written (at most 10 ms early), or 0 when the file has no times
     */
    public record Line(String text, long epochMillis) {
    }

    private LogHistory() {
    }

    /**
     * The lines of {@code file} and its rotated files written at or after {@code sinceMillis},
     * the last {@code n} of them, oldest first. A file ending without a newline still has that
     * last line; a missing file has no lines. Lines of a file without times count as written
     * when the file was last modified, for {@code sinceMillis}.
     *
     * @param n           how many at most, or {@link #ALL}
     * @param sinceMillis epoch milliseconds, or {@link #EVER}
     */
    public static List<Line> read(Path file, int n, long sinceMillis) throws IOException {
        if (n < 0 && n != ALL) {
            throw new IllegalArgumentException("n must not be negative, was " + n);
        }
        List<List<Line>> newestFirst = new ArrayList<>();
        int have = 0;
        for (int k = 0; n == ALL || have < n; k++) {
            Path f = k == 0 ? file : file.resolveSibling(file.getFileName() + "." + k);
            Segment s = segment(f, n == ALL ? ALL : n - have, sinceMillis);
            if (s == null) {
                break;
            }
            newestFirst.add(s.lines());
            have += s.lines().size();
            if (!s.olderMayQualify()) {
                break;
            }
        }
        List<Line> all = new ArrayList<>(have);
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            all.addAll(newestFirst.get(i));
        }
        return all;
    }

    /** What one file gives, and whether an older file may have lines that qualify too. */
    private record Segment(List<Line> lines, boolean olderMayQualify) {
    }

    private static Segment segment(Path file, int n, long sinceMillis) throws IOException {
        long[] times = times(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long end = ch.size();
            long fromTimes = 0;
            boolean older = true;
            if (sinceMillis != EVER) {
                if (times.length == 0) {
                    if (Files.getLastModifiedTime(file).toMillis() < sinceMillis) {
                        return new Segment(List.of(), false);
                    }
                } else {
                    int first = firstAtOrAfter(times, sinceMillis);
                    older = first == 0;
                    fromTimes = first * 2 < times.length ? times[first * 2] : end;
                }
            }
            long start = n == ALL ? fromTimes : Math.max(fromTimes, startOfLastLines(ch, end, n));
            if (n != ALL && start > fromTimes) {
                older = false;
            }
            ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(Math.max(0, end - start)));
            readFully(ch, bytes, start);
            return new Segment(split(bytes, start, times), older);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The entries of a log file's times, flattened: offset, millis, offset, millis, ... */
    private static long[] times(Path file) throws IOException {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(LineTimes.of(file)));
            long[] t = new long[b.capacity() / LineTimes.ENTRY * 2];
            for (int i = 0; i < t.length; i++) {
                t[i] = b.getLong();
            }
            return t;
        } catch (NoSuchFileException e) {
            return new long[0];
        }
    }

    /** The index of the first entry written at or after {@code millis}; the entry count if none is. */
    private static int firstAtOrAfter(long[] times, long millis) {
        int lo = 0;
        int hi = times.length / 2;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (times[mid * 2 + 1] < millis) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The offset where the last {@code n} lines begin: just after the n-th newline from the end. */
    private static long startOfLastLines(FileChannel ch, long end, int n) throws IOException {
        if (n == 0) {
            return end;
        }
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

    /** The lines in {@code bytes}, read from {@code start}, each with the time of the last entry at or before it. */
    private static List<Line> split(ByteBuffer bytes, long start, long[] times) {
        List<Line> lines = new ArrayList<>();
        byte[] a = bytes.array();
        int length = bytes.position();
        int entry = -1;
        int from = 0;
        while (from < length) {
            int nl = from;
            while (nl < length && a[nl] != '\n') {
                nl++;
            }
            int to = nl > from && a[nl - 1] == '\r' ? nl - 1 : nl;
            long offset = start + from;
            while (entry + 1 < times.length / 2 && times[(entry + 1) * 2] <= offset) {
                entry++;
            }
            lines.add(new Line(new String(a, from, to - from, StandardCharsets.UTF_8),
                    entry < 0 ? 0 : times[entry * 2 + 1]));
            from = nl + 1;
        }
        return lines;
    }
}
