package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
            "0, 0",
            "1500, 1500",
            "500ms, 500",
            "1s, 1000",
            "1.5s, 1500",
            "2m, 120000",
            "1h, 3600000",
            "1m30s, 90000",
            "1h1m1s1ms, 3661001",
            "' 10S ', 10000",
    })
    void parsesMillisecondsAndUnits(String text, long millis) {
        assertThat(Durations.parse(text)).contains(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "soon", "-1s", "-5", "1d", "1 s", "s", "1.5", "0.5ms", "1s1", "99999999999999999999"})
    void rejectsAnythingElse(String text) {
        assertThat(Durations.parse(text)).isEmpty();
    }
}
