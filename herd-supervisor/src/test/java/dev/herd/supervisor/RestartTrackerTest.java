package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.Test;

class RestartTrackerTest {

    private static final DoubleNoJitter NO_JITTER = new DoubleNoJitter();

    private static RestartPolicy policy(int maxRestarts) {
        return new RestartPolicy(true, maxRestarts, Duration.ofMillis(1000), Duration.ofMillis(250), Duration.ZERO, Set.of());
    }

    private static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }

    @Test
    void unstableExitsBeyondMaxRestartsEndInErrored() {
        RestartTracker t = new RestartTracker(policy(3), NO_JITTER);
        for (int i = 1; i <= 3; i++) {
            RestartDecision d = t.onExit(1, ms(10));
            assertThat(d.next()).as("exit %d", i).isEqualTo(ProcessState.WAITING_RESTART);
            assertThat(d.delay()).isEqualTo(ms(250));
            assertThat(t.unstableRestarts()).isEqualTo(i);
        }
        RestartDecision last = t.onExit(1, ms(10));
        assertThat(last.next()).isEqualTo(ProcessState.ERRORED);
        assertThat(last.reason()).contains("4 times in a row").contains("max_restarts is 3");
    }

    @Test
    void aLongRunThatNeverGotReadyCountsAsUnstable() {
        RestartTracker t = new RestartTracker(policy(1), NO_JITTER);
        assertThat(t.onExit(143, ms(10_000), false).next()).isEqualTo(ProcessState.WAITING_RESTART);
        assertThat(t.unstableRestarts()).isEqualTo(1);

        RestartDecision last = t.onExit(143, ms(10_000), false);

        assertThat(last.next()).isEqualTo(ProcessState.ERRORED);
        assertThat(last.reason()).contains("2 times in a row before min_uptime (1000 ms) or without getting ready");
        assertThat(new RestartTracker(policy(1), NO_JITTER).onExit(143, ms(10_000), true).reason())
                .as("the same run, ready").isEqualTo("exited, restarting");
    }

    @Test
    void aStableRunResetsTheCountSoALateCrashLoopIsCaughtToo() {
        RestartTracker t = new RestartTracker(policy(2), NO_JITTER);
        t.onExit(1, ms(10));
        t.onExit(1, ms(10));
        assertThat(t.unstableRestarts()).isEqualTo(2);
        assertThat(t.onExit(1, ms(1000)).next()).isEqualTo(ProcessState.WAITING_RESTART);
        assertThat(t.unstableRestarts()).isZero();
        t.onExit(1, ms(999));
        t.onExit(1, ms(999));
        assertThat(t.onExit(1, ms(999)).next()).isEqualTo(ProcessState.ERRORED);
    }

    @Test
    void maxRestartsZeroGivesUpOnTheFirstUnstableExit() {
        RestartTracker t = new RestartTracker(policy(0), NO_JITTER);
        assertThat(t.onExit(1, ms(5)).next()).isEqualTo(ProcessState.ERRORED);
    }

    @Test
    void maxRestartsZeroStillRestartsAfterStableRuns() {
        RestartTracker t = new RestartTracker(policy(0), NO_JITTER);
        assertThat(t.onExit(1, ms(5000)).next()).isEqualTo(ProcessState.WAITING_RESTART);
    }

    @Test
    void autorestartOffStops() {
        RestartPolicy p = new RestartPolicy(false, 16, ms(1000), Duration.ZERO, Duration.ZERO, Set.of());
        RestartDecision d = new RestartTracker(p, NO_JITTER).onExit(1, ms(5));
        assertThat(d.next()).isEqualTo(ProcessState.STOPPED);
        assertThat(d.reason()).contains("autorestart is off");
    }

    @Test
    void stopExitCodeStopsEvenWhenUnstable() {
        RestartPolicy p = new RestartPolicy(true, 16, ms(1000), Duration.ZERO, Duration.ZERO, Set.of(0, 3));
        RestartTracker t = new RestartTracker(p, NO_JITTER);
        assertThat(t.onExit(3, ms(5)).next()).isEqualTo(ProcessState.STOPPED);
        assertThat(t.onExit(2, ms(5)).next()).isEqualTo(ProcessState.WAITING_RESTART);
    }

    @Test
    void backoffReplacesTheFixedDelay() {
        RestartPolicy p = new RestartPolicy(true, 16, ms(1000), ms(5000), ms(100), Set.of());
        RestartTracker t = new RestartTracker(p, NO_JITTER);
        assertThat(t.onExit(1, ms(5)).delay()).isEqualTo(ms(100));
        assertThat(t.onExit(1, ms(5)).delay()).isEqualTo(ms(150));
    }

    @Test
    void resetForgetsUnstableExits() {
        RestartTracker t = new RestartTracker(policy(1), NO_JITTER);
        t.onExit(1, ms(5));
        t.reset();
        assertThat(t.onExit(1, ms(5)).next()).isEqualTo(ProcessState.WAITING_RESTART);
    }

    /** 0.5 is the middle of [0, 1): no jitter either way. */
    static final class DoubleNoJitter implements java.util.function.DoubleSupplier {
        @Override
        public double getAsDouble() {
            return 0.5;
        }
    }
}
