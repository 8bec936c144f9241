package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogDateFormatTest {

    private static final ZoneOffset KOLKATA = ZoneOffset.ofHoursMinutes(5, 30);

    @ParameterizedTest(name = "{1} at {0} -> \"{2}\"")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            # local time in +05:30             | moment pattern               | expected
            2024-03-05T09:04:05.007            | YYYY-MM-DD HH:mm:ss Z        | 2024-03-05 09:04:05 +05:30
            2024-03-05T09:04:05.007            | YY M D H m s                 | 24 3 5 9 4 5
            2024-03-05T09:04:05.007            | ZZ                           | +0530
            2024-03-05T09:04:05.007            | hh:mm A                      | 09:04 AM
            2024-03-05T09:04:05.007            | h:mm a                       | 9:04 am
            2024-03-05T21:04:05.007            | hh:mm A                      | 09:04 PM
            2024-03-05T21:04:05.007            | h:mm a H                     | 9:04 pm 21
            2024-03-05T00:30:00                | h A HH                       | 12 AM 00
            2024-03-05T12:30:00                | h A                          | 12 PM
            2024-03-05T09:04:05.007            | ss.SSS ss.SS ss.S            | 05.007 05.00 05.0
            2024-03-05T09:04:05.987            | SSS SS S                     | 987 98 9
            2024-12-31T23:59:59.999            | YYYY-MM-DDTHH:mm:ss.SSSZ     | 2024-12-31T23:59:59.999+05:30
            2024-03-05T09:04:05                | [Today is] D/M [at] H[h]     | Today is 5/3 at 9h
            2024-03-05T09:04:05                | [YYYY MM] YYYY               | YYYY MM 2024
            2024-03-05T09:04:05                | []YYYY                       | 2024
            2024-03-05T09:04:05                | ""                           | ""
            """)
    void formatsMomentPatterns(String localTime, String pattern, String expected) {
        long millis = LocalDateTime.parse(localTime).atOffset(KOLKATA).toInstant().toEpochMilli();

        LogDateFormat format = LogDateFormat.parse(pattern, KOLKATA);

        assertThat(format.format(millis)).isEqualTo(expected);
        assertThat(format.pattern()).isEqualTo(pattern);
    }

    @Test
    void utcOffsetIsNumericLikeMoment() {
        long millis = Instant.parse("2024-03-05T09:04:05Z").toEpochMilli();

        assertThat(LogDateFormat.parse("HH:mm Z|ZZ", ZoneOffset.UTC).format(millis)).isEqualTo("09:04 +00:00|+0000");
    }

    @Test
    void followsTheZonesDaylightSavingTime() {
        LogDateFormat format = LogDateFormat.parse("YYYY-MM-DD HH:mm Z", ZoneId.of("Europe/Berlin"));

        assertThat(format.format(Instant.parse("2024-01-15T12:00:00Z").toEpochMilli()))
                .isEqualTo("2024-01-15 13:00 +01:00");
        assertThat(format.format(Instant.parse("2024-07-15T12:00:00Z").toEpochMilli()))
                .isEqualTo("2024-07-15 14:00 +02:00");
    }

    @ParameterizedTest(name = "{0} is rejected at {2}")
    @CsvSource(delimiter = '|', textBlock = """
            YYYY-MMM-DD     | MMM  | 5
            MMMM            | MMMM | 0
            Do MMMM         | Do   | 0
            dddd HH:mm      | dddd | 0
            X               | X    | 0
            YYYY-MM-DD HH:mm:ss.SSSS | SSSS | 20
            HH:mm zz        | zz   | 6
            Y               | Y    | 0
            YYY             | YYY  | 0
            """)
    void rejectsUnsupportedTokensPrecisely(String pattern, String token, int position) {
        assertThatThrownBy(() -> LogDateFormat.parse(pattern, KOLKATA))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unsupported moment token \"" + token + "\" at position " + position
                        + " in log date format \"" + pattern + "\"")
                .hasMessageContaining("supported: YYYY YY MM M DD D HH H hh h mm m ss s SSS SS S Z ZZ A a [literal]");
    }

    @Test
    void rejectsAnUnclosedBracket() {
        assertThatThrownBy(() -> LogDateFormat.parse("HH [at", KOLKATA))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unclosed '[' at position 3 in log date format \"HH [at\"");
    }

    @Test
    void defaultsToTheSystemZone() {
        long millis = Instant.parse("2024-03-05T09:04:05Z").toEpochMilli();

        assertThat(LogDateFormat.parse("YYYY-MM-DD HH:mm:ss Z").format(millis))
                .isEqualTo(LogDateFormat.parse("YYYY-MM-DD HH:mm:ss Z", ZoneId.systemDefault()).format(millis));
    }
}
