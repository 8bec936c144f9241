package dev.herd.supervisor.logs;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one pipe of a child, splits it into lines and offers each to its {@link LogWriter}s (the
 * stream's own file, and a combined log if there is one), never waiting for them: the child can
 * only be slowed by the reading, never by the log files. A pipe's raw descriptor is read by the
 * one thread that polls every instance's pipes ({@link #poll}); a stream (a JDK {@code Process}'s)
 * on a daemon thread of its own ({@link #start}).
 *
 * <p>Lines end at {@code \n} or {@code \r\n}; a line longer than 16 KiB is cut into pieces of at
 * most 16 KiB (a cut never splits a multibyte character); bytes are decoded as UTF-8 with
 * replacement; a last line without terminator still counts. A line not ended yet is written as it
 * is once no byte came for {@link #PARTIAL_LINE_QUIET} (a prompt, a progress bar, a flushed
 * {@code printf}), and what follows starts a new line: the log shows it while the app waits, not
 * when it ends. The pump closes the stream when it stops.
 */
public final class OutputPump {

    private static final Logger log = LoggerFactory.getLogger(OutputPump.class);
    /** Per pump, so kept small: a pipe flood is read in more calls, none of them blocking the child. */
    private static final int READ_SIZE = 16 * 1024;

    /** How long a line without its end waits for more bytes before it is written as it is. */
    public static final Duration PARTIAL_LINE_QUIET = Duration.ofMillis(200);

    /**
     * One thread for every pump's partial lines: a pump's own thread is blocked in its read, and a
     * check is scheduled only while a pump holds a partial line, so quiet apps cost nothing.
     */
    private static final ScheduledThreadPoolExecutor QUIET_CHECKS = quietChecks();

    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final long quietNanos;
    /** Guards the splitter and the fields below: the pump thread feeds it, the quiet check flushes it. */
    private final Object lock = new Object();
    private LineSplitter splitter;
    private long lastFedNanos;
    private boolean checkScheduled;
    private boolean ended;
    // Incremented under the lock only.
    private volatile long lines;

    private OutputPump(Duration quiet) {
        this.quietNanos = quiet.toNanos();
    }

    private static ScheduledThreadPoolExecutor quietChecks() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "herd-partial-lines");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /**
     * Starts pumping {@code in} into {@code writers}.
     *
     * @param in          the child's stdout or stderr; the pump owns and closes it
     * @param instance    the instance's index in its app
     * @param id          the instance's id
     * @param writers     where each line goes, in this order; a writer listed twice (a combined
     *                    log that is also the stream's own file) gets it once
     * @param epochMillis the clock that timestamps each line as it is read
     */
    public static OutputPump start(InputStream in, String app, int instance, int id, Stream stream,
                                   List<LogWriter> writers, LongSupplier epochMillis) {
        return start(in, app, instance, id, stream, writers, epochMillis, PARTIAL_LINE_QUIET);
    }

    /**
     * Starts pumping the pipe whose read end is {@code fd}, on the thread that polls every pipe
     * (no thread of its own); the pump closes {@code fd} at its end. Arguments as {@link #start}.
     */
    public static OutputPump poll(int fd, String app, int instance, int id, Stream stream, List<LogWriter> writers,
                                  LongSupplier epochMillis) {
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(epochMillis, "epochMillis");
        OutputPump pump = new OutputPump(PARTIAL_LINE_QUIET);
        pump.begin(app, instance, id, stream, writers.stream().distinct().toList(), epochMillis);
        PipePoller.shared().add(fd, new PipePoller.Reader() {
            @Override
            public void fed(byte[] bytes, int count) {
                pump.fed(bytes, count);
            }

            @Override
            public void ended(Exception failure) {
                if (failure != null) {
                    log.warn("reading {} of {}#{} failed; no more of its output is logged", stream.label(), app,
                            instance, failure);
                }
                pump.end();
            }
        });
        return pump;
    }

    /** {@link #start}, with a partial line written after {@code quiet} without a byte. */
    static OutputPump start(InputStream in, String app, int instance, int id, Stream stream,
                            List<LogWriter> writers, LongSupplier epochMillis, Duration quiet) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(stream, "stream");
        List<LogWriter> distinct = writers.stream().distinct().toList();
        Objects.requireNonNull(epochMillis, "epochMillis");
        OutputPump pump = new OutputPump(quiet);
        Thread t = new Thread(() -> pump.run(in, app, instance, id, stream, distinct, epochMillis),
                "herd-pump-" + app + "-" + instance + "-" + stream.label());
        t.setDaemon(true);
        t.start();
        return pump;
    }

    /**
     * Completes normally when the pump stopped: at end of stream, or after a read error, which is
     * logged as a warning. Every line read has been offered by then. Completes exceptionally only
     * on a bug (an unchecked exception from the writer or the clock).
     */
    public CompletableFuture<Void> done() {
        return done;
    }

    /** Lines read so far, whether the writer accepted them or not. */
    public long lines() {
        return lines;
    }

    private void begin(String app, int instance, int id, Stream stream, List<LogWriter> writers,
                       LongSupplier epochMillis) {
        synchronized (lock) {
            splitter = new LineSplitter(text -> {
                LogLine line = new LogLine(app, instance, id, stream, epochMillis.getAsLong(), text);
                for (LogWriter writer : writers) {
                    writer.offer(line);
                }
                lines++;
            });
        }
    }

    private void run(InputStream in, String app, int instance, int id, Stream stream, List<LogWriter> writers,
                     LongSupplier epochMillis) {
        begin(app, instance, id, stream, writers, epochMillis);
        try {
            try (in) {
                byte[] buf = new byte[READ_SIZE];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    fed(buf, n);
                }
            } catch (IOException e) {
                log.warn("reading {} of {}#{} failed; no more of its output is logged",
                        stream.label(), app, instance, e);
            }
            end();
        } catch (RuntimeException | Error e) {
            done.completeExceptionally(e);
            throw e;
        }
    }

    /** The pipe ended: what is held of a last line goes out, and {@link #done} completes. */
    private void end() {
        try {
            synchronized (lock) {
                ended = true;
                splitter.finish();
            }
            done.complete(null);
        } catch (RuntimeException | Error e) {
            done.completeExceptionally(e);
            throw e;
        }
    }

    private void fed(byte[] buf, int n) {
        synchronized (lock) {
            splitter.feed(buf, 0, n);
            lastFedNanos = System.nanoTime();
            if (splitter.holdsPartialLine() && !checkScheduled) {
                checkAfter(quietNanos);
            }
        }
    }

    /** Writes the partial line if no byte came for the quiet time, else looks again when it would be over. */
    private void checkQuiet() {
        synchronized (lock) {
            checkScheduled = false;
            if (ended || !splitter.holdsPartialLine()) {
                return;
            }
            long quietFor = System.nanoTime() - lastFedNanos;
            if (quietFor >= quietNanos) {
                splitter.finish();
            } else {
                checkAfter(quietNanos - quietFor);
            }
        }
    }

    private void checkAfter(long nanos) {
        checkScheduled = true;
        QUIET_CHECKS.schedule(this::checkQuiet, nanos, TimeUnit.NANOSECONDS);
    }
}
