package dev.herd.cli;

import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Optional;

import dev.herd.config.Durations;
import dev.herd.daemon.HerdException;

/**
 * Reads {@code herd logs --since}: a time ago ({@code 10m}, {@code 1h30m}, {@code 2d}) or a
 * moment ({@code 2026-12-02 10:00}, {@code 2026-12-02T10:00:00Z}, {@code 2026-12-02}), as
 * journalctl takes them; a moment without a zone is in the local one.
 */
final class Since {

    static final String EXPECTED = "a time ago such as '30s', '10m', '2h' or '1d', or a moment such as"
            + " '2026-12-02 10:00' or '2026-12-02T10:00:00Z'";

    private Since() {
    }

    /**
     * @return epoch milliseconds
     * @throws HerdException naming the option and the forms it takes
     */
    static long parse(String text, long nowMillis, ZoneId zone) throws HerdException {
        String t = text.trim();
        Optional<Long> ago = ago(t);
        if (ago.isPresent()) {
            return nowMillis - ago.get();
        }
        String iso = t.replace(' ', 'T');
        try {
            return OffsetDateTime.parse(iso).toInstant().toEpochMilli();
        } catch (DateTimeParseException notWithZone) {
            // Try without a zone.
        }
        try {
            return LocalDateTime.parse(iso).atZone(zone).toInstant().toEpochMilli();
        } catch (DateTimeParseException notADateTime) {
            // Try a date.
        }
        try {
            return LocalDate.parse(iso).atStartOfDay(zone).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new HerdException("logs --since: expected " + EXPECTED + ", got '" + text + "'");
        }
    }

    /** A time ago in milliseconds: a duration with its unit (a bare number is ambiguous here), days included. */
    private static Optional<Long> ago(String t) {
        if (t.isEmpty() || Character.isDigit(t.charAt(t.length() - 1))) {
            return Optional.empty();
        }
        if (t.endsWith("d") && t.length() > 1 && t.substring(0, t.length() - 1).chars().allMatch(Character::isDigit)) {
            return Optional.of(Duration.ofDays(Long.parseLong(t.substring(0, t.length() - 1))).toMillis());
        }
        return Durations.parse(t).map(Duration::toMillis);
    }
}
