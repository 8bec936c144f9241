package dev.herd.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.ZoneId;
import java.time.ZonedDateTime;

import org.junit.jupiter.api.Test;

/** cron_restart expressions as real PM2 files write them, and their next times. */
class CronScheduleTest {

    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    private static ZonedDateTime at(String local) {
        return java.time.LocalDateTime.parse(local).atZone(PARIS);
    }

    private static ZonedDateTime next(String expression, String after) {
        return CronSchedule.parse(expression).next(at(after)).orElseThrow();
    }

    @Test
    void fiveFieldsAsPm2FilesWriteThem() {
        assertThat(next("0 0 * * *", "2026-03-01T10:07:30")).isEqualTo(at("2026-03-02T00:00"));
        assertThat(next("*/5 * * * *", "2026-03-01T10:07:30")).isEqualTo(at("2026-03-01T10:10"));
        assertThat(next("0 */6 * * *", "2026-03-01T10:07:30")).isEqualTo(at("2026-03-01T12:00"));
        assertThat(next("30 3 * * 1-5", "2026-03-01T10:07:30")).isEqualTo(at("2026-03-02T03:30"));
    }

    @Test
    void sixFieldsHaveSecondsFirstAsCronerReadsThem() {
        assertThat(next("*/10 * * * * *", "2026-03-01T10:07:31")).isEqualTo(at("2026-03-01T10:07:40"));
        assertThat(next("0 0 3 * * *", "2026-03-01T10:07:31")).isEqualTo(at("2026-03-02T03:00"));
    }

    @Test
    void namesSundayAsSevenLastDayAndNicknames() {
        assertThat(next("0 0 * * 7", "2026-03-02T00:00")).isEqualTo(at("2026-03-08T00:00"));
        assertThat(next("0 0 * * SUN", "2026-03-02T00:00")).isEqualTo(at("2026-03-08T00:00"));
        assertThat(next("0 9 * JAN-MAR MON-FRI", "2026-03-06T10:00")).isEqualTo(at("2026-03-09T09:00"));
        assertThat(next("0 0 L * *", "2026-02-10T00:00")).isEqualTo(at("2026-02-28T00:00"));
        assertThat(next("@hourly", "2026-03-01T10:07")).isEqualTo(at("2026-03-01T11:00"));
        assertThat(next("@daily", "2026-03-01T10:07")).isEqualTo(at("2026-03-02T00:00"));
    }

    @Test
    void aDayOfMonthAndADayOfWeekMeanEitherAsInCron() {
        // The 1st or 15th, or any Friday: Friday the 6th comes first.
        assertThat(next("0 0 1,15 * 5", "2026-03-01T10:00")).isEqualTo(at("2026-03-06T00:00"));
    }

    @Test
    void theNextTimeFollowsTheZonesClockChanges() {
        // Paris skips 02:00-03:00 on 2026-03-29: 02:30 that day does not exist.
        assertThat(next("30 2 * * *", "2026-03-28T03:00")).isEqualTo(at("2026-03-30T02:30"));
        assertThat(next("0 * * * *", "2026-03-29T01:30")).isEqualTo(at("2026-03-29T03:00"));
    }

    @Test
    void spacesAreTidied() {
        assertThat(CronSchedule.parse("  0   0 * * * ").expression()).isEqualTo("0 0 * * *");
    }

    @Test
    void mistakesSayWhatIsWrongInOneLine() {
        assertThatThrownBy(() -> CronSchedule.parse("0 0 *")).hasMessage("has 3 fields, expected 5 (minute hour day"
                + " month weekday) or 6 (with seconds first)");
        assertThatThrownBy(() -> CronSchedule.parse("60 * * * *"))
                .hasMessage("value 60 not in range [0, 59]: expected " + CronSchedule.EXPECTED);
        assertThatThrownBy(() -> CronSchedule.parse("*/0 * * * *"))
                .hasMessageStartingWith("period 0 not in range");
        assertThatThrownBy(() -> CronSchedule.parse("a b c d e"))
                .hasMessageStartingWith("invalid chars in expression!");
        assertThatThrownBy(() -> CronSchedule.parse("")).hasMessage("empty: expected " + CronSchedule.EXPECTED);
        assertThatThrownBy(() -> CronSchedule.parse("0 0 31 2 *"))
                .hasMessage("'0 0 31 2 *' names no time that exists, so it would never restart the app");
    }
}
