package dev.herd.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.herd.watch.ChangeDebounce.Decision;

/** The debounce of a watched app, each edge driven with times by hand. */
class ChangeDebounceTest {

    private static final long MS = 1_000_000L;

    private final ChangeDebounce d = new ChangeDebounce(Duration.ofMillis(500), Duration.ofSeconds(10));

    @Test
    void oneChangeRestartsOnceTheQuietTimeHasPassed() {
        assertThat(d.changed(0, "a.js")).isEqualTo(new Decision.WaitUntil(500 * MS));
        assertThat(d.due(499 * MS)).isEqualTo(new Decision.WaitUntil(500 * MS));
        assertThat(d.due(500 * MS)).isEqualTo(new Decision.Restart("a watched file changed: a.js"));
        assertThat(d.phase()).isEqualTo(ChangeDebounce.Phase.RESTARTING);
        assertThat(d.restarted(900 * MS, true)).isEqualTo(new Decision.Nothing());
        assertThat(d.phase()).isEqualTo(ChangeDebounce.Phase.IDLE);
    }

    @Test
    void aBurstOf200ChangesRestartsOnceAfterTheLast() {
        for (int i = 0; i < 200; i++) {
            assertThat(d.changed(i * 10 * MS, "f" + i + ".js")).isEqualTo(new Decision.WaitUntil((i * 10 + 500) * MS));
        }
        assertThat(d.due(500 * MS)).isEqualTo(new Decision.WaitUntil(2490 * MS));
        assertThat(d.due(2490 * MS)).isEqualTo(new Decision.Restart("200 watched files changed (f0.js first)"));
    }

    @Test
    void theSameFileWrittenOftenCountsOnce() {
        d.changed(0, "a.js");
        d.changed(MS, "a.js");
        assertThat(d.due(501 * MS)).isEqualTo(new Decision.Restart("a watched file changed: a.js"));
    }

    @Test
    void changesWithoutEndRestartAtTheLatestMaxWaitAfterTheFirst() {
        Decision last = null;
        for (long t = 0; t <= 12_000; t += 100) {
            last = d.changed(t * MS, "busy.txt");
            if (t == 9_600) {
                assertThat(last).isEqualTo(new Decision.WaitUntil(10_000 * MS));
            }
            if (t == 10_000) {
                break;
            }
        }
        assertThat(d.due(10_000 * MS)).isInstanceOf(Decision.Restart.class);
    }

    @Test
    void changesDuringARestartBringOneMoreAfterIt() {
        d.changed(0, "a.js");
        d.due(500 * MS);
        assertThat(d.changed(600 * MS, "b.js")).isEqualTo(new Decision.Nothing());
        assertThat(d.changed(700 * MS, "c.js")).isEqualTo(new Decision.Nothing());
        assertThat(d.due(800 * MS)).isEqualTo(new Decision.Nothing());

        assertThat(d.restarted(3000 * MS, true)).isEqualTo(new Decision.WaitUntil(3500 * MS));
        assertThat(d.due(3500 * MS)).isEqualTo(new Decision.Restart("2 watched files changed (b.js first)"));
    }

    @Test
    void aRestartThatCouldNotBeginIsTriedAgainWithItsReason() {
        d.changed(0, "a.js");
        d.due(500 * MS);
        assertThat(d.restarted(510 * MS, false)).isEqualTo(new Decision.WaitUntil(1010 * MS));
        assertThat(d.due(1010 * MS)).isEqualTo(new Decision.Restart("a watched file changed: a.js"));
    }

    @Test
    void aTimerOfNoBurstDoesNothing() {
        assertThat(d.due(5 * MS)).isEqualTo(new Decision.Nothing());
        assertThat(d.restarted(5 * MS, true)).isEqualTo(new Decision.Nothing());
    }

    @Test
    void theMaxWaitIsTenTimesTheQuietTimeAndTenSecondsAtLeast() {
        assertThat(ChangeDebounce.maxWaitFor(Duration.ofMillis(500))).isEqualTo(Duration.ofSeconds(10));
        assertThat(ChangeDebounce.maxWaitFor(Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(30));
    }
}
