package dev.herd.supervisor.logs;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * A log file that rotates by size: {@code path} is written, {@code path.1} is the newest rotated
 * file, {@code path.<retain>} the oldest kept.
 *
 * <p>Each line is written as its {@link LogFormat} says, and a newline. Rotation happens before a write that would make the file exceed
 * {@code maxSize}; a single line longer than {@code maxSize} still goes, alone, into a fresh file.
 * With {@code retain} 0 the file is truncated instead of renamed.
 *
 * <p>Writes are buffered and reach the file on {@link #flush()}. All methods are thread-safe, so
 * {@link #truncate()} may be called while a {@link LogWriter} writes. The sink keeps its file
 * open, and at most once every {@value #RECHECK_MILLIS} ms, before a write, checks that
 * {@code path} still names it: a file (or its whole folder) deleted, or renamed away, behind its
 * back (an {@code rm -r} of the logs, a logrotate without {@code copytruncate}) would otherwise
 * swallow every later line where no one can read it, so the sink makes the folder again and
 * opens a new file there, as a reopen after logrotate does.
 */
public final class RotatingFileSink implements LogSink {

    /** Per open log file, so kept small: its writer flushes it whenever it runs out of lines anyway. */
    private static final int BUFFER_SIZE = 8 * 1024;

    /** How often a write checks that the file is still at its path; a stat a second costs nothing. */
    static final long RECHECK_MILLIS = 1000;

    private final Path path;
    private final LogFormat format;
    private final long maxSize;
    private final int retain;

    private FileChannel channel;
    private OutputStream out;
    private LineTimes times;
    private long size;
    private boolean closed;
    /** What the path named when the file was opened ({@code dev} and {@code ino}), or null if unknown. */
    private Object fileKey;
    private long checkedAtNanos;
    // Lines read in the same millisecond share a timestamp; formatting each is the costly part.
    private long stampMillis = Long.MIN_VALUE;
    private String stamp;

    /**
     * Opens (creating it and its parent directories if needed) {@code path} for appending.
     *
     * @param format  how each line is written
     * @param maxSize bytes a file may reach before it rotates; 0 never rotates
     * @param retain  rotated files to keep; 0 truncates instead
     */
    public RotatingFileSink(Path path, LogFormat format, long maxSize, int retain) throws IOException {
        this.path = Objects.requireNonNull(path, "path");
        this.format = Objects.requireNonNull(format, "format");
        if (maxSize < 0) {
            throw new IllegalArgumentException("maxSize must not be negative, was " + maxSize);
        }
        if (retain < 0) {
            throw new IllegalArgumentException("retain must not be negative, was " + retain);
        }
        this.maxSize = maxSize;
        this.retain = retain;
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        open();
    }

    /** The current (not rotated) file. */
    public Path path() {
        return path;
    }

    @Override
    public synchronized void write(LogLine line) throws IOException {
        ensureOpen();
        reopenIfGone();
        byte[] text = format.written(line, stamp(line.epochMillis())).getBytes(StandardCharsets.UTF_8);
        long length = text.length + 1;
        if (maxSize > 0 && size > 0 && size + length > maxSize) {
            rotate();
        }
        times.lineAt(size, line.epochMillis());
        out.write(text);
        out.write('\n');
        size += length;
    }

    @Override
    public synchronized void flush() throws IOException {
        ensureOpen();
        out.flush();
    }

    /** Empties the file, including lines written but not yet flushed ({@code herd flush}). */
    public synchronized void truncate() throws IOException {
        ensureOpen();
        out.flush();
        channel.truncate(0);
        size = 0;
        times.truncate();
    }

    /** Empties the file and deletes its rotated files, atomically with respect to writes. */
    synchronized void clear() throws IOException {
        truncate();
        deleteRotated(path);
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.flush();
        } finally {
            channel.close();
            times.close();
        }
    }

    /** Deletes {@code path.1}, {@code path.2}, ... whatever their number, and their {@link LineTimes}. */
    static void deleteRotated(Path path) throws IOException {
        LineTimes.deleteRotated(path);
        Path dir = path.toAbsolutePath().getParent();
        String prefix = path.getFileName() + ".";
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir,
                p -> isRotatedName(p.getFileName().toString(), prefix))) {
            for (Path p : files) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // No directory, so no rotated files either.
        }
    }

    private static boolean isRotatedName(String name, String prefix) {
        if (!name.startsWith(prefix) || name.length() == prefix.length()) {
            return false;
        }
        for (int i = prefix.length(); i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private void open() throws IOException {
        channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_SIZE);
        size = channel.size();
        fileKey = keyOf(path);
        checkedAtNanos = System.nanoTime();
        if (times == null) {
            times = new LineTimes(path, size);
        }
    }

    /** The identity of the file {@code p} names now (symbolic links followed), or null if there is none. */
    private static Object keyOf(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Opens {@code path} afresh, its folder made again if need be, when it no longer names the
     * file this sink writes: deleted, or another file in its place.
     */
    private void reopenIfGone() throws IOException {
        long now = System.nanoTime();
        if (fileKey == null || now - checkedAtNanos < RECHECK_MILLIS * 1_000_000) {
            return;
        }
        checkedAtNanos = now;
        if (fileKey.equals(keyOf(path))) {
            return;
        }
        try {
            // What is still buffered belongs to the old file (its last lines before it went).
            out.flush();
        } catch (IOException lostWithTheOldFile) {
            // Nothing to do: it is gone.
        } finally {
            channel.close();
            times.close();
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        times = null;
        open();
    }

    private void rotate() throws IOException {
        out.flush();
        if (retain == 0) {
            channel.truncate(0);
            size = 0;
            times.truncate();
            return;
        }
        channel.close();
        try {
            Files.deleteIfExists(rotated(retain));
            Files.deleteIfExists(LineTimes.of(rotated(retain)));
            for (int i = retain - 1; i >= 1; i--) {
                Path from = rotated(i);
                if (Files.exists(from)) {
                    Files.move(from, rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
                if (Files.exists(LineTimes.of(from))) {
                    Files.move(LineTimes.of(from), LineTimes.of(rotated(i + 1)), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(path, rotated(1), StandardCopyOption.REPLACE_EXISTING);
            times.rotate(rotated(1));
        } finally {
            // Reopen even when a rename failed: an oversized file beats losing every later line.
            open();
        }
    }

    private Path rotated(int n) {
        return path.resolveSibling(path.getFileName() + "." + n);
    }

    private String stamp(long epochMillis) {
        if (epochMillis != stampMillis) {
            stamp = format.stamp(epochMillis);
            stampMillis = epochMillis;
        }
        return stamp;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("log file " + path + " is closed");
        }
    }
}
