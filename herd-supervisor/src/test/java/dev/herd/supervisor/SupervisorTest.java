package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.FakeProcesses.FakeProcess;
import dev.herd.supervisor.logs.LogRegistry;

/**
 * The supervisor's state machine on a fake launcher and a manual clock: every step is taken by
 * the test, no process runs and nothing sleeps.
 */
class SupervisorTest {

    private static final RestartPolicy RESTART_AFTER_1S = new RestartPolicy(true, 16, Duration.ofMillis(1000),
            Duration.ofMillis(1000), Duration.ZERO, Set.of());

    @TempDir
    Path dir;

    private final ManualScheduler loop = new ManualScheduler();
    private final FakeProcesses os = new FakeProcesses();
    private final List<InstanceEvent> events = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong wall = new java.util.concurrent.atomic.AtomicLong(1_700_000_000_000L);
    private LogRegistry logs;
    private Supervisor supervisor;

    @BeforeEach
    void setUp() {
        logs = new LogRegistry();
        supervisor = new Supervisor(os, os, logs, loop, wall::get, () -> 0.5, loop, events::add);
    }

    @AfterEach
    void tearDown() {
        logs.close();
    }

    private AppSpec app(String name, int instances, RestartPolicy restart, StopPolicy stop) {
        return new AppSpec(name, dir.resolve(name + ".sh"), Path.of("/bin/bash"), List.of(), List.of("--flag"), dir,
                Map.of("A", "1"), instances, restart, stop,
                new LogPolicy(dir.resolve(name + "-out.log"), dir.resolve(name + "-error.log"), false, null, 0, 0));
    }

    private AppSpec app(String name) {
        return app(name, 1, RESTART_AFTER_1S, StopPolicy.DEFAULT);
    }

    private static InstancePlan marked(AppSpec spec, int index, int port) {
        InstancePlan base = InstancePlan.of(spec, index, 2);
        return new InstancePlan(index, List.of("/bin/bash", "server.sh", "--port", Integer.toString(port)),
                Map.of("PORT", Integer.toString(port)), base.outLog(), base.errLog(), port, Readiness.WHEN_MARKED,
                base.logFile());
    }

    private InstanceInfo info(int id) {
        return supervisor.list().stream().filter(i -> i.id() == id).findFirst().orElseThrow();
    }

    private List<String> moves(int id) {
        return events.stream().filter(e -> e.id() == id).map(e -> e.from() + ">" + e.to()).toList();
    }

    @Test
    void forkModeInstanceIsOnlineAsSoonAsItIsSpawned() {
        int id = supervisor.add(app("web")).join().get(0);

        assertThat(moves(id)).containsExactly("STOPPED>STARTING", "STARTING>ONLINE");
        assertThat(info(id).pid()).isEqualTo(os.last().pid());
        assertThat(os.last().command()).containsExactly("/bin/bash", dir.resolve("web.sh").toString(), "--flag");
        assertThat(os.last().env()).containsEntry("A", "1").containsEntry("HERD_APP_INSTANCE", "0")
                .containsEntry("HERD_APP_NAME", "web");
    }

    @Test
    void everyAppGetsPm2sInstanceVariablesWhateverRunsIt() {
        List<Integer> first = supervisor.add(app("web", 2, RESTART_AFTER_1S, StopPolicy.DEFAULT)).join();
        supervisor.add(app("jobs")).join();

        assertThat(os.launched().get(1).env()).containsEntry("NODE_APP_INSTANCE", "1")
                .containsEntry("pm_id", Integer.toString(first.get(1))).containsEntry("name", "web");
        assertThat(os.last().env()).containsEntry("NODE_APP_INSTANCE", "0").containsEntry("pm_id", "2")
                .containsEntry("name", "jobs");
    }

    @Test
    void instanceVarRenamesTheIndexAndIncrementVarCountsUpFromTheAppsValue() {
        AppSpec base = app("api", 3, RESTART_AFTER_1S, StopPolicy.DEFAULT);
        AppSpec spec = new AppSpec(base.name(), base.script(), base.interpreter(), base.interpreterArgs(), base.args(),
                base.cwd(), Map.of("PORT", "3000"), 3, base.restart(), base.stop(), base.logs(), null, "INSTANCE_ID",
                "PORT", null, null, null, null, null, true, null, null);
        supervisor.add(spec).join();

        assertThat(os.launched()).extracting(p -> p.env().get("INSTANCE_ID") + ":" + p.env().get("PORT"))
                .containsExactly("0:3000", "1:3001", "2:3002");
        assertThat(os.last().env()).doesNotContainKey("NODE_APP_INSTANCE");

        AppSpec unset = new AppSpec("counter", base.script(), base.interpreter(), List.of(), List.of(), base.cwd(),
                Map.of(), 2, base.restart(), base.stop(), new LogPolicy(dir.resolve("c-out.log"),
                dir.resolve("c-err.log"), false, null, 0, 0), null, null, "WORKER", null, null, null, null, null, true, null,
                null);
        supervisor.add(unset).join();
        assertThat(os.last().env()).containsEntry("WORKER", "1");
    }

    @Test
    void startingEventCarriesThePidSoThatAReadinessCheckCanFollowIt() {
        AppSpec spec = app("api");
        int id = supervisor.add(spec, List.of(marked(spec, 0, 41000)), true).join().get(0);

        InstanceEvent starting = events.stream().filter(e -> e.id() == id).findFirst().orElseThrow();
        assertThat(starting.to()).isEqualTo(ProcessState.STARTING);
        assertThat(starting.pid()).isEqualTo(os.last().pid());
    }

    @Test
    void instanceThatWaitsToBeMarkedStaysStartingUntilMarkedReady() {
        AppSpec spec = app("api");
        int id = supervisor.add(spec, List.of(marked(spec, 0, 41000)), true).join().get(0);

        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);
        assertThat(os.last().command()).containsExactly("/bin/bash", "server.sh", "--port", "41000");
        assertThat(os.last().env()).containsEntry("PORT", "41000").doesNotContainKey("A");
        assertThat(info(id).plan().port()).isEqualTo(41000);

        assertThat(supervisor.markReady(id, os.last().pid() + 1, "port 41000 accepts").join()).isFalse();
        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);
        assertThat(supervisor.markReady(id, os.last().pid(), "port 41000 accepts").join()).isTrue();
        assertThat(info(id).state()).isEqualTo(ProcessState.ONLINE);
        assertThat(info(id).lastReason()).isEqualTo("port 41000 accepts");
        assertThat(supervisor.markReady(id, os.last().pid(), "again").join()).isFalse();
    }

    @Test
    void readinessOfAProcessThatDiedAndWasReplacedChangesNothing() {
        AppSpec spec = app("api");
        int id = supervisor.add(spec, List.of(marked(spec, 0, 41000)), true).join().get(0);
        FakeProcess first = os.last();
        loop.advance(Duration.ofSeconds(5));
        first.exit(1);
        assertThat(info(id).state()).isEqualTo(ProcessState.WAITING_RESTART);
        loop.advance(Duration.ofSeconds(1));
        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);
        assertThat(os.last()).isNotSameAs(first);

        assertThat(supervisor.markReady(id, first.pid(), "late answer of the first").join()).isFalse();
        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);
    }

    @Test
    void crashBeforeReadyIsRestartedByItsPolicy() {
        AppSpec spec = app("api");
        int id = supervisor.add(spec, List.of(marked(spec, 0, 41000)), true).join().get(0);
        loop.advance(Duration.ofMillis(200));
        os.last().exit(3);

        assertThat(moves(id)).containsExactly("STOPPED>STARTING", "STARTING>WAITING_RESTART");
        assertThat(info(id).lastExits()).hasSize(1);
        assertThat(info(id).lastExits().get(0).exitCode()).isEqualTo(3);
        loop.advance(Duration.ofMillis(999));
        assertThat(info(id).state()).isEqualTo(ProcessState.WAITING_RESTART);
        loop.advance(Duration.ofMillis(1));
        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);
        assertThat(os.launched()).hasSize(2);
    }

    @Test
    void stopWhileStartingStopsItsProcess() {
        AppSpec spec = app("api");
        int id = supervisor.add(spec, List.of(marked(spec, 0, 41000)), true).join().get(0);
        FakeProcess p = os.last();

        CompletableFuture<Void> stopped = supervisor.stop(List.of(id));

        assertThat(p.received()).containsExactly(Signal.SIGTERM);
        assertThat(stopped).isCompleted();
        assertThat(moves(id)).containsExactly("STOPPED>STARTING", "STARTING>STOPPING", "STOPPING>STOPPED");
        assertThat(info(id).pid()).isZero();
        assertThat(info(id).lastExits().get(0).requested()).isTrue();
    }

    @Test
    void processThatIgnoresItsSignalIsKilledAtKillTimeout() {
        int id = supervisor.add(app("stubborn", 1, RESTART_AFTER_1S, new StopPolicy(Signal.SIGTERM,
                Duration.ofMillis(1500)))).join().get(0);
        FakeProcess p = os.last();
        p.ignoreTerm();

        CompletableFuture<Void> stopped = supervisor.stop(List.of(id));
        loop.advance(Duration.ofMillis(1499));
        assertThat(p.received()).containsExactly(Signal.SIGTERM);
        assertThat(stopped).isNotDone();
        assertThat(info(id).state()).isEqualTo(ProcessState.STOPPING);

        loop.advance(Duration.ofMillis(1));
        assertThat(p.received()).containsExactly(Signal.SIGTERM, Signal.SIGKILL);
        assertThat(stopped).isCompleted();
        assertThat(info(id).state()).isEqualTo(ProcessState.STOPPED);
        assertThat(info(id).lastExits().get(0).describe()).contains("SIGKILL");
    }

    @Test
    void aStopSignalsAndWaitsForAProcessOnlyTheRunsCgroupKnows() {
        os.confineRuns();
        int id = supervisor.add(app("web")).join().get(0);
        FakeProcesses.FakeCgroup cgroup = os.cgroups().get(0);
        assertThat(cgroup.path()).isEqualTo(Path.of("/fake/web-0.1"));
        FakeProcess escaped = os.escapeInto(cgroup);
        escaped.ignoreTerm();

        CompletableFuture<Void> stopped = supervisor.stop(List.of(id));
        assertThat(escaped.received()).as("told to stop with the rest").containsExactly(Signal.SIGTERM);
        loop.advance(StopPolicy.DEFAULT.killTimeout().minusMillis(1));
        assertThat(stopped).as("waits for it, though the main process is gone").isNotDone();
        assertThat(cgroup.removed()).isFalse();

        loop.advance(Duration.ofMillis(1));
        assertThat(escaped.alive()).isFalse();
        assertThat(cgroup.killAlls()).as("forks meanwhile die too").isEqualTo(1);
        loop.advance(Duration.ofMillis(20));
        assertThat(stopped).isCompleted();
        assertThat(cgroup.removed()).as("an empty cgroup is removed").isTrue();
    }

    @Test
    void aReplacementAtTheSameIndexHasACgroupOfItsOwnThatTheOldOnesStopLeavesAlone() {
        os.confineRuns();
        AppSpec spec = app("web");
        int old = supervisor.add(spec).join().get(0);
        int replacement = supervisor.addInstance(spec, InstancePlan.of(spec, 0, 1), true).join();
        FakeProcess next = os.last();
        assertThat(os.cgroups()).extracting(FakeProcesses.FakeCgroup::path)
                .containsExactly(Path.of("/fake/web-" + old + ".1"), Path.of("/fake/web-" + replacement + ".1"));

        supervisor.stop(List.of(old)).join();

        assertThat(next.received()).isEmpty();
        assertThat(info(replacement).state()).isEqualTo(ProcessState.ONLINE);
    }

    @Test
    void aCrashedRunsCgroupIsEmptiedAndRemovedWhileTheNextRunHasItsOwn() {
        os.confineRuns();
        int id = supervisor.add(app("web")).join().get(0);
        FakeProcesses.FakeCgroup first = os.cgroups().get(0);
        FakeProcess escaped = os.escapeInto(first);
        escaped.ignoreTerm();

        os.launched().get(0).exit(1);
        assertThat(escaped.received()).containsExactly(Signal.SIGTERM);
        loop.advance(Duration.ofMillis(1000));
        assertThat(info(id).state()).isEqualTo(ProcessState.ONLINE);
        assertThat(os.cgroups()).hasSize(2);
        assertThat(os.cgroups().get(1).path()).isEqualTo(Path.of("/fake/web-0.2"));

        loop.advance(StopPolicy.DEFAULT.killTimeout().minusMillis(1000));
        assertThat(escaped.received()).containsExactly(Signal.SIGTERM, Signal.SIGKILL);
        assertThat(os.last().alive()).as("the new run is not in the old cgroup").isTrue();
        loop.advance(Duration.ofSeconds(2));
        assertThat(first.removed()).isTrue();
    }

    @Test
    void stopWhileWaitingToRestartCancelsTheRestart() {
        int id = supervisor.add(app("web")).join().get(0);
        os.last().exit(1);
        assertThat(info(id).state()).isEqualTo(ProcessState.WAITING_RESTART);

        supervisor.stop(List.of(id)).join();
        loop.advance(Duration.ofSeconds(10));

        assertThat(info(id).state()).isEqualTo(ProcessState.STOPPED);
        assertThat(os.launched()).hasSize(1);
        assertThat(loop.pendingTimers()).isZero();
    }

    @Test
    void spawnFailureIsErroredWithTheReason() {
        os.failNextLaunch("/srv/app.sh not found");
        int id = supervisor.add(app("web")).join().get(0);

        assertThat(moves(id)).containsExactly("STOPPED>STARTING", "STARTING>ERRORED");
        assertThat(info(id).lastReason()).isEqualTo("cannot start: /srv/app.sh not found");
    }

    @Test
    void addedInstanceGetsItsOwnLogFilesAndLeavesTheOthersAlone() {
        AppSpec spec = app("web");
        int first = supervisor.add(spec).join().get(0);
        assertThat(info(first).outLog()).isEqualTo(dir.resolve("web-out.log").toString());

        int second = supervisor.addInstance(spec, InstancePlan.of(spec, 1, 2), true).join();

        assertThat(info(first).outLog()).isEqualTo(dir.resolve("web-out.log").toString());
        assertThat(info(second).outLog()).isEqualTo(dir.resolve("web-out-1.log").toString());
        assertThat(info(second).errLog()).isEqualTo(dir.resolve("web-error-1.log").toString());
        assertThat(os.last().env()).containsEntry("HERD_APP_INSTANCE", "1");

        os.launched().forEach(p -> p.exit(0));
        supervisor.delete(List.of(second)).join();
        assertThat(logs.open()).containsKey(dir.resolve("web-out.log")).doesNotContainKey(dir.resolve("web-out-1.log"));
        assertThat(supervisor.apps()).extracting(AppSpec::name).containsExactly("web");
    }

    @Test
    void addedInstanceBringsTheAppsNewDefinition() {
        AppSpec v1 = app("web");
        int old = supervisor.add(v1).join().get(0);
        AppSpec v2 = app("web", 1, RestartPolicy.DEFAULT, StopPolicy.DEFAULT);

        int fresh = supervisor.addInstance(v2, InstancePlan.of(v2, 1, 2), true).join();

        assertThat(supervisor.apps()).containsExactly(v2);
        assertThat(info(old).spec()).isSameAs(v1);
        assertThat(info(fresh).spec()).isSameAs(v2);
    }

    @Test
    void addInstanceRefusesAnUnknownApp() {
        AppSpec spec = app("web");
        supervisor.add(spec).join();

        assertThatThrownBy(() -> supervisor.addInstance(app("other"), InstancePlan.of(spec, 1, 2), true).join())
                .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("no app named 'other'");
    }

    @Test
    void replacementTakesTheIndexAndLogFilesOfTheInstanceItReplaces() {
        AppSpec spec = app("web");
        int old = supervisor.add(spec).join().get(0);

        int fresh = supervisor.addInstance(spec, InstancePlan.of(spec, 0, 1), true).join();

        assertThat(info(fresh).index()).isZero();
        assertThat(info(fresh).outLog()).isEqualTo(info(old).outLog());
        assertThat(os.last().env()).containsEntry("HERD_APP_INSTANCE", "0");
        os.launched().get(0).exit(0);
        supervisor.delete(List.of(old)).join();
        assertThat(logs.open()).containsKey(dir.resolve("web-out.log"));
    }

    @Test
    void addRefusesTwoPlansWithOneIndexAndKeepsNothing() {
        AppSpec spec = app("api");
        assertThatThrownBy(() -> supervisor.add(spec, List.of(marked(spec, 0, 41000), marked(spec, 0, 41001)), true)
                .join()).hasCauseInstanceOf(IllegalArgumentException.class);

        assertThat(supervisor.list()).isEmpty();
        assertThat(supervisor.apps()).isEmpty();
        assertThat(os.launched()).isEmpty();
    }

    @Test
    void restartOfAnInstanceThatWaitsToBeMarkedStartsAgainAsStarting() {
        AppSpec spec = app("api");
        int id = supervisor.add(spec, List.of(marked(spec, 0, 41000)), true).join().get(0);
        supervisor.markReady(id, os.last().pid(), "ready").join();

        supervisor.restart(List.of(id)).join();

        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);
        assertThat(info(id).restarts()).isEqualTo(1);
        assertThat(os.launched()).hasSize(2);
        assertThat(os.last().env()).containsEntry("PORT", "41000");
    }

    @Test
    void aRestartForAReasonOfHerdsOwnSaysItWhenStoppingAndStartingAndCountsAsARestart() {
        int id = supervisor.add(app("web")).join().get(0);

        supervisor.restart(List.of(id), "memory 310mb over max_memory_restart 300mb").join();

        assertThat(events.stream().filter(e -> e.id() == id && e.to() == ProcessState.STOPPING).map(InstanceEvent::reason))
                .containsExactly("memory 310mb over max_memory_restart 300mb: sending SIGTERM, SIGKILL after 5000 ms");
        assertThat(info(id).lastReason()).isEqualTo("restarted: memory 310mb over max_memory_restart 300mb");
        assertThat(info(id).restarts()).isEqualTo(1);
        assertThat(info(id).state()).isEqualTo(ProcessState.ONLINE);
    }

    @Test
    void resetZeroesTheCountsAndMakesTheCreationTimeNowWithoutTouchingTheProcess() {
        int id = supervisor.add(app("web")).join().get(0);
        supervisor.restart(List.of(id)).join();
        os.last().exit(1);
        loop.advance(Duration.ofMillis(1000));
        assertThat(info(id).restarts()).isEqualTo(2);
        assertThat(info(id).unstableRestarts()).isEqualTo(1);
        assertThat(info(id).createdAtMillis()).isEqualTo(1_700_000_000_000L);
        long pid = info(id).pid();
        wall.set(1_700_000_060_000L);

        supervisor.reset(List.of(id)).join();

        assertThat(info(id).restarts()).isZero();
        assertThat(info(id).unstableRestarts()).isZero();
        assertThat(info(id).createdAtMillis()).isEqualTo(1_700_000_060_000L);
        assertThat(info(id).pid()).isEqualTo(pid);
        assertThat(info(id).state()).isEqualTo(ProcessState.ONLINE);
        assertThatThrownBy(() -> supervisor.reset(List.of(99)).join()).hasCauseInstanceOf(java.util.NoSuchElementException.class);
    }

    @Test
    void aRestartWithANewDefinitionKeepsTheIdsAndCountsAndRunsTheNewCommandAndEnvironment() {
        AppSpec old = app("web", 2, RESTART_AFTER_1S, StopPolicy.DEFAULT);
        List<Integer> ids = supervisor.add(old).join();
        AppSpec next = new AppSpec("web", old.script(), old.interpreter(), List.of(), List.of("--other"), dir,
                Map.of("A", "2"), 2, RestartPolicy.DEFAULT, StopPolicy.DEFAULT, old.logs());

        supervisor.restartAs(List.of(ids.get(1)), next).join();

        assertThat(os.last().command()).containsExactly("/bin/bash", dir.resolve("web.sh").toString(), "--other");
        assertThat(os.last().env()).containsEntry("A", "2");
        assertThat(info(ids.get(1)).restarts()).isEqualTo(1);
        assertThat(info(ids.get(1)).spec()).isEqualTo(next);
        assertThat(info(ids.get(1)).lastReason()).isEqualTo("restarted by request with its new definition");
        assertThat(info(ids.get(0)).spec()).as("not restarted: keeps its definition").isEqualTo(old);
        assertThat(supervisor.apps()).containsExactly(next);
    }

    @Test
    void aNewDefinitionThatMovesTheLogFilesIsRefusedBeforeAnythingStops() {
        AppSpec old = app("web");
        int id = supervisor.add(old).join().get(0);
        AppSpec twice = old.withInstances(2);

        assertThatThrownBy(() -> supervisor.restartAs(List.of(id), twice).join())
                .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("log files");
        assertThat(info(id).state()).isEqualTo(ProcessState.ONLINE);
        assertThat(os.launched()).hasSize(1);
    }

    @Test
    void theEnvironmentOfTheLastRunIsWhatTheProcessGotWithHerdsVariables() {
        int id = supervisor.add(app("web")).join().get(0);

        assertThat(info(id).env()).isEqualTo(os.last().env()).containsEntry("A", "1").containsEntry("HERD_APP_NAME", "web");
    }

    @Test
    void failedInstanceIsStoppedAndHandledAsACrashWithTheReason() {
        AppSpec spec = app("api");
        int id = supervisor.add(spec, List.of(marked(spec, 0, 41000)), true).join().get(0);
        FakeProcess p = os.last();
        loop.advance(Duration.ofSeconds(10));

        assertThat(supervisor.fail(id, p.pid() + 1, "not ready").join()).isFalse();
        assertThat(supervisor.fail(id, p.pid(), "not ready within listen_timeout (10 s)").join()).isTrue();

        assertThat(p.received()).containsExactly(Signal.SIGTERM);
        assertThat(info(id).state()).isEqualTo(ProcessState.WAITING_RESTART);
        assertThat(info(id).lastReason()).contains("SIGTERM").contains("(stopped: not ready within listen_timeout (10 s))");
        assertThat(info(id).lastExits().get(0).requested()).isFalse();
        loop.advance(Duration.ofSeconds(1));
        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);
        assertThat(os.launched()).hasSize(2);
    }

    @Test
    void failedInstanceThatIgnoresItsSignalIsKilledAtKillTimeout() {
        AppSpec spec = app("api");
        int id = supervisor.add(spec, List.of(marked(spec, 0, 41000)), true).join().get(0);
        FakeProcess p = os.last();
        p.ignoreTerm();

        supervisor.fail(id, p.pid(), "not ready").join();
        loop.advance(StopPolicy.DEFAULT.killTimeout());

        assertThat(p.received()).containsExactly(Signal.SIGTERM, Signal.SIGKILL);
        assertThat(info(id).state()).isEqualTo(ProcessState.WAITING_RESTART);
    }

    @Test
    void redefineChangesWhatTheAppIsWithoutTouchingItsInstances() {
        AppSpec v1 = app("web");
        int id = supervisor.add(v1).join().get(0);
        AppSpec two = v1.withInstances(2);

        supervisor.redefine(two).join();

        assertThat(supervisor.apps()).containsExactly(two);
        assertThat(info(id).spec()).isSameAs(v1);
        assertThat(os.launched()).hasSize(1);
        assertThatThrownBy(() -> supervisor.redefine(app("other")).join())
                .hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void replanGivesAnInstanceThatDoesNotRunANewPortForItsNextRun() {
        AppSpec spec = app("api");
        int id = supervisor.add(spec, List.of(marked(spec, 0, 41000)), true).join().get(0);

        assertThatThrownBy(() -> supervisor.replan(id, marked(spec, 0, 41001)).join())
                .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("runs");
        os.last().exit(1);
        supervisor.replan(id, marked(spec, 0, 41001)).join();
        loop.advance(Duration.ofSeconds(1));

        assertThat(os.last().env()).containsEntry("PORT", "41001");
        assertThat(info(id).plan().port()).isEqualTo(41001);
        assertThat(events.get(events.size() - 1).port()).isEqualTo(41001);
        InstancePlan otherLogs = new InstancePlan(0, List.of("x"), Map.of(), dir.resolve("other.log"),
                dir.resolve("other.err"), 41002, Readiness.WHEN_MARKED, null);
        os.last().exit(1);
        assertThatThrownBy(() -> supervisor.replan(id, otherLogs).join())
                .hasMessageContaining("keeps the index and log files");
    }
}
