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
 * date format, size and retention of the first acquire win; later acquires of an open path get
 * its writer as it is. Thread-safe.
 *
 * <p>{@code /dev/null} (PM2's way to keep no file) is written to no file at all: its lines reach
 * the listeners only.
 */
public final class LogRegistry implements AutoCloseable {

    private static final Path NULL_DEVICE = Path.of("/dev/null");

    private final Map<Path, Entry> files = new HashMap<>();
    private final List<LogListener> listeners = new ArrayList<>();

    /** Takes the lines of {@code /dev/null}: nothing to open, rotate or index, but listeners still see them. */
    private static final LogSink DISCARD = new LogSink() {
        @Override
        public void write(LogLine line) {
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** An open file and how many users hold it. */
    private static final class Entry {
        /** The file, or null for {@code /dev/null}. */
        final RotatingFileSink sink;
        final LogWriter writer;
        int users;

        Entry(RotatingFileSink sink, LogWriter writer) {
            this.sink = sink;
            this.writer = writer;
        }
    }

    /** An empty registry. */
    public LogRegistry() {
    }

    /**
     * The writer for {@code path}, opening the file and starting its writer if no one holds it.
     * Each call must be matched by one {@link #release}.
     *
     * @param momentDateFormat a PM2 (moment.js) date pattern, or {@code null} for no timestamps
     * @param maxSize          rotate at this many bytes; 0 never rotates
     * @param retain           rotated files to keep
     * @throws IllegalArgumentException if the date format is not supported
     * @throws IOException              if the file cannot be opened
     */
    public synchronized LogWriter acquire(Path path, String momentDateFormat, long maxSize, int retain)
            throws IOException {
        Path key = key(path);
        Entry entry = files.get(key);
        if (entry == null) {
            LogDateFormat format = momentDateFormat == null ? null : LogDateFormat.parse(momentDateFormat);
            // Rotating /dev/null would rename the device, and its line index would go into /dev.
            RotatingFileSink sink = key.equals(NULL_DEVICE) ? null : new RotatingFileSink(key, format, maxSize, retain);
            entry = new Entry(sink, new LogWriter("herd-log-" + key.getFileName(), sink == null ? DISCARD : sink,
                    LogWriter.DEFAULT_CAPACITY));
            listeners.forEach(entry.writer::addListener);
            files.put(key, entry);
        }
        entry.users++;
        return entry.writer;
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
     * or not. A missing file stays missing.
     */
    public synchronized void flush(Path path) throws IOException {
        Path key = key(path);
        if (key.equals(NULL_DEVICE)) {
            return;
        }
        Entry entry = files.get(key);
        if (entry != null) {
            entry.sink.clear();
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
        files.values().forEach(e -> e.writer.addListener(listener));
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
}
