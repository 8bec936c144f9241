package dev.herd.supervisor.logs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * When each part of a log file was written, kept beside it so that {@code herd logs --since 10m}
 * and {@code --json} can give past lines their time without writing anything into the app's
 * own output: a hidden file {@code .<log name>.times} of 16-byte entries (the offset where a
 * line begins, and when it was written in epoch milliseconds), one per {@value #GRAIN_MILLIS} ms
 * in which lines were written: at most 1.6 KB a second, however chatty the app. A line's time is
 * its entry's, or that of the last entry before it: at most {@value #GRAIN_MILLIS} ms early,
 * fine enough for {@code herd logs} to interleave the lines of instances that write in turn.
 * It rotates, empties and goes with its log file.
 *
 * <p>Not thread-safe: its {@link RotatingFileSink} calls it under its own lock.
 */
final class LineTimes {

    static final int ENTRY = 16;
    /** Lines written within one such span of the clock share an entry. */
    static final int GRAIN_MILLIS = 10;

    private final Path log;
    private FileChannel channel;
    private long lastGrain = Long.MIN_VALUE;
    private final ByteBuffer entry = ByteBuffer.allocate(ENTRY);

    /** Opens the times of {@code log}, whose current size is {@code logSize}. */
    LineTimes(Path log, long logSize) throws IOException {
        this.log = log;
        open(logSize);
    }

    /** The times file of a log file (current or rotated). */
    static Path of(Path log) {
        return log.resolveSibling("." + log.getFileName() + ".times");
    }

    /** A line begins at {@code offset}, written at {@code epochMillis}: noted if it starts a new grain. */
    void lineAt(long offset, long epochMillis) throws IOException {
        long grain = Math.floorDiv(epochMillis, GRAIN_MILLIS);
        if (grain == lastGrain) {
            return;
        }
        lastGrain = grain;
        entry.clear();
        entry.putLong(offset).putLong(epochMillis).flip();
        while (entry.hasRemaining()) {
            channel.write(entry);
        }
    }

    /** The log file was emptied. */
    void truncate() throws IOException {
        channel.truncate(0);
        lastGrain = Long.MIN_VALUE;
    }

    /** The log file moves to {@code rotatedLog}: its times go along, and the new log file starts empty. */
    void rotate(Path rotatedLog) throws IOException {
        channel.close();
        try {
            Files.move(of(log), of(rotatedLog), StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchFileException e) {
            // Deleted behind our back: the rotated file has no times, the new one will.
        } finally {
            open(0);
        }
    }

    void close() throws IOException {
        channel.close();
    }

    private void open(long logSize) throws IOException {
        Path file = of(log);
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        long size = channel.size() / ENTRY * ENTRY;
        // Entries past the log's end belong to lines that are gone (a truncation by another program).
        if (size >= ENTRY) {
            ByteBuffer last = ByteBuffer.allocate(ENTRY);
            channel.read(last, size - ENTRY);
            if (last.getLong(0) >= logSize) {
                size = 0;
            }
        }
        channel.truncate(size);
        channel.position(size);
        lastGrain = Long.MIN_VALUE;
    }

    /** Deletes the times of {@code log}'s rotated files, when the rotated files themselves go. */
    static void deleteRotated(Path log) throws IOException {
        Path dir = log.toAbsolutePath().getParent();
        String prefix = "." + log.getFileName() + ".";
        try (var files = Files.newDirectoryStream(dir, p -> {
            String name = p.getFileName().toString();
            if (!name.startsWith(prefix) || !name.endsWith(".times")
                    || name.length() <= prefix.length() + ".times".length()) {
                return false;
            }
            String n = name.substring(prefix.length(), name.length() - ".times".length());
            return !n.isEmpty() && n.chars().allMatch(Character::isDigit);
        })) {
            for (Path p : files) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // No directory, so nothing to delete.
        }
    }
}
