package dev.herd.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations of PM2 fields written as text: plain milliseconds ({@code "1500"}) or
 * amounts with units {@code ms}, {@code s}, {@code m}, {@code h}, optionally combined
 * ({@code "1m30s"}) or with a fraction that comes to whole milliseconds ({@code "1.5s"}).
 */
public final class Durations {

    /** The accepted forms, for error messages. */
    public static final String EXPECTED = "milliseconds or a duration such as '500ms', '1s', '2m' or '1h'";

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final Map<String, Long> MILLIS = Map.of("ms", 1L, "s", 1_000L, "m", 60_000L, "h", 3_600_000L);

    private Durations() {
    }

    /** The duration, or empty when {@code text} is not one (negative, unknown unit, fraction of a millisecond). */
    public static Optional<Duration> parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        if (t.chars().allMatch(Character::isDigit)) {
            return millis(new BigDecimal(t));
        }
        Matcher m = PART.matcher(t);
        BigDecimal total = BigDecimal.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            total = total.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(MILLIS.get(m.group(2)))));
            end = m.end();
        }
        return end == t.length() ? millis(total) : Optional.empty();
    }

    private static Optional<Duration> millis(BigDecimal value) {
        try {
            return Optional.of(Duration.ofMillis(value.stripTrailingZeros().longValueExact()));
        } catch (ArithmeticException fractionOrOverflow) {
            return Optional.empty();
        }
    }
}
