package dev.herd.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;

/** {@link Backend#drained()} across drains, in requests' and admins' order, without threads or clocks. */
class BackendDrainTest {

    private final Backend backend = Fixtures.backend("b");

    @Test
    void aDrainCompletesWhenTheLastRequestInFlightEnds() {
        backend.onStart();
        backend.setAdmin(AdminState.DRAINING, 0);
        CompletableFuture<Void> drained = backend.drained();
        assertThat(drained).isNotDone();

        backend.onEnd(1_000, 1_000, null);

        assertThat(drained).isCompleted();
    }

    @Test
    void aDrainCalledOffFailsItsWaitersAndTheNextDrainIsWaitedForAfresh() {
        backend.onStart();
        backend.setAdmin(AdminState.DRAINING, 0);
        CompletableFuture<Void> first = backend.drained();

        backend.setAdmin(AdminState.READY, 0);

        assertThat(first).isCompletedExceptionally();
        assertThatThrownBy(first::join).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(CancellationException.class).hasMessageContaining("b is back in service");
        backend.setAdmin(AdminState.DRAINING, 0);
        CompletableFuture<Void> second = backend.drained();
        assertThat(second).as("a request is still in flight").isNotDone();
        backend.onEnd(1_000, 1_000, null);
        assertThat(second).isCompleted();
    }

    @Test
    void afterACompletedDrainAndAReturnToServiceANewDrainWaitsForTheNewRequests() {
        backend.setAdmin(AdminState.DRAINING, 0);
        assertThat(backend.drained()).isCompleted();
        backend.setAdmin(AdminState.READY, 0);
        backend.onStart();

        backend.setAdmin(AdminState.MAINTENANCE, 0);

        CompletableFuture<Void> again = backend.drained();
        assertThat(again).isNotDone();
        backend.onEnd(1_000, 1_000, null);
        assertThat(again).isCompleted();
    }

    @Test
    void aWaiterGivingUpLeavesTheDrainToOthers() {
        backend.onStart();
        backend.setAdmin(AdminState.DRAINING, 0);
        backend.drained().cancel(false);

        CompletableFuture<Void> other = backend.drained();
        backend.onEnd(1_000, 1_000, null);

        assertThat(other).isCompleted();
    }
}
