package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.herd.balancer.Health;

class HealthTrackerTest {

    /**
     * Each row: rise, fall, the starting health, the check results (+ pass, - fail) and the
     * health after each one (U unknown, H healthy, X unhealthy).
     */
    @ParameterizedTest(name = "rise {0} fall {1} from {2}: {3} -> {4}")
    @CsvSource(delimiter = '|', textBlock = """
            2 | 3 | UNKNOWN   | ++        | UH
            2 | 3 | UNKNOWN   | ---       | UUX
            2 | 3 | UNKNOWN   | +-+-+-    | UUUUUU
            2 | 3 | UNKNOWN   | +--+      | UUUU
            1 | 1 | UNKNOWN   | +-+       | HXH
            2 | 3 | HEALTHY   | --+--+--- | HHHHHHHHX
            2 | 3 | HEALTHY   | ---       | HHX
            2 | 3 | UNHEALTHY | +-++      | XXXH
            2 | 3 | UNHEALTHY | +++++     | XHHHH
            2 | 3 | HEALTHY   | ---++     | HHXXH
            3 | 2 | UNHEALTHY | ++-+++    | XXXXXH
            """)
    void followsRiseAndFall(int rise, int fall, Health initial, String results, String expected) {
        HealthTracker tracker = new HealthTracker(rise, fall, initial);
        List<Character> seen = new ArrayList<>();
        for (char r : results.toCharArray()) {
            Health h = r == '+' ? tracker.onSuccess() : tracker.onFailure();
            assertThat(tracker.health()).isEqualTo(h);
            seen.add(switch (h) {
                case UNKNOWN -> 'U';
                case HEALTHY -> 'H';
                case UNHEALTHY -> 'X';
            });
        }
        StringBuilder actual = new StringBuilder();
        seen.forEach(actual::append);
        assertThat(actual.toString()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "a long run of passes then fall {0} failures")
    @CsvSource({"1", "3", "7"})
    void longRunsDoNotDelayTheOtherTransition(int fall) {
        HealthTracker tracker = new HealthTracker(2, fall, Health.UNKNOWN);
        for (int i = 0; i < 1000; i++) {
            tracker.onSuccess();
        }
        for (int i = 1; i < fall; i++) {
            assertThat(tracker.onFailure()).isEqualTo(Health.HEALTHY);
        }
        assertThat(tracker.onFailure()).isEqualTo(Health.UNHEALTHY);
    }
}
