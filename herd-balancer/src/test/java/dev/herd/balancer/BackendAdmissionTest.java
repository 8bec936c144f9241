package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.counts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A backend that joins in maintenance and is admitted later, as cluster mode adds instances: no clocks, no threads. */
class BackendAdmissionTest {

    private static final Duration WINDOW = Duration.ofSeconds(30);
    /** Long after the backends joined at 0: a ramp from joining would be over. */
    private static final long ADMITTED = 1_000_000_000_000L;
    private static final int PICKS = 100_000;

    private final AtomicLong now = new AtomicLong(ADMITTED);

    private static Backend inMaintenance(String id) {
        return new Backend(id, "7", InetSocketAddress.createUnresolved("127.0.0.1", 9000), 1, AdminState.MAINTENANCE, 0,
                Fixtures.EWMA_DECAY);
    }

    @Test
    void joinedInMaintenanceItIsNotAvailableUntilAdmitted() {
        Backend b = inMaintenance("b");
        assertThat(b.admin()).isEqualTo(AdminState.MAINTENANCE);
        assertThat(b.health()).isEqualTo(Health.UNKNOWN);
        assertThat(b.isAvailable(ADMITTED)).isFalse();

        b.setAdmin(AdminState.READY, ADMITTED);

        assertThat(b.isAvailable(ADMITTED)).isTrue();
        assertThat(b.readySinceNanos()).isEqualTo(ADMITTED);
        assertThat(b.name()).isEqualTo("7");
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void noAlgorithmPicksItInMaintenanceAndEveryOneDoesOnceAdmitted(Algorithm algorithm) {
        List<Backend> backends = List.of(Fixtures.backend("a"), Fixtures.backend("b"), inMaintenance("new"));
        LoadBalancer lb = LoadBalancers.of(algorithm, backends, now::get, new SplittableRandom(3));

        assertThat(counts(lb, 3_000, i -> "10.3.0." + (i & 255))).doesNotContainKey("new");

        backends.get(2).setAdmin(AdminState.READY, ADMITTED);

        assertThat(counts(lb, 3_000, i -> "10.3.0." + (i & 255))).containsKey("new");
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"ROUND_ROBIN", "RANDOM", "IP_HASH"})
    void theSlowStartRampBeginsAtAdmissionNotAtJoining(Algorithm algorithm) {
        List<Backend> backends = List.of(Fixtures.backend("old0"), Fixtures.backend("old1"), inMaintenance("new"));
        backends.get(2).setAdmin(AdminState.READY, ADMITTED);
        now.set(ADMITTED + WINDOW.toNanos() / 4);
        SplittableRandom random = new SplittableRandom(9);
        LoadBalancer lb = LoadBalancers.slowStart(LoadBalancers.of(algorithm, backends, now::get, random), WINDOW,
                now::get, random);

        Map<String, Integer> counts = counts(lb, PICKS, i -> "10.4." + (i >> 8) + "." + (i & 255));

        double old = (counts.get("old0") + counts.get("old1")) / 2.0;
        assertThat(counts.get("new") / old).as("%s", counts).isCloseTo(0.25, offset(0.03));
    }

    @Test
    void aReturnFromDrainingRampsAgainButKeepsItsHealth() {
        Backend b = Fixtures.backend("b");
        b.setHealth(Health.HEALTHY);
        b.setAdmin(AdminState.DRAINING, 10);

        b.setAdmin(AdminState.READY, 20);

        assertThat(b.readySinceNanos()).isEqualTo(20);
        assertThat(b.health()).isEqualTo(Health.HEALTHY);
    }

    @Test
    void admissionFromMaintenanceForgetsOldHealthAndCoolDown() {
        Backend b = Fixtures.backend("b");
        b.setHealth(Health.UNHEALTHY);
        b.coolDown(100, 10_000);
        b.setAdmin(AdminState.MAINTENANCE, 100);

        b.setAdmin(AdminState.READY, 200);

        assertThat(b.health()).isEqualTo(Health.UNKNOWN);
        assertThat(b.isAvailable(200)).isTrue();
        assertThat(b.coolDown(300, 400)).as("a new cool-down starts, and is reported, afresh").isTrue();
    }

    @Test
    void inMaintenanceItIsDrainedOnceNothingIsInFlight() {
        Backend b = Fixtures.backend("b");
        b.onStart();
        b.setAdmin(AdminState.MAINTENANCE, 0);
        CompletableFuture<Void> drained = b.drained();
        assertThat(drained).isNotDone();

        b.onEnd(1_000, 1_000, ErrorKind.RESET);

        assertThat(drained).isCompleted();
        assertThat(inMaintenance("idle").drained()).as("nothing ever in flight").isCompleted();
    }

    @Test
    void statsReadEveryFigureAtOnce() {
        Backend b = Fixtures.backend("b");
        b.onStart();
        b.onStart();
        b.onEnd(1_000, 1_000, ErrorKind.RESET);
        b.onError(ErrorKind.CONNECT);
        b.setHealth(Health.HEALTHY);
        b.setAdmin(AdminState.DRAINING, 0);

        BackendStats stats = b.stats();

        assertThat(stats.requests()).isEqualTo(2);
        assertThat(stats.active()).isEqualTo(1);
        assertThat(stats.errors()).containsEntry(ErrorKind.RESET, 1L).containsEntry(ErrorKind.CONNECT, 1L)
                .containsEntry(ErrorKind.PROTOCOL, 0L).hasSize(ErrorKind.values().length);
        assertThat(stats.health()).isEqualTo(Health.HEALTHY);
        assertThat(stats.admin()).isEqualTo(AdminState.DRAINING);
    }
}
