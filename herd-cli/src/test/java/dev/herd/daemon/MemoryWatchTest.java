package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.herd.supervisor.MemoryLimit;

/** {@link MemoryWatch}'s decisions, on a hand-moved clock. */
class MemoryWatchTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MB = 1024 * 1024;
    private static final MemoryLimit LIMIT = new MemoryLimit(300 * MB, Duration.ofSeconds(5));

    private final MemoryWatch watch = new MemoryWatch();

    private static MemoryWatch.Sample sample(int id, long pid, long mb) {
        return new MemoryWatch.Sample(id, "api", id, pid, LIMIT, mb * MB);
    }

    @Test
    void anInstanceOverItsLimitIsNamedWithHowMuchItHeld() {
        List<MemoryWatch.Breach> over = watch.check(List.of(sample(0, 100, 200), sample(1, 101, 310)), 0);

        assertThat(over).extracting(MemoryWatch.Breach::id).containsExactly(1);
        assertThat(over.get(0).reason()).isEqualTo("memory 310.0mb over max_memory_restart 300.0mb");
    }

    @Test
    void itIsCheckedAtItsAppsIntervalNotAtEverySample() {
        watch.check(List.of(sample(0, 100, 200)), 0);

        assertThat(watch.check(List.of(sample(0, 100, 400)), 4 * SECOND)).as("checked 4 s ago").isEmpty();
        assertThat(watch.check(List.of(sample(0, 100, 400)), 5 * SECOND)).hasSize(1);
    }

    @Test
    void theSameProcessIsNamedOnceWhileItsRestartIsUnderWayAndItsSuccessorAgain() {
        assertThat(watch.check(List.of(sample(0, 100, 400)), 0)).hasSize(1);
        assertThat(watch.check(List.of(sample(0, 100, 400)), 5 * SECOND)).as("still stopping").isEmpty();

        assertThat(watch.check(List.of(sample(0, 200, 100)), 10 * SECOND)).isEmpty();
        assertThat(watch.check(List.of(sample(0, 200, 400)), 15 * SECOND)).as("the new process leaks too").hasSize(1);
    }

    @Test
    void aRestartThatCouldNotBeDoneIsAskedForAgainAtTheNextCheck() {
        watch.check(List.of(sample(0, 100, 400)), 0);
        watch.retry(0);

        assertThat(watch.check(List.of(sample(0, 100, 400)), 2 * SECOND)).isEmpty();
        assertThat(watch.check(List.of(sample(0, 100, 400)), 5 * SECOND)).hasSize(1);
    }

    @Test
    void anInstanceGoneIsForgottenSoItsIdStartsAfresh() {
        watch.check(List.of(sample(0, 100, 400)), 0);
        watch.check(List.of(), SECOND);

        assertThat(watch.check(List.of(sample(0, 100, 400)), 2 * SECOND)).hasSize(1);
    }

    @Test
    void atTheLimitIsNotOverIt() {
        assertThat(watch.check(List.of(sample(0, 100, 300)), 0)).isEmpty();
    }
}
