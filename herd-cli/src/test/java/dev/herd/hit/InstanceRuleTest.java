package dev.herd.hit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InstanceRuleTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
        "NULL      | Hello from worker 4312                  | 4312",
        "2         | Hello from worker 4312                  | 2",
        "'  '      | Hello from worker 4312                  | 4312",
        "NULL      | '  Hello from process 77  '             | 77",
        "NULL      | '{\"pid\": 4312, \"uptime\": 12}'         | 4312",
        "NULL      | '{\"uptime\": 12, \"Worker\": \"w-2\"}'   | w-2",
        "NULL      | '{\"instance\":\"api-3\",\"t\":17}'       | api-3",
        "NULL      | '{\"message\":\"Hello from worker 7\"}'   | 7",
        "NULL      | OK                                      | OK",
        "NULL      | ''                                      | (empty)",
        "NULL      | NULL                                    | (empty)",
    })
    void headerThenFieldThenLastNumberThenTheLine(String header, String line, String expected) {
        assertThat(InstanceRule.identify(header, line)).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void aLongLineWithoutNumberIsCut() {
        assertThat(InstanceRule.identify(null, "x".repeat(500))).hasSize(InstanceRule.MAX_LENGTH);
    }
}
