package dev.herd.watch;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

import com.cronutils.model.Cron;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

/**
 * A {@code cron_restart} schedule, in the syntax PM2's cron library (croner) reads: five fields
 * (minute, hour, day of month, month, day of week), or six with seconds first; {@code *},
 * lists, ranges and steps ({@code *}{@code /5}); month and day names ({@code JAN}, {@code MON-FRI});
 * {@code 0} and {@code 7} for Sunday; {@code L} for the last day of the month. herd also reads
 * cron's nicknames ({@code @daily}, {@code @hourly}...). As in cron, a day of month and a day of
 * week both restricted mean either (croner 4, in PM2, asks for both).
 *
 * <p>Parsing and the next times are cron-utils'; this class only chooses the definition. Immutable
 * and thread-safe.
 */
public final class CronSchedule {

    /** The forms accepted, for error messages. */
    public static final String EXPECTED = "a cron expression such as '0 0 * * *' (minute hour day month weekday)"
            + " or '*/10 * * * * *' (with seconds first)";

    private static final CronParser FIVE = new CronParser(definition(false));
    private static final CronParser SIX = new CronParser(definition(true));
    /** Where "does it ever fire" is asked from, so that the answer does not depend on today. */
    private static final ZonedDateTime REFERENCE = LocalDateTime.of(2000, 1, 1, 0, 0).atZone(ZoneOffset.UTC);

    private final String expression;
    private final ExecutionTime times;

    private CronSchedule(String expression, ExecutionTime times) {
        this.expression = expression;
        this.times = times;
    }

    /**
     * @throws IllegalArgumentException saying what is wrong, in one line, when the expression is
     *                                  not one, or names no time that exists (the 31st of February)
     */
    public static CronSchedule parse(String expression) {
        String e = expression.trim().replaceAll("\\s+", " ");
        if (e.isEmpty()) {
            throw new IllegalArgumentException("empty: expected " + EXPECTED);
        }
        int fields = e.startsWith("@") ? 1 : e.split(" ").length;
        if (fields != 1 && fields != 5 && fields != 6) {
            throw new IllegalArgumentException("has " + fields + " fields, expected 5 (minute hour day month weekday)"
                    + " or 6 (with seconds first)");
        }
        Cron cron;
        try {
            cron = (fields == 6 ? SIX : FIVE).parse(e);
            cron.validate();
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(tidy(ex.getMessage()) + ": expected " + EXPECTED);
        }
        ExecutionTime times = ExecutionTime.forCron(cron);
        // Leap days come every four years; a date that is not there in eight never is.
        if (times.nextExecution(REFERENCE).filter(t -> t.isBefore(REFERENCE.plusYears(8))).isEmpty()) {
            throw new IllegalArgumentException("'" + e + "' names no time that exists, so it would never restart the app");
        }
        return new CronSchedule(e, times);
    }

    /** The expression, spaces tidied. */
    public String expression() {
        return expression;
    }

    /** The first time strictly after {@code after}, in its zone; empty if there is none. */
    public Optional<ZonedDateTime> next(ZonedDateTime after) {
        return times.nextExecution(after);
    }

    @Override
    public String toString() {
        return expression;
    }

    /** cron-utils' messages begin with a phrase of its own and name the expression; keep what was wrong. */
    private static String tidy(String message) {
        if (message == null) {
            return "not a cron expression";
        }
        String m = message.replace("Failed to parse cron expression. ", "").replace("Failed to parse '", "'");
        return m.isEmpty() ? "not a cron expression" : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }

    private static CronDefinition definition(boolean seconds) {
        CronDefinitionBuilder b = CronDefinitionBuilder.defineCron();
        if (seconds) {
            b = b.withSeconds().withValidRange(0, 59).withStrictRange().and();
        }
        return b.withMinutes().withValidRange(0, 59).withStrictRange().and()
                .withHours().withValidRange(0, 23).withStrictRange().and()
                .withDayOfMonth().withValidRange(1, 31).supportsL().withStrictRange().and()
                .withMonth().withValidRange(1, 12).withStrictRange().and()
                .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).withStrictRange().and()
                .withSupportedNicknameYearly().withSupportedNicknameAnnually().withSupportedNicknameMonthly()
                .withSupportedNicknameWeekly().withSupportedNicknameDaily().withSupportedNicknameMidnight()
                .withSupportedNicknameHourly()
                .instance();
    }
}
