package dev.herd.supervisor.logs;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one pipe of a child on its own daemon thread, splits it into lines and offers each to its
 * {@link LogWriter}s (the stream's own file, and a combined log if there is one), never waiting
 * for them: the child can only be slowed by this thread reading, never by the log files.
 *
 * <p>Lines end at {@code \n} or {@code \r\n}; a line longer than 16 KiB is cut into pieces of at
 * most 16 KiB (a cut never splits a multibyte character); bytes are decoded as UTF-8 with
 * replacement; a last line without terminator still counts. The pump closes the stream when it
 * stops.
 */
public final class OutputPump {

    private static final Logger log = LoggerFactory.getLogger(OutputPump.class);
    private static final int READ_SIZE = 64 * 1024;

    private final CompletableFuture<Void> done = new CompletableFuture<>();
    // Written only by the pump thread, so the increment needs no atomicity.
    private volatile long lines;

    private OutputPump() {
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
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(stream, "stream");
        List<LogWriter> distinct = writers.stream().distinct().toList();
        Objects.requireNonNull(epochMillis, "epochMillis");
        OutputPump pump = new OutputPump();
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

    private void run(InputStream in, String app, int instance, int id, Stream stream, List<LogWriter> writers,
                     LongSupplier epochMillis) {
        LineSplitter splitter = new LineSplitter(text -> {
            LogLine line = new LogLine(app, instance, id, stream, epochMillis.getAsLong(), text);
            for (LogWriter writer : writers) {
                writer.offer(line);
            }
            lines++;
        });
        try {
            try (in) {
                byte[] buf = new byte[READ_SIZE];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    splitter.feed(buf, 0, n);
                }
            } catch (IOException e) {
                log.warn("reading {} of {}#{} failed; no more of its output is logged",
                        stream.label(), app, instance, e);
            }
            splitter.finish();
            done.complete(null);
        } catch (RuntimeException | Error e) {
            done.completeExceptionally(e);
            throw e;
        }
    }
}
