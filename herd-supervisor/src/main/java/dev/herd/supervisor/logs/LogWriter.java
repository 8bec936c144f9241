package dev.herd.supervisor.logs;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded buffer of lines drained into a {@link LogSink} by a small pool of threads that every
 * writer shares, so that a child process is never blocked by a slow disk, and an instance costs
 * no thread of its own.
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
 * draining thread after each line was handed to the sink.
 *
 * <p>Thread-safe. A writer with lines to write has one drain task in the pool at a time, which
 * writes a few batches and then goes to the back of the queue, so a busy log does not starve the
 * others; only that task writes, flushes or closes the sink. The pool's threads exist only while
 * there is something to write, and a sink stuck in a write holds one of them, never the others'
 * lines (theirs wait in their own buffers, bounded as above).
 */
public final class LogWriter implements AutoCloseable {

    /** The default capacity: 1 MiB, an upper bound; the buffer holds only what waits. */
    public static final int DEFAULT_CAPACITY = 1 << 20;
    /** What a buffered line costs against the capacity on top of its text, roughly its heap overhead. */
    static final int LINE_OVERHEAD = 64;

    private static final Logger log = LoggerFactory.getLogger(LogWriter.class);
    private static final int BATCH = 1024;
    /** Batches a drain task writes before it lets the other writers' tasks run. */
    private static final int BATCHES_PER_TURN = 4;
    /** The shared pool: at most this many sinks are written at once. */
    private static final int POOL_THREADS = 4;
    private static final ThreadPoolExecutor POOL = pool();

    private final String name;
    private final LogSink sink;
    private final int capacity;
    private final LongSupplier clock;
    private final List<LogListener> listeners = new CopyOnWriteArrayList<>();

    private final ReentrantLock lock = new ReentrantLock();
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
    /** Whether a drain task is in the pool or running. */
    private boolean scheduled;
    /** Whether the sink was closed: the writer is finished. */
    private boolean sinkClosed;
    // Set under lock, read without it by the drain between lines of a batch.
    private volatile boolean abandoned;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    /** The thread running this writer's drain, or null; guarded by itself, so an interrupt hits only this drain. */
    private final Object runnerLock = new Object();
    private Thread runner;

    // Confined to the drain task (one at a time).
    private final List<LogLine> batch = new ArrayList<>();
    private boolean dirty;
    private boolean failing;
    private long lostLines;

    /**
     * Starts a writer; its lines are drained by the shared pool.
     *
     * @param name          the writer's name, in what herd logs about it
     * @param sink          where lines go; the writer closes it when it is closed
     * @param capacityBytes buffer capacity, see the class comment; {@link #DEFAULT_CAPACITY} if unsure
     */
    public LogWriter(String name, LogSink sink, int capacityBytes) {
        this(name, sink, capacityBytes, System::currentTimeMillis);
    }

    /** As the public constructor, with the clock that timestamps the writer's own report lines. */
    LogWriter(String name, LogSink sink, int capacityBytes, LongSupplier clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.sink = Objects.requireNonNull(sink, "sink");
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("capacityBytes must be positive, was " + capacityBytes);
        }
        this.capacity = capacityBytes;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    private static ThreadPoolExecutor pool() {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(POOL_THREADS, POOL_THREADS, 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "herd-log-writer-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        // No thread while nothing is written: an idle daemon has none.
        pool.allowCoreThreadTimeOut(true);
        return pool;
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
            scheduleLocked();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Puts a drain task in the pool unless one is there; under the lock. */
    private void scheduleLocked() {
        if (!scheduled && !sinkClosed) {
            scheduled = true;
            POOL.execute(this::drain);
        }
    }

    /**
     * Lines lost since this writer started: refused because the buffer was full, or not written
     * because the sink failed (a full disk).
     */
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
     * Stops accepting lines, lets the drain write what is buffered and then close the sink, and
     * waits for that at most {@code maxWait}. If the sink is too slow, the rest of the buffer is
     * discarded (with a warning), the draining thread is interrupted and the sink is closed as soon
     * as it returns; this method does not wait for that. Idempotent.
     */
    public void close(Duration maxWait) {
        lock.lock();
        try {
            closed = true;
            scheduleLocked();
        } finally {
            lock.unlock();
        }
        synchronized (runnerLock) {
            if (runner == Thread.currentThread()) {
                // A listener closing its own writer: the drain closes the sink when it returns.
                return;
            }
        }
        long millis = maxWait.toMillis();
        try {
            finished.get(Math.max(millis, 0), TimeUnit.MILLISECONDS);
            return;
        } catch (TimeoutException e) {
            // Given up below.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (finished.isDone()) {
            return;
        }
        int discarded;
        lock.lock();
        try {
            abandoned = true;
            discarded = queue.size() + inFlight;
            queue.clear();
            scheduleLocked();
        } finally {
            lock.unlock();
        }
        synchronized (runnerLock) {
            if (runner != null) {
                runner.interrupt();
            }
        }
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

    /** What the drain does next. */
    private enum Step { WRITE, REPORT, FLUSH, CLOSE, IDLE }

    /** One turn of the drain task: a few batches, then back to the pool's queue if more waits. */
    private void drain() {
        synchronized (runnerLock) {
            runner = Thread.currentThread();
        }
        try {
            for (int turn = 0; turn < BATCHES_PER_TURN; turn++) {
                LogLine report = null;
                Step step;
                lock.lock();
                try {
                    if (abandoned || (closed && queue.isEmpty() && !dirty && unreportedLines == 0)) {
                        step = Step.CLOSE;
                    } else {
                        while (batch.size() < BATCH && !queue.isEmpty()) {
                            batch.add(queue.pollFirst());
                        }
                        inFlight = batch.size();
                        if (!batch.isEmpty()) {
                            step = Step.WRITE;
                        } else if (unreportedLines > 0) {
                            step = Step.REPORT;
                            report = new LogLine(lastDropped.app(), lastDropped.instance(), lastDropped.id(),
                                    lastDropped.stream(), clock.getAsLong(), "[herd] dropped " + unreportedLines
                                            + " lines (" + unreportedBytes + " bytes): the log sink could not keep up");
                            unreportedLines = 0;
                            unreportedBytes = 0;
                            lastDropped = null;
                        } else if (dirty) {
                            step = Step.FLUSH;
                        } else {
                            step = Step.IDLE;
                            scheduled = false;
                        }
                    }
                } finally {
                    lock.unlock();
                }
                switch (step) {
                    case WRITE -> writeBatch();
                    case REPORT -> {
                        write(report);
                        dirty = true;
                    }
                    case FLUSH -> {
                        flush();
                        dirty = false;
                    }
                    case CLOSE -> {
                        closeSink();
                        return;
                    }
                    case IDLE -> {
                        return;
                    }
                }
            }
            // More to do: behind the other writers' turns.
            POOL.execute(this::drain);
        } finally {
            synchronized (runnerLock) {
                runner = null;
                // An interrupt meant for this writer's stuck sink must not reach the next task.
                Thread.interrupted();
            }
        }
    }

    private void writeBatch() {
        long cost = 0;
        for (LogLine line : batch) {
            if (abandoned) {
                break;
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
    }

    private void closeSink() {
        lock.lock();
        try {
            sinkClosed = true;
            scheduled = false;
            queue.clear();
        } finally {
            lock.unlock();
        }
        try {
            sink.close();
        } catch (IOException | RuntimeException e) {
            log.warn("{}: closing the log sink failed", name, e);
        } finally {
            finished.complete(null);
        }
    }

    private void write(LogLine line) {
        try {
            // Not "works again" yet: a buffered sink takes lines into its buffer while the disk is
            // full; only a flush that goes through says so (else the failure is logged again and
            // again, each time the buffer has room for a few lines).
            sink.write(line);
        } catch (IOException | RuntimeException e) {
            lostLines++;
            // Counted with the refused lines, so that describe says them (a full disk, say).
            lock.lock();
            try {
                droppedLines++;
                droppedBytes += utf8Length(line.text());
            } finally {
                lock.unlock();
            }
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
            if (failing) {
                failing = false;
                log.info("{}: the log sink works again; {} lines were lost", name, lostLines);
                lostLines = 0;
            }
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
