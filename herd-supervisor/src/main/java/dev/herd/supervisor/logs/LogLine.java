package dev.herd.supervisor.logs;

import java.util.Objects;

/**
 * One line of output, without its line terminator.
 *
 * @param app         the app's name
 * @param instance    the instance's index within the app
 * @param id          the instance's id among all instances (PM2's {@code pm_id})
 * @param stream      the pipe it came from
 * @param epochMillis when herd read it, in milliseconds since the epoch
 * @param text        the line, decoded as UTF-8, without {@code \n} or {@code \r\n}
 */
public record LogLine(String app, int instance, int id, Stream stream, long epochMillis, String text) {

    public LogLine {
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(text, "text");
    }
}
