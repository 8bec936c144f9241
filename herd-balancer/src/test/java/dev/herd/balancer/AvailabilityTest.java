package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.backends;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** What every algorithm, with and without slow start, must do about unavailable backends. */
class AvailabilityTest {

    private static final long NOW = 5_000;

    private final AtomicLong now = new AtomicLong(NOW);

    static Stream<Arguments> algorithmsAndWaysToBeUnavailable() {
        List<Arguments> all = new ArrayList<>();
        for (Algorithm a : Algorithm.values()) {
            all.add(Arguments.of(a, "unhealthy", (Consumer<Backend>) b -> b.setHealth(Health.UNHEALTHY)));
            all.add(Arguments.of(a, "draining", (Consumer<Backend>) b -> b.setAdmin(AdminState.DRAINING, NOW)));
            all.add(Arguments.of(a, "maintenance", (Consumer<Backend>) b -> b.setAdmin(AdminState.MAINTENANCE, NOW)));
            all.add(Arguments.of(a, "cooling down", (Consumer<Backend>) b -> b.coolDown(NOW, NOW + 1)));
            all.add(Arguments.of(a, "suspect with a probe out", (Consumer<Backend>) b -> {
                b.responseTimedOut(NOW, NOW);
                b.claimProbe(NOW, NOW + 1);
            }));
            all.add(Arguments.of(a, "suspect in a pause between probes", (Consumer<Backend>) b -> {
                b.responseTimedOut(NOW, NOW);
                b.responseTimedOut(NOW, NOW);
            }));
        }
        return all.stream();
    }

    private static final long SECOND = 1_000_000_000L;

    @Test
    void aBackendThatLetAResponseTimeOutTakesOneRequestAtATimeWithLongerPausesUntilOneIsAnswered() {
        Backend b = backends(1).get(0);
        b.onStart();
        b.onStart();
        assertThat(b.responseTimedOut(NOW, NOW - 2 * SECOND)).as("starts the suspicion").isTrue();
        b.onEnd(SECOND, NOW, ErrorKind.RESPONSE_TIMEOUT);
        assertThat(b.isAvailable(NOW)).as("what is still in flight from before does not hold the probe").isTrue();
        assertThat(b.responseTimedOut(NOW, NOW - 2 * SECOND)).as("reported once").isFalse();
        assertThat(b.isAvailable(NOW)).as("a timeout from before the suspicion pauses nothing").isTrue();

        long t = NOW;
        assertThat(b.claimProbe(t, t + 100)).isEqualTo(Backend.Claim.PROBE);
        assertThat(b.isAvailable(t)).as("while a request holds the probe").isFalse();
        assertThat(b.claimProbe(t, t + 100)).as("by one pick only").isEqualTo(Backend.Claim.TAKEN);
        assertThat(b.isAvailable(t + 100)).as("a probe that never ended lapses").isTrue();
        assertThat(b.claimProbe(t + 100, t + 10 * SECOND)).isEqualTo(Backend.Claim.PROBE);
        b.onStart();

        b.responseTimedOut(t + 2 * SECOND, t + 100);
        b.onEnd(SECOND, t, ErrorKind.RESPONSE_TIMEOUT);
        b.probeEnded();
        t += 2 * SECOND;
        assertThat(b.isAvailable(t)).as("the probe timed out too: a pause").isFalse();
        assertThat(b.isAvailable(t + SECOND)).as("of a second").isTrue();
        assertThat(b.claimProbe(t + SECOND, t + 10 * SECOND)).isEqualTo(Backend.Claim.PROBE);
        b.responseTimedOut(t + 3 * SECOND, t + SECOND);
        b.probeEnded();
        t += 3 * SECOND;
        assertThat(b.isAvailable(t + SECOND)).as("the next probe timed out too: twice the pause").isFalse();
        assertThat(b.isAvailable(t + 2 * SECOND)).isTrue();
        for (int i = 0; i < 10; i++) {
            b.responseTimedOut(t, t);
        }
        assertThat(b.isAvailable(t + 31 * SECOND)).isFalse();
        assertThat(b.isAvailable(t + 32 * SECOND)).as("the pause is at most 32 s").isTrue();

        t += 32 * SECOND;
        assertThat(b.claimProbe(t, t + 100)).isEqualTo(Backend.Claim.PROBE);
        assertThat(b.answered()).as("its answer ends the suspicion").isTrue();
        assertThat(b.answered()).isFalse();
        assertThat(b.claimProbe(t, t + 100)).isEqualTo(Backend.Claim.NOT_SUSPECT);
        assertThat(b.isAvailable(t)).as("its full share again, with no pause").isTrue();
        assertThat(b.responseTimedOut(t, t)).as("a new suspicion").isTrue();
        assertThat(b.isAvailable(t)).as("which pauses nothing at first").isTrue();
    }

    @Test
    void aSuspectBackendBackFromMaintenanceIsSuspectNoMore() {
        Backend b = backends(1).get(0);
        b.responseTimedOut(NOW, NOW);
        b.responseTimedOut(NOW, NOW);
        b.setAdmin(AdminState.MAINTENANCE, NOW);
        b.setAdmin(AdminState.READY, NOW);
        assertThat(b.suspect()).as("a new process, say").isFalse();
        assertThat(b.isAvailable(NOW)).as("and no pause").isTrue();
        assertThat(b.responseTimedOut(NOW + SECOND, NOW + SECOND)).isTrue();
        assertThat(b.isAvailable(NOW + SECOND)).as("a new suspicion inherits no pause").isTrue();
        b.answered();
        b.setAdmin(AdminState.DRAINING, NOW);
        b.responseTimedOut(NOW, NOW);
        b.setAdmin(AdminState.READY, NOW);
        assertThat(b.suspect()).as("the same process, back from draining").isTrue();
    }

    @ParameterizedTest(name = "{0} never picks a backend {1}")
    @MethodSource("algorithmsAndWaysToBeUnavailable")
    void neverPicksAnUnavailableBackend(Algorithm algorithm, String state, Consumer<Backend> makeUnavailable) {
        for (boolean slowStart : new boolean[] {false, true}) {
            List<Backend> backends = backends(16);
            for (int i = 0; i < 16; i += 2) {
                makeUnavailable.accept(backends.get(i));
            }
            LoadBalancer lb = balancer(algorithm, backends, slowStart);

            for (int i = 0; i < 2_000; i++) {
                Backend b = lb.pick(new RequestInfo("10.1.0." + i));
                assertThat(b).isNotNull();
                assertThat(b.isAvailable(NOW)).as("%s picked with slow start %s", b, slowStart).isTrue();
            }
        }
    }

    @ParameterizedTest(name = "{0} picks null when every backend is {1}")
    @MethodSource("algorithmsAndWaysToBeUnavailable")
    void nullWhenNoneIsAvailable(Algorithm algorithm, String state, Consumer<Backend> makeUnavailable) {
        for (boolean slowStart : new boolean[] {false, true}) {
            List<Backend> backends = backends(3);
            backends.forEach(makeUnavailable);

            assertThat(balancer(algorithm, backends, slowStart).pick(new RequestInfo("k"))).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void nullWithoutBackends(Algorithm algorithm) {
        assertThat(balancer(algorithm, List.of(), false).pick(new RequestInfo("k"))).isNull();
        assertThat(balancer(algorithm, List.of(), true).pick(new RequestInfo("k"))).isNull();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aCooledDownBackendComesBack(Algorithm algorithm) {
        List<Backend> backends = backends(1);
        backends.get(0).coolDown(NOW, NOW + 1);
        LoadBalancer lb = balancer(algorithm, backends, false);
        assertThat(lb.pick(new RequestInfo("k"))).isNull();

        now.set(NOW + 1);

        assertThat(lb.pick(new RequestInfo("k"))).isSameAs(backends.get(0));
    }

    private LoadBalancer balancer(Algorithm algorithm, List<Backend> backends, boolean slowStart) {
        SplittableRandom random = new SplittableRandom(5);
        LoadBalancer lb = LoadBalancers.of(algorithm, backends, now::get, random);
        // Joined at 0 and a window far longer than NOW: every backend is ramping.
        return slowStart ? LoadBalancers.slowStart(lb, Duration.ofHours(1), now::get, random) : lb;
    }

    @Test
    void aCoolDownStartsOnceUntilItHasRunOut() {
        Backend b = backends(1).get(0);
        assertThat(b.coolDown(NOW, NOW + 100)).as("starts").isTrue();
        assertThat(b.coolDown(NOW + 50, NOW + 150)).as("extended while running").isFalse();
        assertThat(b.isAvailable(NOW + 149)).isFalse();
        assertThat(b.isAvailable(NOW + 150)).isTrue();
        assertThat(b.coolDown(NOW + 150, NOW + 250)).as("a new one after it ran out").isTrue();
    }
}
