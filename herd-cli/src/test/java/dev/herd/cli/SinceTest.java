package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.herd.daemon.HerdException;

/** The forms {@code herd logs --since} takes. */
class SinceTest {

    private static final long NOW = Instant.parse("2026-12-02T12:00:00Z").toEpochMilli();
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
            "10m, 2026-12-02T11:50:00Z",
            "1h30m, 2026-12-02T10:30:00Z",
            "45s, 2026-12-02T11:59:15Z",
            "2d, 2026-11-30T12:00:00Z",
            "2026-12-02T10:00:00Z, 2026-12-02T10:00:00Z",
            "2026-12-02 10:00, 2026-12-02T09:00:00Z",
            "2026-12-02T10:00:30, 2026-12-02T09:00:30Z",
            "2026-12-02, 2026-12-01T23:00:00Z",
    })
    void readsATimeAgoOrAMoment(String text, String expected) throws HerdException {
        assertThat(Since.parse(text, NOW, PARIS)).isEqualTo(Instant.parse(expected).toEpochMilli());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10", "yesterday", "-5m", "10 parsecs", ""})
    void anythingElseIsOneLineNamingTheForms(String text) {
        assertThatThrownBy(() -> Since.parse(text, NOW, PARIS)).isInstanceOf(HerdException.class)
                .hasMessageStartingWith("logs --since: expected a time ago such as '30s'");
    }
}
