package dev.herd.cluster;

import static dev.herd.cluster.RollingReload.SlotState.CANCELLED;
import static dev.herd.cluster.RollingReload.SlotState.DONE;
import static dev.herd.cluster.RollingReload.SlotState.NEW_STARTING;
import static dev.herd.cluster.RollingReload.SlotState.NEW_STOPPING;
import static dev.herd.cluster.RollingReload.SlotState.OLD_DRAINING;
import static dev.herd.cluster.RollingReload.SlotState.OLD_STOPPING;
import static dev.herd.cluster.RollingReload.SlotState.PENDING;
import static dev.herd.cluster.RollingReload.SlotState.ROLLED_BACK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.herd.cluster.RollingReload.Drain;
import dev.herd.cluster.RollingReload.Finished;
import dev.herd.cluster.RollingReload.NewFailed;
import dev.herd.cluster.RollingReload.NewReady;
import dev.herd.cluster.RollingReload.NewStarted;
import dev.herd.cluster.RollingReload.NewStopped;
import dev.herd.cluster.RollingReload.OldDrained;
import dev.herd.cluster.RollingReload.OldStopped;
import dev.herd.cluster.RollingReload.SlotState;
import dev.herd.cluster.RollingReload.StartNew;
import dev.herd.cluster.RollingReload.StopNew;
import dev.herd.cluster.RollingReload.StopOld;

class RollingReloadTest {

    @Test
    void oneSlotIsReplacedStepByStepAndTheOldOneDrainsOnlyOnceTheNewOneIsReady() {
        RollingReload r = new RollingReload(List.of(1), 1);

        assertThat(r.begin()).containsExactly(new StartNew(1));
        assertThat(r.on(new NewStarted(1, 10))).isEmpty();
        assertThat(r.slots()).containsEntry(1, NEW_STARTING);
        assertThat(r.on(new NewReady(1))).containsExactly(new Drain(1));
        assertThat(r.on(new OldDrained(1))).containsExactly(new StopOld(1));
        assertThat(r.on(new OldStopped(1))).containsExactly(new Finished(null));
        assertThat(r.slots()).containsEntry(1, DONE);
        assertThat(r.isFinished()).isTrue();
    }

    @Test
    void oneAtATimeTheNextSlotBeginsWhenThePreviousOldInstanceIsGone() {
        RollingReload r = new RollingReload(List.of(1, 2, 3), 1);
        assertThat(r.begin()).containsExactly(new StartNew(1));
        r.on(new NewStarted(1, 10));
        r.on(new NewReady(1));
        assertThat(r.on(new OldDrained(1))).containsExactly(new StopOld(1));
        assertThat(r.slots()).containsValues(OLD_STOPPING, PENDING, PENDING);

        assertThat(r.on(new OldStopped(1))).containsExactly(new StartNew(2));
        r.on(new NewStarted(2, 11));
        r.on(new NewReady(2));
        r.on(new OldDrained(2));
        assertThat(r.on(new OldStopped(2))).containsExactly(new StartNew(3));
        r.on(new NewStarted(3, 12));
        r.on(new NewReady(3));
        r.on(new OldDrained(3));
        assertThat(r.on(new OldStopped(3))).containsExactly(new Finished(null));
        assertThat(r.newIdOf(2)).isEqualTo(11);
        assertThat(r.slotOfNew(12)).isEqualTo(3);
    }

    @Test
    void parallelismStartsThatManySlotsAtOnce() {
        RollingReload r = new RollingReload(List.of(1, 2, 3), 2);

        assertThat(r.begin()).containsExactly(new StartNew(1), new StartNew(2));
        r.on(new NewStarted(1, 10));
        r.on(new NewStarted(2, 11));
        assertThat(r.on(new NewReady(2))).containsExactly(new Drain(2));
        r.on(new OldDrained(2));
        assertThat(r.on(new OldStopped(2))).containsExactly(new StartNew(3));
    }

    @Test
    void aNewInstanceThatFailsIsStoppedTheOldOneKeptAndTheRestCancelled() {
        RollingReload r = new RollingReload(List.of(1, 2, 3), 1);
        r.begin();
        r.on(new NewStarted(1, 10));

        assertThat(r.on(new NewFailed(1, "not ready within listen_timeout (8 s)"))).containsExactly(
                new StopNew(1, 10, "not ready within listen_timeout (8 s)"));
        assertThat(r.slots()).containsValues(NEW_STOPPING, CANCELLED, CANCELLED);
        assertThat(r.isFinished()).isFalse();
        assertThat(r.on(new NewStopped(1))).containsExactly(new Finished("not ready within listen_timeout (8 s)"));
        assertThat(r.slots()).containsExactly(
                java.util.Map.entry(1, ROLLED_BACK), java.util.Map.entry(2, CANCELLED), java.util.Map.entry(3, CANCELLED));
    }

    @Test
    void aFailureAfterEarlierSlotsWereReplacedKeepsThemAndStops() {
        RollingReload r = new RollingReload(List.of(1, 2), 1);
        r.begin();
        r.on(new NewStarted(1, 10));
        r.on(new NewReady(1));
        r.on(new OldDrained(1));
        r.on(new OldStopped(1));
        r.on(new NewStarted(2, 11));

        assertThat(r.on(new NewFailed(2, "exited with code 1"))).containsExactly(new StopNew(2, 11, "exited with code 1"));
        assertThat(r.on(new NewStopped(2))).containsExactly(new Finished("exited with code 1"));
        assertThat(r.slots()).containsValues(DONE, ROLLED_BACK);
    }

    @Test
    void aFailureWhileAnotherSlotDrainsLetsThatSlotFinishBeforeTheEnd() {
        RollingReload r = new RollingReload(List.of(1, 2, 3), 2);
        r.begin();
        r.on(new NewStarted(1, 10));
        r.on(new NewStarted(2, 11));
        r.on(new NewReady(1));

        assertThat(r.on(new NewFailed(2, "crashed"))).containsExactly(new StopNew(2, 11, "crashed"));
        assertThat(r.slots()).containsValues(OLD_DRAINING, NEW_STOPPING, CANCELLED);
        assertThat(r.on(new NewStopped(2))).isEmpty();
        assertThat(r.on(new OldDrained(1))).containsExactly(new StopOld(1));
        assertThat(r.on(new OldStopped(1))).containsExactly(new Finished("crashed"));
    }

    @Test
    void aFailureCallsOffTheOtherSlotsWhoseNewInstanceIsNotReadyYet() {
        RollingReload r = new RollingReload(List.of(1, 2), 2);
        r.begin();
        r.on(new NewStarted(1, 10));
        r.on(new NewStarted(2, 11));

        assertThat(r.on(new NewFailed(1, "crashed"))).containsExactly(new StopNew(1, 10, "crashed"),
                new StopNew(2, 11, "called off: another instance failed"));
        assertThat(r.on(new NewStopped(2))).isEmpty();
        assertThat(r.on(new NewStopped(1))).containsExactly(new Finished("crashed"));
    }

    @Test
    void aNewInstanceThatCouldNotEvenBeCreatedHasNothingToStop() {
        RollingReload r = new RollingReload(List.of(1), 1);
        r.begin();

        assertThat(r.on(new NewFailed(1, "no free port"))).containsExactly(new Finished("no free port"));
        assertThat(r.slots()).containsEntry(1, ROLLED_BACK);
    }

    @Test
    void nothingToReplaceFinishesAtOnce() {
        assertThat(new RollingReload(List.of(), 1).begin()).containsExactly(new Finished(null));
    }

    @Test
    void lateOrRepeatedEventsChangeNothing() {
        RollingReload r = new RollingReload(List.of(1), 1);
        r.begin();
        assertThat(r.on(new NewReady(7))).isEmpty();
        assertThat(r.on(new OldDrained(1))).isEmpty();
        r.on(new NewStarted(1, 10));
        r.on(new NewReady(1));
        assertThat(r.on(new NewReady(1))).isEmpty();
        assertThat(r.on(new NewFailed(1, "late"))).isEmpty();
        r.on(new OldDrained(1));
        r.on(new OldStopped(1));
        assertThat(r.on(new OldStopped(1))).isEmpty();
        assertThat(r.on(new NewFailed(1, "after the end"))).isEmpty();
    }

    @Test
    void anInstanceGivenTwiceOrNoParallelismIsRefused() {
        assertThatThrownBy(() -> new RollingReload(List.of(1, 1), 1)).hasMessageContaining("given twice");
        assertThatThrownBy(() -> new RollingReload(List.of(1), 0)).hasMessageContaining("at least 1");
    }

    @Test
    void noOtherMoveIsAllowed() {
        Set<String> allowed = Set.of("PENDING>NEW_STARTING", "PENDING>CANCELLED", "NEW_STARTING>OLD_DRAINING",
                "NEW_STARTING>NEW_STOPPING", "NEW_STARTING>ROLLED_BACK", "NEW_STOPPING>ROLLED_BACK",
                "OLD_DRAINING>OLD_STOPPING", "OLD_STOPPING>DONE");
        for (SlotState from : SlotState.values()) {
            for (SlotState to : SlotState.values()) {
                assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(allowed.contains(from + ">" + to));
            }
        }
    }
}
