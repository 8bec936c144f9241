package dev.herd.supervisor.logs;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded buffer of lines drained into a {@link LogSink} by its own daemon thread, so that a
 * child process is never blocked by a slow disk.
 *
 * <p>{@link #offer(LogLine)} never blocks. Each buffered line costs its UTF-8 length plus
 * {@value #LINE_OVERHEAD} bytes of bookkeeping (so a flood of empty lines is bounded too) against
 * the capacity, from when it is offered until the sink has written it. An offer that would exceed
 * the capacity is refused and counted in {@link #droppedLines()} and {@link #droppedBytes()}
 * (UTF-8 bytes of text); an offer into an empty buffer is always accepted, however long the line.
 * After a period of drops, once the sink has caught up with the buffer, the writer writes one line
 * into the sink itself, {@code "[herd] dropped 1234 lines (5678901 bytes): the log sink could not
 * keep up"}, so that whoever reads the file knows.
 *
 * <p>The sink is flushed whenever the buffer runs empty, not per line. Sink failures are logged
 * when they start and when they end; the lines in between are lost. Listeners are called on the
 * writer thread after each line was handed to the sink.
 *
 * <p>Thread-safe. The writer thread starts in the constructor and owns the sink: it is the only
 * thread that writes, flushes or closes it.
 */
public final class LogWriter implements AutoCloseable {

    /** The default capacity: 1 MiB. */
    public static final int DEFAULT_CAPACITY = 1 << 20;
    /** What a buffered line costs against the capacity on top of its text, roughly its heap overhead. */
    static final int LINE_OVERHEAD = 64;

    private static final Logger log = LoggerFactory.getLogger(LogWriter.class);
    private static final int BATCH = 1024;

    private final String name;
    private final LogSink sink;
    private final int capacity;
    private final LongSupplier clock;
    private final List<LogListener> listeners = new CopyOnWriteArrayList<>();
    private final Thread thread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    // Guarded by lock.
    private final ArrayDeque<LogLine> queue = new ArrayDeque<>();
    private long buffered;
    private long droppedLines;
    private long droppedBytes;
    private long unreportedLines;
    private long unreportedBytes;
    private LogLine lastDropped;
    private int inFlight;
    private boolean closed;
    // Set under lock, read without it by the writer between lines of a batch.
    private volatile boolean abandoned;

    // Confined to the writer thread.
    private boolean failing;
    private long lostLines;

    /**
     * Starts a writer and its daemon thread.
     *
     * @param threadName    name of the writer thread
     * @param sink          where lines go; the writer closes it when it is closed
     * @param capacityBytes buffer capacity, see the class comment; {@link #DEFAULT_CAPACITY} if unsure
     */
    public LogWriter(String threadName, LogSink sink, int capacityBytes) {
        this(threadName, sink, capacityBytes, System::currentTimeMillis);
    }

    /** As the public constructor, with the clock that timestamps the writer's own report lines. */
    LogWriter(String threadName, LogSink sink, int capacityBytes, LongSupplier clock) {
        this.name = Objects.requireNonNull(threadName, "threadName");
        this.sink = Objects.requireNonNull(sink, "sink");
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("capacityBytes must be positive, was " + capacityBytes);
        }
        this.capacity = capacityBytes;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Buffers a line for writing, without ever blocking.
     *
     * @return true if buffered; false if the buffer was full (the line is counted as dropped) or
     *         the writer is closed (not counted)
     */
    public boolean offer(LogLine line) {
        int bytes = utf8Length(line.text());
        long cost = (long) bytes + LINE_OVERHEAD;
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            if (buffered > 0 && buffered + cost > capacity) {
                droppedLines++;
                droppedBytes += bytes;
                unreportedLines++;
                unreportedBytes += bytes;
                lastDropped = line;
                return false;
            }
            queue.addLast(line);
            buffered += cost;
            if (queue.size() == 1) {
                wake.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Lines refused because the buffer was full, since this writer started. */
    public long droppedLines() {
        lock.lock();
        try {
            return droppedLines;
        } finally {
            lock.unlock();
        }
    }

    /** UTF-8 bytes of text of the lines counted by {@link #droppedLines()}. */
    public long droppedBytes() {
        lock.lock();
        try {
            return droppedBytes;
        } finally {
            lock.unlock();
        }
    }

    /** The sink this writer drains into. */
    public LogSink sink() {
        return sink;
    }

    /**
     * Adds a listener for lines written from now on. A listener that throws is logged and removed,
     * since it would most likely throw for every further line.
     */
    public void addListener(LogListener l) {
        listeners.add(Objects.requireNonNull(l, "l"));
    }

    /** Removes a listener; lines already being delivered may still reach it. */
    public void removeListener(LogListener l) {
        listeners.remove(l);
    }

    /**
     * Stops accepting lines, lets the writer thread write what is buffered and then close the sink,
     * and waits for that at most {@code maxWait}. If the sink is too slow, the rest of the buffer is
     * discarded (with a warning), the writer thread is interrupted and closes the sink as soon as the
     * sink returns; this method does not wait for that. Idempotent.
     */
    public void close(Duration maxWait) {
        lock.lock();
        try {
            closed = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        long millis = maxWait.toMillis();
        try {
            if (millis > 0) {
                thread.join(millis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            return;
        }
        int discarded;
        lock.lock();
        try {
            abandoned = true;
            discarded = queue.size() + inFlight;
            queue.clear();
            wake.signal();
        } finally {
            lock.unlock();
        }
        thread.interrupt();
        log.warn("{}: the log sink did not drain within {} ms; up to {} buffered lines are lost",
                name, millis, discarded);
    }

    /** {@link #close(Duration)} waiting at most 2 s. */
    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }

    @Override
    public String toString() {
        return "LogWriter[" + name + "]";
    }

    private void run() {
        List<LogLine> batch = new ArrayList<>(BATCH);
        boolean dirty = false;
        try {
            while (true) {
                LogLine report = null;
                lock.lock();
                try {
                    while (queue.isEmpty() && !dirty && unreportedLines == 0 && !closed && !abandoned) {
                        wake.await();
                    }
                    if (abandoned || (closed && queue.isEmpty() && !dirty && unreportedLines == 0)) {
                        return;
                    }
                    while (batch.size() < BATCH && !queue.isEmpty()) {
                        batch.add(queue.pollFirst());
                    }
                    inFlight = batch.size();
                    if (batch.isEmpty() && unreportedLines > 0) {
                        report = new LogLine(lastDropped.app(), lastDropped.instance(), lastDropped.id(),
                                lastDropped.stream(), clock.getAsLong(), "[herd] dropped " + unreportedLines
                                        + " lines (" + unreportedBytes + " bytes): the log sink could not keep up");
                        unreportedLines = 0;
                        unreportedBytes = 0;
                        lastDropped = null;
                    }
                } finally {
                    lock.unlock();
                }
                if (!batch.isEmpty()) {
                    long cost = 0;
                    for (LogLine line : batch) {
                        if (abandoned) {
                            return;
                        }
                        write(line);
                        cost += utf8Length(line.text()) + LINE_OVERHEAD;
                    }
                    batch.clear();
                    dirty = true;
                    lock.lock();
                    try {
                        buffered -= cost;
                        inFlight = 0;
                    } finally {
                        lock.unlock();
                    }
                } else if (report != null) {
                    write(report);
                    dirty = true;
                } else {
                    flush();
                    dirty = false;
                }
            }
        } catch (InterruptedException e) {
            // Only close() interrupts, after it gave up waiting: fall through to closing the sink.
        } finally {
            try {
                sink.close();
            } catch (IOException | RuntimeException e) {
                log.warn("{}: closing the log sink failed", name, e);
            }
        }
    }

    private void write(LogLine line) {
        try {
            sink.write(line);
            if (failing) {
                failing = false;
                log.info("{}: the log sink works again; {} lines were lost", name, lostLines);
                lostLines = 0;
            }
        } catch (IOException | RuntimeException e) {
            lostLines++;
            failed("writing to", e);
        }
        // Listeners still see the line when the disk is full: herd logs should not go quiet too.
        for (LogListener l : listeners) {
            try {
                l.onLine(line);
            } catch (RuntimeException e) {
                listeners.remove(l);
                log.warn("{}: log listener {} threw and was removed", name, l, e);
            }
        }
    }

    private void flush() {
        try {
            sink.flush();
        } catch (IOException | RuntimeException e) {
            failed("flushing", e);
        }
    }

    private void failed(String what, Exception e) {
        if (!failing && !abandoned) {
            failing = true;
            log.warn("{}: {} the log sink failed; lines are lost until it works again", name, what, e);
        }
    }

    /** The length of {@code s} encoded by {@link String#getBytes} as UTF-8, without encoding it. */
    static int utf8Length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (!Character.isSurrogate(c)) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 2;
                i++;
            }
            // An unpaired surrogate is encoded as a single '?'.
        }
        return bytes;
    }
}
