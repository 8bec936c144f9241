package dev.herd.supervisor;

import static dev.herd.supervisor.ProcessState.ERRORED;
import static dev.herd.supervisor.ProcessState.ONLINE;
import static dev.herd.supervisor.ProcessState.STARTING;
import static dev.herd.supervisor.ProcessState.STOPPED;
import static dev.herd.supervisor.ProcessState.STOPPING;
import static dev.herd.supervisor.ProcessState.WAITING_RESTART;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ProcessStateTest {

    @Test
    void stoppedToStartingOnStart() {
        assertThat(STOPPED.canMoveTo(STARTING)).isTrue();
    }

    @Test
    void startingToOnlineWhenReady() {
        assertThat(STARTING.canMoveTo(ONLINE)).isTrue();
    }

    @Test
    void startingToStoppingWhenStoppedBeforeReady() {
        assertThat(STARTING.canMoveTo(STOPPING)).isTrue();
    }

    @Test
    void startingToWaitingRestartOrStoppedWhenItExitsBeforeReady() {
        assertThat(STARTING.canMoveTo(WAITING_RESTART)).isTrue();
        assertThat(STARTING.canMoveTo(STOPPED)).isTrue();
    }

    @Test
    void startingToErroredWhenSpawnFails() {
        assertThat(STARTING.canMoveTo(ERRORED)).isTrue();
    }

    @Test
    void onlineToStoppingOnStop() {
        assertThat(ONLINE.canMoveTo(STOPPING)).isTrue();
    }

    @Test
    void onlineToWaitingRestartOnCrash() {
        assertThat(ONLINE.canMoveTo(WAITING_RESTART)).isTrue();
    }

    @Test
    void onlineToErroredAfterTooManyUnstableExits() {
        assertThat(ONLINE.canMoveTo(ERRORED)).isTrue();
    }

    @Test
    void onlineToStoppedWhenNotRestarted() {
        assertThat(ONLINE.canMoveTo(STOPPED)).isTrue();
    }

    @Test
    void stoppingToStoppedWhenTreeIsGone() {
        assertThat(STOPPING.canMoveTo(STOPPED)).isTrue();
    }

    @Test
    void waitingRestartToStartingWhenDelayIsOver() {
        assertThat(WAITING_RESTART.canMoveTo(STARTING)).isTrue();
    }

    @Test
    void waitingRestartToStoppedOnStop() {
        assertThat(WAITING_RESTART.canMoveTo(STOPPED)).isTrue();
    }

    @Test
    void erroredToStartingOnStart() {
        assertThat(ERRORED.canMoveTo(STARTING)).isTrue();
    }

    @Test
    void erroredToStoppedOnStop() {
        assertThat(ERRORED.canMoveTo(STOPPED)).isTrue();
    }

    @Test
    void noOtherMoveIsAllowed() {
        Set<String> allowed = Set.of(
                "STOPPED>STARTING", "STARTING>ONLINE", "STARTING>ERRORED", "STARTING>STOPPING",
                "STARTING>WAITING_RESTART", "STARTING>STOPPED", "ONLINE>STOPPING",
                "ONLINE>WAITING_RESTART", "ONLINE>ERRORED", "ONLINE>STOPPED", "STOPPING>STOPPED",
                "WAITING_RESTART>STARTING", "WAITING_RESTART>STOPPED", "ERRORED>STARTING", "ERRORED>STOPPED");
        for (ProcessState from : ProcessState.values()) {
            for (ProcessState to : ProcessState.values()) {
                assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(allowed.contains(from + ">" + to));
            }
        }
    }

    @Test
    void runningStatesHaveAProcess() {
        EnumSet<ProcessState> running = EnumSet.noneOf(ProcessState.class);
        for (ProcessState s : ProcessState.values()) {
            if (s.isRunning()) {
                running.add(s);
            }
        }
        assertThat(running).containsExactlyInAnyOrder(STARTING, ONLINE, STOPPING);
    }

    @Test
    void labelsArePm2Words() {
        assertThat(WAITING_RESTART.label()).isEqualTo("waiting restart");
        assertThat(ONLINE.label()).isEqualTo("online");
    }
}
