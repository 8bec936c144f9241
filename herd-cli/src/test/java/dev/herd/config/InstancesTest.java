package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class InstancesTest {

    @ParameterizedTest(name = "{0} on 8 cores is {1}")
    @CsvSource({
            "1, 1",
            "4, 4",
            "16, 16",
            "0, 8",
            "-1, 7",
            "-7, 1",
            "-8, 1",
            "-100, 1",
            "-9223372036854775808, 1",
    })
    void countsLikePm2(long n, int expected) {
        assertThat(Instances.count(n, 8)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"max, 8", "MAX, 8", "' 4 ', 4", "-1, 7", "0, 8"})
    void parsesTheCommandLineForms(String text, int expected) {
        assertThat(Instances.parse(text, 8)).hasValue(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "many", "1.5", "4x"})
    void rejectsAnythingElse(String text) {
        assertThat(Instances.parse(text, 8)).isEmpty();
    }
}
