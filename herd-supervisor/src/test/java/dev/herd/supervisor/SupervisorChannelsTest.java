package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

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

import dev.herd.supervisor.FakeChannels.FakeChannel;
import dev.herd.supervisor.FakeProcesses.FakeProcess;
import dev.herd.supervisor.logs.LogRegistry;

/**
 * What the supervisor does with its instances' message channels (PM2's IPC for Node.js), on
 * fake processes, fake channels and a manual clock: {@code 'ready'} for {@code wait_ready}, and
 * {@code 'shutdown'} for {@code shutdown_with_message}. Nothing runs and nothing sleeps.
 */
class SupervisorChannelsTest {

    private static final RestartPolicy RESTART_AFTER_1S = new RestartPolicy(true, 16, Duration.ofMillis(1000),
            Duration.ofMillis(1000), Duration.ZERO, Set.of());
    private static final Duration WAIT = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private final ManualScheduler loop = new ManualScheduler();
    private final FakeProcesses os = new FakeProcesses();
    private final FakeChannels channels = new FakeChannels();
    private final List<InstanceEvent> events = new CopyOnWriteArrayList<>();
    private LogRegistry logs;
    private Supervisor supervisor;

    @BeforeEach
    void setUp() {
        logs = new LogRegistry();
        supervisor = new Supervisor(os, channels, os, logs, loop, () -> 1_700_000_000_000L, () -> 0.5, loop,
                events::add);
    }

    @AfterEach
    void tearDown() {
        logs.close();
    }

    private AppSpec app(String name, StopPolicy stop, Duration waitReady) {
        return new AppSpec(name, dir.resolve(name + ".js"), Path.of("/usr/bin/node"), List.of(), List.of(), dir,
                Map.of("NODE_OPTIONS", "--max-old-space-size=100"), 1, RESTART_AFTER_1S, stop,
                new LogPolicy(dir.resolve(name + "-out.log"), dir.resolve(name + "-error.log"), false, null, 0, 0),
                null, null, null, null, null, waitReady, null, null, true, null, null);
    }

    private InstanceInfo info(int id) {
        return supervisor.info(id).join().orElseThrow();
    }

    private List<String> moves(int id) {
        return events.stream().filter(e -> e.id() == id).map(e -> e.from() + ">" + e.to()).toList();
    }

    @Test
    void eachRunGetsAChannelOfItsOwnInItsEnvironmentClosedWhenTheRunEnds() {
        int id = supervisor.add(app("web", StopPolicy.DEFAULT, null)).join().get(0);
        FakeChannel first = channels.last();

        assertThat(os.last().env()).containsEntry("FAKE_CHANNEL", first.token())
                .containsEntry("NODE_OPTIONS", "--max-old-space-size=100");
        assertThat(first.app).isEqualTo("web");

        os.last().exit(1);
        assertThat(first.closed()).isTrue();
        loop.advance(Duration.ofSeconds(1));

        assertThat(info(id).state()).isEqualTo(ProcessState.ONLINE);
        assertThat(channels.opened()).hasSize(2);
        assertThat(os.last().env()).containsEntry("FAKE_CHANNEL", channels.last().token());
        assertThat(channels.last().token()).isNotEqualTo(first.token());
    }

    @Test
    void aRunWhoseChannelCannotOpenStartsWithoutOne() {
        channels.failNextOpen("no socket");

        int id = supervisor.add(app("web", StopPolicy.DEFAULT, null)).join().get(0);

        assertThat(info(id).state()).isEqualTo(ProcessState.ONLINE);
        assertThat(os.last().env()).doesNotContainKey("FAKE_CHANNEL");
    }

    @Test
    void aChannelOfARunThatCouldNotBeSpawnedIsClosed() {
        os.failNextLaunch("node not found");

        int id = supervisor.add(app("web", StopPolicy.DEFAULT, null)).join().get(0);

        assertThat(info(id).state()).isEqualTo(ProcessState.ERRORED);
        assertThat(channels.last().closed()).isTrue();
    }

    @Test
    void waitReadyStartingToOnlineWhenItsProcessSaysReady() {
        int id = supervisor.add(app("job", StopPolicy.DEFAULT, WAIT)).join().get(0);
        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);
        assertThat(info(id).plan().readiness()).isEqualTo(Readiness.WHEN_SAID);

        loop.advance(Duration.ofMillis(1200));
        channels.last().sayReady();

        assertThat(moves(id)).containsExactly("STOPPED>STARTING", "STARTING>ONLINE");
        assertThat(info(id).lastReason()).isEqualTo("said it is ready (process.send('ready')) in 1200 ms");
        channels.last().sayReady();
        loop.advance(WAIT);
        assertThat(moves(id)).as("said twice, and the wait over: no more moves").hasSize(2);
    }

    @Test
    void waitReadyStartingToOnlineAnywayWhenTheWaitIsOver() {
        int id = supervisor.add(app("job", StopPolicy.DEFAULT, WAIT)).join().get(0);

        loop.advance(WAIT.minusMillis(1));
        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);
        loop.advance(Duration.ofMillis(1));

        assertThat(info(id).state()).isEqualTo(ProcessState.ONLINE);
        assertThat(info(id).lastReason())
                .isEqualTo("online without saying it is ready: listen_timeout (3000 ms) passed");
        assertThat(os.last().alive()).isTrue();
    }

    @Test
    void waitReadyOfAnEarlierRunChangesNothing() {
        int id = supervisor.add(app("job", StopPolicy.DEFAULT, WAIT)).join().get(0);
        FakeChannel first = channels.last();
        os.last().exit(1);
        loop.advance(Duration.ofSeconds(1));
        assertThat(info(id).state()).isEqualTo(ProcessState.STARTING);

        first.sayReady();
        loop.advance(WAIT.minusMillis(1));
        assertThat(info(id).state()).as("the first run's word and its timer").isEqualTo(ProcessState.STARTING);

        channels.last().sayReady();
        assertThat(info(id).state()).isEqualTo(ProcessState.ONLINE);
    }

    @Test
    void settledCompletesWhenTheInstanceLeavesStarting() {
        int id = supervisor.add(app("job", StopPolicy.DEFAULT, WAIT)).join().get(0);
        CompletableFuture<Void> settled = supervisor.settled(id);
        assertThat(settled).isNotDone();

        channels.last().sayReady();

        assertThat(settled).isDone();
        assertThat(supervisor.settled(id)).as("not starting: at once").isDone();
        assertThat(supervisor.settled(99)).as("no such instance: at once").isDone();
    }

    @Test
    void settledCompletesWhenTheRunEndsBeforeItIsReady() {
        int id = supervisor.add(app("job", StopPolicy.DEFAULT, WAIT)).join().get(0);
        CompletableFuture<Void> settled = supervisor.settled(id);

        os.last().exit(1);

        assertThat(settled).isDone();
        assertThat(info(id).state()).isEqualTo(ProcessState.WAITING_RESTART);
    }

    @Test
    void saidReadyIsTrueForTheRunThatSaidItOnly() {
        AppSpec spec = app("api", StopPolicy.DEFAULT, null);
        InstancePlan base = InstancePlan.of(spec, 0, 1);
        InstancePlan marked = new InstancePlan(0, base.command(), base.env(), base.outLog(), base.errLog(), 41000,
                Readiness.WHEN_MARKED, null);
        int id = supervisor.add(spec, List.of(marked), true).join().get(0);
        long pid = os.last().pid();
        assertThat(supervisor.saidReady(id, pid).join()).isFalse();

        channels.last().sayReady();

        assertThat(supervisor.saidReady(id, pid).join()).isTrue();
        assertThat(info(id).state()).as("its owner marks it, not the supervisor").isEqualTo(ProcessState.STARTING);
        assertThat(supervisor.saidReady(id, pid + 1).join()).isFalse();
        os.last().exit(1);
        loop.advance(Duration.ofSeconds(1));
        assertThat(supervisor.saidReady(id, os.last().pid()).join()).as("a new run says it again").isFalse();
    }

    @Test
    void shutdownWithMessageStopsWithShutdownOverTheChannelAndNoSignal() {
        int id = supervisor.add(app("quiet", new StopPolicy(Signal.SIGINT, Duration.ofSeconds(2), false, true), null))
                .join().get(0);
        FakeProcess p = os.last();
        channels.last().connect();

        CompletableFuture<Void> stopped = supervisor.stop(List.of(id));

        assertThat(channels.last().sent()).containsExactly("shutdown");
        assertThat(p.received()).isEmpty();
        assertThat(info(id).lastReason()).isEqualTo("sending the message 'shutdown', SIGKILL after 2000 ms");
        p.exit(0);
        assertThat(stopped).isDone();
        assertThat(info(id).state()).isEqualTo(ProcessState.STOPPED);
        assertThat(info(id).lastExits().get(0).exitCode()).isZero();
    }

    @Test
    void shutdownWithMessageToAnAppThatIgnoresItEndsInSigkillAtKillTimeout() {
        int id = supervisor.add(app("deaf", new StopPolicy(Signal.SIGINT, Duration.ofSeconds(2), false, true), null))
                .join().get(0);
        FakeProcess p = os.last();
        channels.last().connect();

        CompletableFuture<Void> stopped = supervisor.stop(List.of(id));
        loop.advance(Duration.ofMillis(1999));
        assertThat(p.received()).isEmpty();
        loop.advance(Duration.ofMillis(1));

        assertThat(p.received()).containsExactly(Signal.SIGKILL);
        assertThat(stopped).isDone();
        assertThat(info(id).state()).isEqualTo(ProcessState.STOPPED);
    }

    @Test
    void shutdownWithMessageSendsTheKillSignalWhenNoProcessIsConnected() {
        int id = supervisor.add(app("mute", new StopPolicy(Signal.SIGINT, Duration.ofSeconds(2), false, true), null))
                .join().get(0);
        FakeProcess p = os.last();

        supervisor.stop(List.of(id));

        assertThat(p.received()).containsExactly(Signal.SIGINT);
        assertThat(info(id).state()).isEqualTo(ProcessState.STOPPED);
        assertThat(info(id).lastExits().get(0).describe()).contains("SIGINT");
    }

    @Test
    void withoutShutdownWithMessageAConnectedAppStillGetsItsSignal() {
        int id = supervisor.add(app("web", StopPolicy.DEFAULT, null)).join().get(0);
        channels.last().connect();

        supervisor.stop(List.of(id));

        assertThat(channels.opened().get(0).sent()).isEmpty();
        assertThat(os.last().received()).containsExactly(Signal.SIGTERM);
    }
}
