package dev.herd.supervisor.logs;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.SignStyle;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A PM2 {@code log_date_format}, which is a moment.js pattern such as
 * {@code "YYYY-MM-DD HH:mm:ss Z"}, translated into a {@link DateTimeFormatter}.
 *
 * <p>Supported tokens: {@code YYYY YY MM M DD D HH H hh h mm m ss s SSS SS S Z ZZ A a} and
 * {@code [literal text]}. As in moment.js, characters that are not moment tokens (digits,
 * punctuation, {@code T}, ...) are copied as they are; moment tokens outside that list
 * ({@code MMM}, {@code Do}, {@code dddd}, {@code X}, ...) are rejected rather than printed
 * wrongly. Output never depends on the default locale.
 *
 * <p>Immutable and thread-safe.
 */
public final class LogDateFormat {

    /** Letters that start a moment.js token; any other letter is a literal in moment too. */
    private static final String MOMENT_LETTERS = "MDdeEwWgGYyQHhkmsSaAZzXxNo";
    private static final String SUPPORTED =
            "YYYY YY MM M DD D HH H hh h mm m ss s SSS SS S Z ZZ A a [literal]";

    private final String pattern;
    private final DateTimeFormatter formatter;

    private LogDateFormat(String pattern, DateTimeFormatter formatter) {
        this.pattern = pattern;
        this.formatter = formatter;
    }

    /** Parses a moment pattern for the system default time zone. */
    public static LogDateFormat parse(String momentPattern) {
        return parse(momentPattern, ZoneId.systemDefault());
    }

    /**
     * Parses a moment pattern for the given zone.
     *
     * @throws IllegalArgumentException naming the token and its position when the pattern uses a
     *                                  moment token herd does not support, or leaves a
     *                                  {@code [} unclosed
     */
    public static LogDateFormat parse(String momentPattern, ZoneId zone) {
        Objects.requireNonNull(momentPattern, "momentPattern");
        Objects.requireNonNull(zone, "zone");
        DateTimeFormatterBuilder b = new DateTimeFormatterBuilder();
        int i = 0;
        while (i < momentPattern.length()) {
            char c = momentPattern.charAt(i);
            if (c == '[') {
                int end = momentPattern.indexOf(']', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed '[' at position " + i
                            + " in log date format \"" + momentPattern + "\"");
                }
                b.appendLiteral(momentPattern.substring(i + 1, end));
                i = end + 1;
                continue;
            }
            if (MOMENT_LETTERS.indexOf(c) < 0) {
                b.appendLiteral(c);
                i++;
                continue;
            }
            int end = i + 1;
            while (end < momentPattern.length() && momentPattern.charAt(end) == c) {
                end++;
            }
            // Ordinals (Do, Mo, ...) are the token followed by 'o'; report them whole.
            if (c != 'o' && end < momentPattern.length() && momentPattern.charAt(end) == 'o') {
                end++;
            }
            String token = momentPattern.substring(i, end);
            if (!append(b, token)) {
                throw new IllegalArgumentException("unsupported moment token \"" + token + "\" at position "
                        + i + " in log date format \"" + momentPattern + "\"; supported: " + SUPPORTED);
            }
            i = end;
        }
        return new LogDateFormat(momentPattern, b.toFormatter(Locale.ROOT).withZone(zone));
    }

    private static boolean append(DateTimeFormatterBuilder b, String token) {
        switch (token) {
            case "YYYY" -> b.appendValue(ChronoField.YEAR, 4, 10, SignStyle.EXCEEDS_PAD);
            case "YY" -> b.appendValueReduced(ChronoField.YEAR, 2, 2, 2000);
            case "MM" -> b.appendValue(ChronoField.MONTH_OF_YEAR, 2);
            case "M" -> b.appendValue(ChronoField.MONTH_OF_YEAR);
            case "DD" -> b.appendValue(ChronoField.DAY_OF_MONTH, 2);
            case "D" -> b.appendValue(ChronoField.DAY_OF_MONTH);
            case "HH" -> b.appendValue(ChronoField.HOUR_OF_DAY, 2);
            case "H" -> b.appendValue(ChronoField.HOUR_OF_DAY);
            case "hh" -> b.appendValue(ChronoField.CLOCK_HOUR_OF_AMPM, 2);
            case "h" -> b.appendValue(ChronoField.CLOCK_HOUR_OF_AMPM);
            case "mm" -> b.appendValue(ChronoField.MINUTE_OF_HOUR, 2);
            case "m" -> b.appendValue(ChronoField.MINUTE_OF_HOUR);
            case "ss" -> b.appendValue(ChronoField.SECOND_OF_MINUTE, 2);
            case "s" -> b.appendValue(ChronoField.SECOND_OF_MINUTE);
            // moment truncates fractions (S is tenths), as appendFraction does.
            case "SSS" -> b.appendFraction(ChronoField.NANO_OF_SECOND, 3, 3, false);
            case "SS" -> b.appendFraction(ChronoField.NANO_OF_SECOND, 2, 2, false);
            case "S" -> b.appendFraction(ChronoField.NANO_OF_SECOND, 1, 1, false);
            // moment prints "+00:00" for UTC, never "Z".
            case "Z" -> b.appendOffset("+HH:MM", "+00:00");
            case "ZZ" -> b.appendOffset("+HHMM", "+0000");
            case "A" -> b.appendText(ChronoField.AMPM_OF_DAY, Map.of(0L, "AM", 1L, "PM"));
            case "a" -> b.appendText(ChronoField.AMPM_OF_DAY, Map.of(0L, "am", 1L, "pm"));
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The instant formatted in this format's zone. */
    public String format(long epochMillis) {
        return formatter.format(Instant.ofEpochMilli(epochMillis));
    }

    /** The moment pattern this was parsed from. */
    public String pattern() {
        return pattern;
    }

    @Override
    public String toString() {
        return "LogDateFormat[" + pattern + ", " + formatter.getZone() + "]";
    }
}
