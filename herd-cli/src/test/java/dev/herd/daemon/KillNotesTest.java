package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.ExitRecord;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.InstancePlan;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.ProcessState;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.StopPolicy;

class KillNotesTest {

    private static final Path CWD = Path.of("/srv");
    private static final ExitRecord EARLIER = new ExitRecord(1_000, 0, null, 5_000, true);
    private static final ExitRecord KILLED = new ExitRecord(2_000, 137, Signal.SIGKILL, 9_000, true);

    private static InstanceInfo instance(int id, StopPolicy stop, List<ExitRecord> exits) {
        AppSpec spec = new AppSpec("api", CWD.resolve("app.sh"), null, List.of(), List.of(), CWD, Map.of(), 1,
                RestartPolicy.DEFAULT, stop, new LogPolicy(CWD.resolve("o.log"), CWD.resolve("e.log"), false, null, 0, 0));
        return new InstanceInfo(id, "api", 0, ProcessState.STOPPED, 0, 0, 0, 0, 0, exits, "stopped", "o.log", "e.log", 0,
                spec, InstancePlan.of(spec, 0, 1), null, 0, Map.of());
    }

    private static final StopPolicy ONE_SECOND = new StopPolicy(Signal.SIGTERM, Duration.ofSeconds(1));

    @Test
    void aStopThatEndedInSigkillAfterAnotherSignalIsSaidWithTheSignalAndTheTimeout() {
        var before = KillNotes.newestExits(List.of(instance(3, ONE_SECOND, List.of(EARLIER))));
        assertThat(KillNotes.lines(before, List.of(instance(3, ONE_SECOND, List.of(KILLED, EARLIER)))))
                .containsExactly("api[0] (id 3) killed: SIGTERM did not end it within kill_timeout (1.00 s)");
    }

    @Test
    void anEarlierKillAGracefulExitAndAKillSignalOfSigkillAreNotSaid() {
        var before = KillNotes.newestExits(List.of(instance(3, ONE_SECOND, List.of(KILLED))));
        assertThat(KillNotes.lines(before, List.of(instance(3, ONE_SECOND, List.of(KILLED))))).as("nothing new").isEmpty();
        ExitRecord graceful = new ExitRecord(3_000, 143, Signal.SIGTERM, 1_000, true);
        assertThat(KillNotes.lines(before, List.of(instance(3, ONE_SECOND, List.of(graceful, KILLED))))).isEmpty();
        ExitRecord crashed = new ExitRecord(3_000, 137, Signal.SIGKILL, 1_000, false);
        assertThat(KillNotes.lines(Map.of(), List.of(instance(3, ONE_SECOND, List.of(crashed))))).as("not herd's").isEmpty();
        StopPolicy sigkill = new StopPolicy(Signal.SIGKILL, Duration.ofSeconds(1));
        assertThat(KillNotes.lines(Map.of(), List.of(instance(3, sigkill, List.of(KILLED))))).as("what was asked").isEmpty();
    }
}
