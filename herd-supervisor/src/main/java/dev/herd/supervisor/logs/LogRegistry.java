package dev.herd.supervisor.logs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The open log files of a daemon. Every instance that writes to the same path (PM2's
 * {@code merge_logs}) shares one {@link RotatingFileSink} and {@link LogWriter}; they are opened
 * by the first {@link #acquire} of a path and closed by the last {@link #release}.
 *
 * <p>Paths are compared after {@link Path#toAbsolutePath()} and {@link Path#normalize()}. The
 * format, size and retention of the first acquire win; later acquires of an open path get its
 * writer as it is. Lines for {@link #DISCARD} are dropped without a file being opened (nor
 * times written beside it). Thread-safe.
 */
public final class LogRegistry implements AutoCloseable {

    /** The path whose lines are discarded: PM2's {@code /dev/null} (and {@code disable_logs}). */
    public static final Path DISCARD = Path.of("/dev/null");

    private final Map<Path, Entry> files = new HashMap<>();
    private final List<LogListener> listeners = new ArrayList<>();

    /** An open file and how many users hold it. */
    private static final class Entry {
        final LogSink sink;
        final LogWriter writer;
        int users;
        // Whether the registry's listeners are on it: only once an instance's own stream writes here.
        boolean listened;

        Entry(LogSink sink, LogWriter writer) {
            this.sink = sink;
            this.writer = writer;
        }
    }

    /** An empty registry. */
    public LogRegistry() {
    }

    /**
     * The writer for {@code path}, the file of one stream (stdout or stderr) of an instance,
     * opening the file and starting its writer if no one holds it. Each call must be matched by
     * one {@link #release}.
     *
     * @param format  how lines are written
     * @param maxSize rotate at this many bytes; 0 never rotates
     * @param retain  rotated files to keep
     * @throws IOException if the file cannot be opened
     */
    public synchronized LogWriter acquire(Path path, LogFormat format, long maxSize, int retain) throws IOException {
        Entry entry = open(path, format, maxSize, retain);
        if (!entry.listened) {
            entry.listened = true;
            listeners.forEach(entry.writer::addListener);
        }
        return entry.writer;
    }

    /**
     * As {@link #acquire}, for a combined log (PM2's {@code log_file}), which receives the lines
     * of both streams that their own files receive too: the listeners added by
     * {@link #addListener} are not on it (unless it is also some stream's own file), so that they
     * see each line once.
     */
    public synchronized LogWriter acquireCombined(Path path, LogFormat format, long maxSize, int retain)
            throws IOException {
        return open(path, format, maxSize, retain).writer;
    }

    private Entry open(Path path, LogFormat format, long maxSize, int retain) throws IOException {
        Path key = key(path);
        Entry entry = files.get(key);
        if (entry == null) {
            LogSink sink = key.equals(DISCARD) ? new Discard() : new RotatingFileSink(key, format, maxSize, retain);
            entry = new Entry(sink, new LogWriter("herd-log-" + key.getFileName(), sink, LogWriter.DEFAULT_CAPACITY));
            files.put(key, entry);
        }
        entry.users++;
        return entry;
    }

    /**
     * Lets go of one {@link #acquire} of {@code path}; the last release closes the writer, which
     * writes what it has buffered (waiting at most 2 s) and closes the file.
     *
     * @throws IllegalStateException if {@code path} is not held
     */
    public synchronized void release(Path path) {
        Path key = key(path);
        Entry entry = files.get(key);
        if (entry == null) {
            throw new IllegalStateException("log file " + key + " is not open");
        }
        if (--entry.users == 0) {
            files.remove(key);
            entry.writer.close();
        }
    }

    /**
     * Empties {@code path} and deletes its rotated files ({@code herd flush}), whether it is open
     * or not. A missing file stays missing; {@link #DISCARD} is left alone.
     */
    public synchronized void flush(Path path) throws IOException {
        Path key = key(path);
        if (key.equals(DISCARD)) {
            return;
        }
        Entry entry = files.get(key);
        if (entry != null && entry.sink instanceof RotatingFileSink file) {
            file.clear();
            return;
        }
        try (FileChannel ch = FileChannel.open(key, StandardOpenOption.WRITE)) {
            ch.truncate(0);
        } catch (NoSuchFileException e) {
            // Nothing to empty; rotated files may still exist.
        }
        Files.deleteIfExists(LineTimes.of(key));
        RotatingFileSink.deleteRotated(key);
    }

    /**
     * Adds a listener to every file, open now or opened later, so that it sees an instance's
     * lines from the first one on ({@code herd run} copies them all to its stdout).
     */
    public synchronized void addListener(LogListener listener) {
        listeners.add(listener);
        files.values().stream().filter(e -> e.listened).forEach(e -> e.writer.addListener(listener));
    }

    /** A snapshot of the open files and their writers, by absolute normalized path. */
    public synchronized Map<Path, LogWriter> open() {
        Map<Path, LogWriter> open = new HashMap<>();
        files.forEach((path, entry) -> open.put(path, entry.writer));
        return Map.copyOf(open);
    }

    /** Closes every open writer, whoever still holds it; the registry is empty afterwards. */
    @Override
    public synchronized void close() {
        for (Entry entry : files.values()) {
            entry.writer.close();
        }
        files.clear();
    }

    private static Path key(Path path) {
        return path.toAbsolutePath().normalize();
    }

    /** Where the lines for {@link #DISCARD} go: nowhere. */
    private static final class Discard implements LogSink {
        @Override
        public void write(LogLine line) {
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
