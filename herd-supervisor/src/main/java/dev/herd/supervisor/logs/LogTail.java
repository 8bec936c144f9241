package dev.herd.supervisor.logs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The last lines of a log file, as {@code herd logs --lines n} prints them: {@link LogHistory} without the times. */
public final class LogTail {

    private LogTail() {
    }

    /**
     * The last {@code n} lines of {@code file}, oldest first, without terminators. If the file has
     * fewer, the rest come from the end of its rotated files, newest ({@code file.1}) first. A
     * file ending without a newline still has that last line; a missing file has no lines.
     */
    public static List<String> lastLines(Path file, int n) throws IOException {
        if (n < 0) {
            throw new IllegalArgumentException("n must not be negative, was " + n);
        }
        return LogHistory.read(file, n, LogHistory.EVER).stream().map(LogHistory.Line::text).toList();
    }
}
