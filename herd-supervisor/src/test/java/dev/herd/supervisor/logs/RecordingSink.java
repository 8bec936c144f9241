package dev.herd.supervisor.logs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A sink for tests that records lines in memory. A gated sink blocks every write until
 * {@link #open()}, like a disk that stopped answering; a write it is told to fail throws.
 */
final class RecordingSink implements LogSink {

    final CountDownLatch writing = new CountDownLatch(1);
    final AtomicInteger flushes = new AtomicInteger();
    private final CountDownLatch gate;
    private final Predicate<LogLine> fails;
    private final List<LogLine> lines = new ArrayList<>();
    private volatile boolean closed;

    private RecordingSink(boolean gated, Predicate<LogLine> fails) {
        this.gate = new CountDownLatch(gated ? 1 : 0);
        this.fails = fails;
    }

    static RecordingSink open() {
        return new RecordingSink(false, l -> false);
    }

    static RecordingSink gated() {
        return new RecordingSink(true, l -> false);
    }

    static RecordingSink failing(Predicate<LogLine> fails) {
        return new RecordingSink(false, fails);
    }

    /** Lets blocked and further writes through. */
    void release() {
        gate.countDown();
    }

    @Override
    public void write(LogLine line) throws IOException {
        writing.countDown();
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stalled");
        }
        if (fails.test(line)) {
            throw new IOException("disk full");
        }
        synchronized (lines) {
            lines.add(line);
        }
    }

    @Override
    public void flush() {
        flushes.incrementAndGet();
    }

    @Override
    public void close() {
        closed = true;
    }

    boolean closed() {
        return closed;
    }

    List<LogLine> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    List<String> texts() {
        return lines().stream().map(LogLine::text).toList();
    }

    int size() {
        synchronized (lines) {
            return lines.size();
        }
    }
}
