package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizesTest {

    @ParameterizedTest
    @CsvSource({
            "0, 0",
            "1048576, 1048576",
            "100B, 100",
            "512K, 524288",
            "512k, 524288",
            "10M, 10485760",
            "10MB, 10485760",
            "10MiB, 10485760",
            "1G, 1073741824",
            "1.5G, 1610612736",
            "'2 M', 2097152",
    })
    void parsesBytesAndBinaryUnits(String text, long bytes) {
        assertThat(ByteSizes.parse(text)).hasValue(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "big", "-1M", "10T", "M", "1.5", "0.1K", "99999999999999999999G"})
    void rejectsAnythingElse(String text) {
        assertThat(ByteSizes.parse(text)).isEmpty();
    }
}
