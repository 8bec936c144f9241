package dev.herd.hit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class ScheduleTest {

    private static final long START = 5_000_000_000L;
    private static final long MS = 1_000_000L;

    @Test
    void closedLoopIsDueWhenTakenAndEndsAtTheCount() {
        Schedule s = Schedule.closedLoop(START, 3, null);
        assertThat(s.next(START + 7)).isEqualTo(new Schedule.Slot(1, START + 7));
        assertThat(s.next(START + 900 * MS)).isEqualTo(new Schedule.Slot(2, START + 900 * MS));
        assertThat(s.next(START + 60_000 * MS)).isEqualTo(new Schedule.Slot(3, START + 60_000 * MS));
        assertThat(s.next(START + 60_001 * MS)).isNull();
    }

    @Test
    void closedLoopEndsAtTheDuration() {
        Schedule s = Schedule.closedLoop(START, 0, Duration.ofSeconds(1));
        assertThat(s.next(START + 999 * MS)).isNotNull();
        assertThat(s.next(START + 1000 * MS)).isNull();
    }

    @Test
    void openLoopIsDueOnItsScheduleHoweverLateItIsTaken() {
        Schedule s = Schedule.openLoop(START, 0, Duration.ofSeconds(1), 4);
        assertThat(s.next(START)).isEqualTo(new Schedule.Slot(1, START));
        // Taken 600 ms late, after a stall: still due at 250 ms, so the wait counts in its latency.
        assertThat(s.next(START + 850 * MS)).isEqualTo(new Schedule.Slot(2, START + 250 * MS));
        assertThat(s.next(START + 850 * MS)).isEqualTo(new Schedule.Slot(3, START + 500 * MS));
        assertThat(s.next(START + 850 * MS)).isEqualTo(new Schedule.Slot(4, START + 750 * MS));
        assertThat(s.next(START)).as("due at 1 s, the end of the run").isNull();
    }

    @Test
    void openLoopThatFellBehindEndsOnTimeWithRequestsStillDue() {
        Schedule s = Schedule.openLoop(START, 0, Duration.ofSeconds(1), 100);

        assertThat(s.next(START + 999_000_000L).number()).isEqualTo(1);
        assertThat(s.next(START + 1_000_000_000L)).isNull();
    }

    @Test
    void openLoopEndsAtTheCountBeforeTheDuration() {
        Schedule s = Schedule.openLoop(START, 2, Duration.ofHours(1), 1000);
        assertThat(s.next(START)).isNotNull();
        assertThat(s.next(START)).isEqualTo(new Schedule.Slot(2, START + MS));
        assertThat(s.next(START)).isNull();
    }

    @Test
    void stopEndsItAtOnce() {
        Schedule s = Schedule.closedLoop(START, 100, null);
        s.next(START);
        s.stop();
        assertThat(s.next(START)).isNull();
    }

    @Test
    void aScheduleWithoutBoundsOrWithoutRateIsRefused() {
        assertThatThrownBy(() -> Schedule.closedLoop(START, 0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Schedule.openLoop(START, 10, null, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Schedule.openLoop(START, 10, null, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
