package dev.herd.supervisor.logs;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Objects;

/**
 * How a line goes into a log file, the three ways PM2 writes it ({@code lib/God/ForkMode.js}):
 * <ul>
 *   <li>as the app wrote it;</li>
 *   <li>after a timestamp and a colon, {@code "2026-03-05T09:04:05: listening"}, with a
 *       {@code log_date_format} (or {@code time: true}, which means {@link #PM2_TIME});</li>
 *   <li>as one JSON object ({@code log_type: json}), keys in PM2's order:
 *       {@code {"message":"listening\n","timestamp":"2026-03-05T08:04:05.007Z","type":"out",
 *       "process_id":3,"app_name":"api"}}. The message ends with the newline, as PM2's does for
 *       a line the app wrote; the timestamp is in the date format if one is set, else ISO-8601 in
 *       UTC with milliseconds (JavaScript's {@code toISOString()}); {@code process_id} is the
 *       instance's id ({@code pm_id} in PM2). A JSON line has no timestamp prefix.</li>
 * </ul>
 * And back: {@link #shown(String)} is what herd's own readers ({@code herd logs}, monit) show of
 * a line as written, the message of a JSON line.
 *
 * <p>Immutable and thread-safe.
 */
public final class LogFormat {

    /** The date format PM2's {@code time: true} (and {@code --time}) stands for. */
    public static final String PM2_TIME = "YYYY-MM-DDTHH:mm:ss";

    private static final LogFormat PLAIN = new LogFormat(null, false);
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'",
            Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final String MESSAGE_KEY = "{\"message\":\"";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final LogDateFormat dates;
    private final boolean json;

    private LogFormat(LogDateFormat dates, boolean json) {
        this.dates = dates;
        this.json = json;
    }

    /** Lines as the app wrote them. */
    public static LogFormat plain() {
        return PLAIN;
    }

    /**
     * @param dates the timestamp's format, or {@code null}: no prefix on plain lines, ISO-8601 in
     *              JSON lines
     * @param json  each line as a JSON object
     */
    public static LogFormat of(LogDateFormat dates, boolean json) {
        return dates == null && !json ? PLAIN : new LogFormat(dates, json);
    }

    /** Whether lines are written as JSON objects. */
    public boolean json() {
        return json;
    }

    /** The time that goes with a line written at {@code epochMillis}, or {@code null} when plain lines carry none. */
    String stamp(long epochMillis) {
        if (dates != null) {
            return dates.format(epochMillis);
        }
        return json ? ISO.format(Instant.ofEpochMilli(epochMillis)) : null;
    }

    /** The line as written, without its newline. */
    public String written(LogLine line) {
        return written(line, stamp(line.epochMillis()));
    }

    /** {@link #written(LogLine)} with the line's {@link #stamp}, which a caller may have kept from the line before. */
    String written(LogLine line, String stamp) {
        if (json) {
            StringBuilder b = new StringBuilder(line.text().length() + stamp.length() + line.app().length() + 80);
            b.append(MESSAGE_KEY);
            escape(b, line.text());
            b.append("\\n\",\"timestamp\":\"");
            escape(b, stamp);
            b.append("\",\"type\":\"").append(line.stream().label()).append("\",\"process_id\":").append(line.id())
                    .append(",\"app_name\":\"");
            escape(b, line.app());
            return b.append("\"}").toString();
        }
        return stamp == null ? line.text() : stamp + ": " + line.text();
    }

    /** What herd shows of a line it is about to write: {@link #shown(String)} of {@link #written(LogLine)}. */
    public String shown(LogLine line) {
        return json ? line.text() : written(line);
    }

    /**
     * What herd shows of a line read from a file in this format: a JSON line's message without
     * its final newline; any other line (of a plain file, or one in a JSON file that is not such
     * an object) as it is.
     */
    public String shown(String written) {
        Objects.requireNonNull(written, "written");
        if (!json || !written.startsWith(MESSAGE_KEY)) {
            return written;
        }
        String message = unescape(written, MESSAGE_KEY.length());
        if (message == null) {
            return written;
        }
        return message.endsWith("\n") ? message.substring(0, message.length() - 1) : message;
    }

    /** Appends {@code s} escaped as JSON.stringify escapes it inside a string. */
    private static void escape(StringBuilder b, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    boolean loneSurrogate = Character.isHighSurrogate(c)
                            ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                            : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
                    if (c < 0x20 || loneSurrogate) {
                        b.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 15]).append(HEX[(c >> 4) & 15])
                                .append(HEX[c & 15]);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
    }

    /** The JSON string that starts at {@code from} (after its opening quote), or {@code null} if it is not one. */
    private static String unescape(String s, int from) {
        StringBuilder b = new StringBuilder(s.length() - from);
        int i = from;
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == '"') {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) {
                return null;
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        return null;
                    }
                    int code = 0;
                    for (int k = 0; k < 4; k++) {
                        int digit = Character.digit(s.charAt(i + k), 16);
                        if (digit < 0) {
                            return null;
                        }
                        code = code * 16 + digit;
                    }
                    b.append((char) code);
                    i += 4;
                }
                default -> {
                    return null;
                }
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "LogFormat[" + (json ? "json" : "plain") + (dates == null ? "" : ", " + dates.pattern()) + "]";
    }
}
