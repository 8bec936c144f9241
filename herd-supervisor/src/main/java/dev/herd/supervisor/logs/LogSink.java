package dev.herd.supervisor.logs;

import java.io.Closeable;
import java.io.IOException;

/**
 * Where a {@link LogWriter} puts lines. May be slow: the writer calls it only from its own
 * thread, never from the thread that reads the child's pipe.
 */
public interface LogSink extends Closeable {

    /** Writes one line; it need not be visible until {@link #flush()}. */
    void write(LogLine line) throws IOException;

    /** Makes the written lines visible. The writer calls it when its buffer runs empty, not per line. */
    void flush() throws IOException;
}
