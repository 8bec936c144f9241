package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class BackoffTest {

    private static final Duration SHORT = Duration.ofMillis(10);

    @Test
    void growsByOneAndAHalfUpToTheCap() {
        Backoff b = new Backoff(Duration.ofMillis(100), () -> 0.5);
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            delays.add(b.next(SHORT).toMillis());
        }
        assertThat(delays).containsExactly(100L, 150L, 225L, 338L, 507L, 761L, 1142L, 1713L, 2570L, 3855L, 5783L,
                8675L, 13013L, 15000L);
        assertThat(b.next(SHORT).toMillis()).isEqualTo(15000L);
    }

    @Test
    void startsOverAfterThirtySecondsUp() {
        Backoff b = new Backoff(Duration.ofMillis(100), () -> 0.5);
        b.next(SHORT);
        b.next(SHORT);
        assertThat(b.next(Duration.ofMillis(29_999)).toMillis()).isEqualTo(225L);
        assertThat(b.next(Duration.ofSeconds(30)).toMillis()).isEqualTo(100L);
        assertThat(b.next(SHORT).toMillis()).isEqualTo(150L);
    }

    @Test
    void jitterStaysWithinTenPercentAndUnderTheCap() {
        SplittableRandom random = new SplittableRandom(42);
        Backoff b = new Backoff(Duration.ofMillis(1000), random::nextDouble);
        long base = 1000;
        for (int i = 0; i < 12; i++) {
            long d = b.next(SHORT).toMillis();
            assertThat(d).isBetween(Math.round(base * 0.9) - 1, Math.min(15000, Math.round(base * 1.1) + 1));
            base = Math.min(15000, Math.round(base * 1.5));
        }
    }

    @Test
    void extremesOfTheRandomSourceGiveTheBoundsOfTheJitter() {
        assertThat(new Backoff(Duration.ofMillis(1000), () -> 0.0).next(SHORT).toMillis()).isEqualTo(900L);
        assertThat(new Backoff(Duration.ofMillis(1000), () -> 0.999999).next(SHORT).toMillis()).isEqualTo(1100L);
    }
}
