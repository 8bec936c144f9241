package dev.herd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.cluster.ClusterApp.Member;
import dev.herd.cluster.ClusterApp.Outcome;
import dev.herd.cluster.ClusterApp.Place;
import dev.herd.cluster.ClusterApp.Progress;
import dev.herd.balancer.TrafficStats;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.FakeChannels;
import dev.herd.supervisor.FakeProcesses;
import dev.herd.supervisor.Handover;
import dev.herd.supervisor.FakeProcesses.FakeProcess;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.ManualScheduler;
import dev.herd.supervisor.ProcessState;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.StopPolicy;
import dev.herd.supervisor.Supervisor;
import dev.herd.supervisor.logs.LogRegistry;

/**
 * A cluster app on a real supervisor driving fake processes, a fake pool and a fake readiness
 * check, all on one manual clock: each test takes every step itself and never sleeps.
 */
class ClusterAppTest {

    /**
     * A stopped instance is forgotten only once its output pumps, real threads, have read the
     * fake process's streams to their end; so a step that retires one completes off the manual
     * clock, shortly after the clock moved.
     */
    private static final Duration OUTPUT_DRAINED = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final ManualScheduler loop = new ManualScheduler();
    private final FakeProcesses os = new FakeProcesses();
    private final FakeChannels channels = new FakeChannels();
    private final FakePools pools = new FakePools();
    private final Set<Integer> readyPorts = new HashSet<>();
    /** Pids of instances that accept on the socket of a socket-mode pool. */
    private final Set<Long> acceptingPids = new HashSet<>();
    /** Ports another program listens on. */
    private final Set<Integer> takenPorts = new HashSet<>();
    private final List<Progress> progress = new CopyOnWriteArrayList<>();
    private LogRegistry logs;
    private Supervisor supervisor;
    private int nextPort = 30000;
    private ClusterApp app;
    private final List<ClusterApp> apps = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        logs = new LogRegistry();
        supervisor = new Supervisor(os, channels, os, logs, loop, () -> 1_700_000_000_000L, () -> 0.5, loop,
                e -> apps.forEach(a -> a.onInstanceEvent(e)));
        app = cluster(spec("api", 2), ClusterSpec.onPort(8000));
        apps.add(app);
    }

    @AfterEach
    void tearDown() {
        logs.close();
    }

    private ClusterApp cluster(AppSpec spec, ClusterSpec cluster) {
        PortAllocator ports = new PortAllocator(30000, 30999, port -> !takenPorts.contains(port),
                bound -> nextPort++ - 30000);
        ReadinessCheck readiness = new ReadinessCheck() {
            @Override
            public CompletableFuture<Boolean> probe(int port, String httpPath) {
                return CompletableFuture.completedFuture(readyPorts.contains(port));
            }

            @Override
            public CompletableFuture<String> accepting(long pid, long socketInode) {
                return CompletableFuture.completedFuture(acceptingPids.contains(pid) ? "it accepts on the socket" : null);
            }
        };
        return new ClusterApp(spec, cluster, new ClusterApp.Services(supervisor, pools, ports, readiness,
                new NotifySockets(dir.resolve("notify")), loop, loop));
    }

    private AppSpec spec(String name, int instances) {
        return new AppSpec(name, dir.resolve("server.js"), Path.of("/usr/bin/node"), List.of(),
                List.of("--port", "{port}"), dir, Map.of("PORT", "8000", "URL", "http://127.0.0.1:{port}/"), instances,
                new RestartPolicy(true, 16, Duration.ofMillis(1000), Duration.ofMillis(100), Duration.ZERO, Set.of()),
                StopPolicy.DEFAULT,
                new LogPolicy(dir.resolve(name + "-out.log"), dir.resolve(name + "-error.log"), false, null, 0, 0));
    }

    private List<Member> members() {
        return app.members().join();
    }

    private FakeProcess processOf(Member m) {
        long pid = supervisor.list().stream().filter(i -> i.id() == m.id()).findFirst().orElseThrow().pid();
        return os.launched().stream().filter(p -> p.pid() == pid).findFirst().orElseThrow();
    }

    /** Every member's port answers; the next probes find them ready. */
    private void allReady() {
        members().forEach(m -> readyPorts.add(m.port()));
        loop.advance(ClusterApp.READY_POLL);
    }

    private List<String> steps() {
        return progress.stream().map(p -> p.index() + ":" + p.step()).toList();
    }

    @Test
    void eachInstanceRunsOnItsOwnPortAndJoinsThePoolOnlyWhenReady() {
        List<Integer> ids = app.start(true).join();

        assertThat(ids).hasSize(2);
        assertThat(members()).extracting(Member::place).containsOnly(Place.STARTING);
        FakePool pool = pools.current();
        assertThat(pool.states).containsOnlyKeys(ids.get(0), ids.get(1)).containsValues("added", "added");

        Member first = members().get(0);
        assertThat(processOf(first).env()).containsEntry("PORT", Integer.toString(first.port()))
                .containsEntry("URL", "http://127.0.0.1:" + first.port() + "/");
        assertThat(processOf(first).command()).endsWith("--port", Integer.toString(first.port()));
        assertThat(members().get(1).port()).isNotEqualTo(first.port());

        readyPorts.add(first.port());
        loop.advance(ClusterApp.READY_POLL);

        assertThat(pool.states.get(first.id())).isEqualTo("admitted");
        assertThat(pool.states.get(members().get(1).id())).isEqualTo("added");
        assertThat(members().get(0).place()).isEqualTo(Place.READY);
        assertThat(supervisor.list().get(0).state()).isEqualTo(ProcessState.ONLINE);
        assertThat(supervisor.list().get(0).lastReason()).contains("accepts connections");
    }

    @Test
    void aCrashedInstanceLeavesThePoolAtOnceAndComesBackWhenReadyAgain() {
        app.start(true).join();
        allReady();
        Member m = members().get(0);
        FakePool pool = pools.current();
        readyPorts.remove(m.port());

        processOf(m).exit(1);

        assertThat(pool.states.get(m.id())).isEqualTo("maintained");
        assertThat(members().get(0).place()).isEqualTo(Place.OUT);
        loop.advance(Duration.ofMillis(100));
        assertThat(members().get(0).place()).isEqualTo(Place.STARTING);
        assertThat(pool.states.get(m.id())).isEqualTo("maintained");
        readyPorts.add(m.port());
        loop.advance(ClusterApp.READY_POLL);
        assertThat(pool.states.get(m.id())).isEqualTo("admitted");
        assertThat(pools.opened).isEqualTo(1);
    }

    @Test
    void anInstanceThatNeverGetsReadyIsStoppedAsCrashedAfterListenTimeout() {
        app.start(true).join();
        Member m = members().get(0);
        FakeProcess p = processOf(m);

        loop.advance(ClusterSpec.DEFAULT_LISTEN_TIMEOUT.minus(ClusterApp.READY_POLL));
        assertThat(p.received()).isEmpty();
        loop.advance(ClusterApp.READY_POLL);

        assertThat(p.received()).containsExactly(Signal.SIGTERM);
        assertThat(supervisor.list().get(0).lastReason()).contains("not ready within listen_timeout (10.00 s)");
        assertThat(pools.current().states.get(m.id())).isNotEqualTo("admitted");
    }

    @Test
    void anInstanceThatCanNeverGetReadyEndsErroredAfterMaxRestartsHoweverLongEachTryLasted() {
        AppSpec base = spec("api", 1);
        AppSpec twice = new AppSpec(base.name(), base.script(), base.interpreter(), base.interpreterArgs(), base.args(),
                base.cwd(), base.env(), 1, new RestartPolicy(true, 2, Duration.ofMillis(1000), Duration.ofMillis(100),
                Duration.ZERO, Set.of()), base.stop(), base.logs());
        apps.remove(app);
        app = cluster(twice, ClusterSpec.onPort(8000));
        apps.add(app);
        app.start(true).join();

        for (int run = 0; run < 3; run++) {
            // Each try lasts the whole listen_timeout, ten times min_uptime.
            loop.advance(ClusterSpec.DEFAULT_LISTEN_TIMEOUT);
            loop.advance(Duration.ofMillis(200));
        }

        assertThat(supervisor.list().get(0).state()).isEqualTo(ProcessState.ERRORED);
        assertThat(supervisor.list().get(0).lastReason()).contains("max_restarts is 2")
                .contains("not ready within listen_timeout");
        assertThat(os.launched()).hasSize(3);
    }

    @Test
    void aReplacementSwapsOneInstanceForAReadyOneAndLeavesTheOthersAlone() {
        app.start(true).join();
        allReady();
        List<Member> before = members();
        FakePool pool = pools.current();

        CompletableFuture<Outcome> replaced = app.replace(before.get(1).id(), "memory 310mb over 300mb", progress::add);

        Member fresh = members().get(2);
        assertThat(fresh.index()).isEqualTo(1);
        assertThat(pool.states.get(before.get(1).id())).as("serves until its replacement is ready").isEqualTo("admitted");
        assertThatThrownBy(() -> app.reload(spec("api", 2), progress::add).join())
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a replacement of instance 1 (memory 310mb over 300mb) of api is running");
        readyPorts.add(fresh.port());
        loop.advance(ClusterApp.READY_POLL);

        assertThat(replaced).succeedsWithin(OUTPUT_DRAINED).isEqualTo(new Outcome(null));
        assertThat(members()).extracting(Member::id).containsExactly(before.get(0).id(), fresh.id());
        assertThat(processOf(before.get(0)).alive()).isTrue();
        assertThat(os.launched().get(1).alive()).isFalse();
        assertThat(app.lastOutcome()).isEqualTo("replacement of instance 1 (memory 310mb over 300mb) of api done");
        assertThatThrownBy(() -> app.replace(999, "x", progress::add).join())
                .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("no instance with id 999");
    }

    @Test
    void aReloadReplacesEachInstanceOnlyOnceItsReplacementIsReady() {
        app.start(true).join();
        allReady();
        List<Member> before = members();
        FakePool pool = pools.current();

        CompletableFuture<Outcome> reload = app.reload(spec("api", 2), progress::add);

        assertThat(members()).hasSize(3);
        Member fresh = members().get(2);
        assertThat(fresh.index()).isEqualTo(before.get(0).index());
        assertThat(pool.states.get(before.get(0).id())).isEqualTo("admitted");
        assertThat(pool.states.get(fresh.id())).isEqualTo("added");

        readyPorts.add(fresh.port());
        loop.advance(ClusterApp.READY_POLL);
        // The old one drained (nothing in flight) and got its stop signal once the new one was admitted.
        assertThat(pool.states.get(fresh.id())).isEqualTo("admitted");
        assertThat(pool.drained).contains(before.get(0).id());
        assertThat(processOf(members().stream().filter(x -> x.index() == 1).findFirst().orElseThrow()).alive()).isTrue();
        assertThat(members()).extracting(Member::id).doesNotContain(before.get(0).id());

        Member second = members().stream().filter(x -> x.id() != fresh.id() && x.id() != before.get(1).id())
                .findFirst().orElseThrow();
        readyPorts.add(second.port());
        loop.advance(ClusterApp.READY_POLL);

        assertThat(reload).succeedsWithin(OUTPUT_DRAINED).isEqualTo(new Outcome(null));
        assertThat(members()).extracting(Member::id).containsExactly(fresh.id(), second.id());
        assertThat(members()).extracting(Member::place).containsOnly(Place.READY);
        assertThat(os.launched().subList(0, 2)).allSatisfy(p -> assertThat(p.alive()).isFalse());
        assertThat(pool.states).containsOnlyKeys(fresh.id(), second.id());
        assertThat(steps()).containsExactly("0:starting", "0:ready", "0:drained", "0:stopped",
                "1:starting", "1:ready", "1:drained", "1:stopped", "-1:done");
        assertThat(progress.get(1).text()).matches("instance 0: new pid \\d+ ready in 0\\.05 s");
        assertThat(progress.get(2).text()).contains("drained (0 in flight)");
    }

    @Test
    void aDrainWaitsForRequestsInFlightUpToTheDrainTimeout() {
        app.start(true).join();
        allReady();
        Member old = members().get(0);
        FakeProcess oldProcess = processOf(old);
        FakePool pool = pools.current();
        pool.inFlight.put(old.id(), 2);
        pool.holdDrains = true;

        app.reload(spec("api", 2), progress::add);
        Member fresh = members().get(2);
        readyPorts.add(fresh.port());
        loop.advance(ClusterApp.READY_POLL);

        assertThat(members()).extracting(Member::place).contains(Place.DRAINING);
        assertThat(oldProcess.received()).isEmpty();
        pool.finishDrain(old.id());
        assertThat(oldProcess.received()).containsExactly(Signal.SIGTERM);
        assertThat(progress).extracting(Progress::text).contains("instance 0: old pid " + oldProcess.pid()
                + " drained (2 in flight)");

        Member second = members().stream().filter(x -> x.place() == Place.STARTING).findFirst().orElseThrow();
        readyPorts.add(second.port());
        loop.advance(ClusterApp.READY_POLL);
        loop.advance(ClusterSpec.DEFAULT_DRAIN_TIMEOUT);
        assertThat(progress).extracting(Progress::text).anyMatch(t -> t.contains("drain timed out after 30.00 s"));
    }

    @Test
    void aReloadWhoseNewInstanceNeverGetsReadyStopsItAndKeepsTheOldOnesServing() {
        app.start(true).join();
        allReady();
        List<Member> before = members();
        FakePool pool = pools.current();

        CompletableFuture<Outcome> reload = app.reload(spec("api", 2), progress::add);
        Member fresh = members().get(2);
        loop.advance(ClusterSpec.DEFAULT_LISTEN_TIMEOUT.plusMillis(100));

        assertThat(reload).succeedsWithin(OUTPUT_DRAINED);
        assertThat(reload.join().failure()).contains("instance 0").contains("not ready within listen_timeout");
        assertThat(processOf(before.get(0)).alive()).isTrue();
        assertThat(os.launched().get(2).alive()).isFalse();
        assertThat(members()).extracting(Member::id).containsExactly(before.get(0).id(), before.get(1).id());
        assertThat(pool.states).containsEntry(before.get(0).id(), "admitted").containsEntry(before.get(1).id(), "admitted")
                .doesNotContainKey(fresh.id());
        assertThat(steps()).containsExactly("0:starting", "0:failed", "-1:done");
        assertThat(progress.get(1).text()).contains("still serves");
    }

    @Test
    void aReloadWhoseNewInstanceCrashesAtStartStopsThere() {
        app.start(true).join();
        allReady();
        AppSpec previous = supervisor.apps().get(0);

        CompletableFuture<Outcome> reload = app.reload(spec("api", 2), progress::add);
        os.last().exit(1);

        assertThat(reload.join().failure()).contains("instance 0").contains("exited with code 1");
        assertThat(members()).hasSize(2).extracting(Member::place).containsOnly(Place.READY);
        assertThat(supervisor.apps()).containsExactly(previous);
        assertThat(os.launched()).hasSize(3);
    }

    @Test
    void aStopOfTheAppDuringAReloadEndsTheReloadAndLeavesNoExtraInstance() {
        List<Integer> ids = app.start(true).join();
        allReady();
        CompletableFuture<Outcome> reload = app.reload(spec("api", 2), progress::add);
        int fresh = members().get(2).id();

        supervisor.stop(List.of(ids.get(0), ids.get(1), fresh)).join();

        assertThat(reload).succeedsWithin(OUTPUT_DRAINED);
        assertThat(reload.join().failure()).contains("stopped before it was ready");
        assertThat(members()).extracting(Member::id).containsExactlyElementsOf(ids);
        assertThat(pools.current().closed).isTrue();
    }

    @Test
    void aNewInstanceThatCrashesIsReportedWithItsPidAndWhereItsOutputIs() {
        app.start(true).join();
        allReady();
        app.reload(spec("api", 2), progress::add);
        long pid = os.last().pid();

        os.last().exit(3);

        assertThat(progress).extracting(Progress::text).anySatisfy(t -> assertThat(t)
                .startsWith("instance 0: new pid " + pid + " exited with code 3 after running")
                .contains("(its output: herd logs api --err)").doesNotContain("restart in"));
    }

    @Test
    void aSecondReloadWhileOneRunsIsRefused() {
        app.start(true).join();
        allReady();
        app.reload(spec("api", 2), progress::add);

        assertThatThrownBy(() -> app.reload(spec("api", 2), p -> { }).join())
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a reload of api is running");
        assertThatThrownBy(() -> app.scale(3, p -> { }).join()).hasMessageContaining("a reload of api is running");
    }

    @Test
    void scaleUpAddsTheLowestFreeIndexesAndEndsWhenTheyAreReady() {
        app.start(true).join();
        allReady();

        CompletableFuture<Outcome> scale = app.scale(4, progress::add);
        assertThat(members()).hasSize(4);
        assertThat(scale).isNotDone();
        allReady();

        assertThat(scale).succeedsWithin(OUTPUT_DRAINED).isEqualTo(new Outcome(null));
        assertThat(members()).extracting(Member::index).containsExactly(0, 1, 2, 3);
        assertThat(members()).extracting(Member::place).containsOnly(Place.READY);
        assertThat(supervisor.apps().get(0).instances()).isEqualTo(4);
    }

    @Test
    void scaleDownDrainsThenStopsTheHighestIndexes() {
        app.start(true).join();
        allReady();
        app.scale(4, p -> { });
        allReady();
        List<Member> four = members();

        Outcome outcome = app.scale(1, progress::add).join();

        assertThat(outcome.succeeded()).isTrue();
        assertThat(members()).extracting(Member::index).containsExactly(0);
        assertThat(pools.current().drained).containsExactlyInAnyOrder(four.get(1).id(), four.get(2).id(), four.get(3).id());
        assertThat(os.launched().stream().filter(FakeProcess::alive)).hasSize(1);
        assertThat(supervisor.apps().get(0).instances()).isEqualTo(1);
    }

    @Test
    void scaleToZeroIsRefused() {
        app.start(true).join();

        assertThatThrownBy(() -> app.scale(0, p -> { }).join()).hasMessageContaining("at least 1 instance");
    }

    @Test
    void thePublicPortClosesWhenTheLastInstanceStopsAndReopensWhenOneStarts() {
        List<Integer> ids = app.start(true).join();
        allReady();

        supervisor.stop(List.of(ids.get(0))).join();
        assertThat(pools.current().closed).isFalse();
        supervisor.stop(List.of(ids.get(1))).join();
        assertThat(pools.current().closed).isTrue();
        assertThat(app.address().join()).isNull();

        supervisor.start(ids).join();
        assertThat(pools.opened).isEqualTo(2);
        assertThat(pools.current().states).containsOnlyKeys(ids.get(0), ids.get(1));
        loop.advance(ClusterApp.READY_POLL);
        assertThat(pools.current().states).containsValues("admitted", "admitted");
    }

    @Test
    void aWaitReadyInstanceIsReadyWhenItSaysSoNotWhenItsPortAnswers() throws Exception {
        ClusterSpec base = ClusterSpec.onPort(8000);
        ClusterApp notified = cluster(spec("notified", 1), new ClusterSpec(base.host(), base.port(), base.balancer(),
                base.listenTimeout(), base.drainTimeout(), 1, true));
        apps.add(notified);
        notified.start(true).join();
        Member m = notified.members().join().get(0);
        String socket = os.last().env().get("NOTIFY_SOCKET");
        assertThat(socket).endsWith("/notify/" + m.port() + ".sock");

        readyPorts.add(m.port());
        loop.advance(ClusterApp.READY_POLL);
        assertThat(notified.members().join().get(0).place()).isEqualTo(Place.STARTING);

        try (org.newsclub.net.unix.AFUNIXDatagramSocket client = org.newsclub.net.unix.AFUNIXDatagramSocket.newInstance()) {
            byte[] ready = "READY=1".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            client.connect(org.newsclub.net.unix.AFUNIXSocketAddress.of(new java.io.File(socket)));
            client.send(new java.net.DatagramPacket(ready, ready.length));
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            loop.advance(ClusterApp.READY_POLL);
            return notified.members().join().get(0).place() == Place.READY;
        });
        assertThat(supervisor.list().stream().filter(i -> i.app().equals("notified")).findFirst().orElseThrow()
                .lastReason()).contains("it said READY=1 on its NOTIFY_SOCKET");
    }

    @Test
    void aWaitReadyInstanceIsReadyWhenItsProcessSaysReadyOverItsChannel() {
        ClusterSpec base = ClusterSpec.onPort(8000);
        ClusterApp said = cluster(spec("said", 1), new ClusterSpec(base.host(), base.port(), base.balancer(),
                Duration.ofSeconds(3), base.drainTimeout(), 1, true));
        apps.add(said);
        said.start(true).join();
        Member m = said.members().join().get(0);
        readyPorts.add(m.port());
        loop.advance(ClusterApp.READY_POLL);
        assertThat(said.members().join().get(0).place()).isEqualTo(Place.STARTING);

        channels.last().sayReady();
        loop.advance(ClusterApp.READY_POLL);

        assertThat(said.members().join().get(0).place()).isEqualTo(Place.READY);
        assertThat(pools.current().states.get(m.id())).isEqualTo("admitted");
        assertThat(supervisor.list().stream().filter(i -> i.app().equals("said")).findFirst().orElseThrow()
                .lastReason()).contains("(it said process.send('ready'))");
    }

    @Test
    void aWaitReadyInstanceThatNeverSaysReadyFailsAtListenTimeout() {
        ClusterSpec base = ClusterSpec.onPort(8000);
        ClusterApp mute = cluster(spec("mute", 1), new ClusterSpec(base.host(), base.port(), base.balancer(),
                Duration.ofSeconds(3), base.drainTimeout(), 1, true));
        apps.add(mute);
        mute.start(true).join();
        FakeProcess p = os.last();
        readyPorts.add(mute.members().join().get(0).port());

        loop.advance(Duration.ofSeconds(3));
        loop.advance(ClusterApp.READY_POLL);

        assertThat(p.received()).containsExactly(Signal.SIGTERM);
        assertThat(supervisor.list().stream().filter(i -> i.app().equals("mute")).findFirst().orElseThrow()
                .lastReason()).contains("not ready within listen_timeout (3.00 s): no process.send('ready'),"
                        + " nor READY=1 on its NOTIFY_SOCKET");
    }

    @Test
    void anInstanceWhosePortAnotherProgramTookMovesToAnotherPort() {
        app.start(true).join();
        Member m = members().get(0);
        FakeProcess first = processOf(m);
        takenPorts.add(m.port());

        first.exit(1);
        loop.advance(Duration.ofMillis(100));

        Member moved = members().get(0);
        assertThat(moved.port()).isNotEqualTo(m.port());
        FakeProcess second = processOf(moved);
        assertThat(second).isNotSameAs(first);
        assertThat(second.env()).containsEntry("PORT", Integer.toString(moved.port()));
        assertThat(second.command()).endsWith("--port", Integer.toString(moved.port()));
        FakePool pool = pools.current();
        assertThat(pool.ports).containsEntry(m.id(), moved.port());
        readyPorts.add(moved.port());
        loop.advance(ClusterApp.READY_POLL);
        assertThat(pool.states.get(m.id())).isEqualTo("admitted");
    }

    @Test
    void anOldInstanceThatIgnoresSigtermIsKilledAtKillTimeoutAndTheReloadSaysSo() {
        app.start(true).join();
        allReady();
        Member old = members().get(0);
        processOf(old).ignoreTerm();

        CompletableFuture<Outcome> reload = app.reload(spec("api", 2), progress::add);
        Member fresh = members().get(2);
        readyPorts.add(fresh.port());
        loop.advance(ClusterApp.READY_POLL);
        assertThat(steps()).endsWith("0:drained");
        loop.advance(StopPolicy.DEFAULT.killTimeout());

        assertThat(progress).extracting(Progress::text).contains("instance 0: old pid " + os.launched().get(0).pid()
                + " killed: SIGTERM did not end it within kill_timeout (5.00 s)");
        allReady();
        assertThat(reload).succeedsWithin(OUTPUT_DRAINED).isEqualTo(new Outcome(null));
    }

    private ClusterApp socketApp(AppSpec spec) {
        apps.remove(app);
        app = cluster(spec, ClusterSpec.onPort(8000).withSharing(PortSharing.SOCKET));
        apps.add(app);
        return app;
    }

    /** Every instance that runs accepts on the socket; the next probes find them ready. */
    private void allAccepting() {
        os.launched().stream().filter(FakeProcess::alive).forEach(p -> acceptingPids.add(p.pid()));
        loop.advance(ClusterApp.READY_POLL);
    }

    @Test
    void inSocketModeEveryInstanceGetsTheOneSocketAndThePublicPort() {
        socketApp(spec("api", 2)).start(true).join();

        assertThat(os.launched()).hasSize(2).allSatisfy(p -> {
            assertThat(p.handover()).isEqualTo(Handover.of(FakePool.SOCKET_FD, "api", false));
            assertThat(p.env()).containsEntry("PORT", "8000").containsEntry("URL", "http://127.0.0.1:8000/")
                    .containsEntry(ClusterApp.LISTEN_FD_VARIABLE, "3").containsEntry(ClusterApp.LISTEN_PORT_VARIABLE, "8000");
            assertThat(p.command()).endsWith("--port", "8000");
        });
        assertThat(members()).extracting(Member::port).as("no port of their own").containsOnly(0);
    }

    @Test
    void inSocketModeAJvmAlsoGetsTheSocketAsStdinForItsInheritedChannel() {
        AppSpec jvm = new AppSpec("jvm", dir.resolve("app.jar"), Path.of("/usr/lib/jvm/java-17/bin/java"),
                List.of("-jar"), List.of(), dir, Map.of(), 1, RestartPolicy.DEFAULT, StopPolicy.DEFAULT,
                new LogPolicy(dir.resolve("jvm-out.log"), dir.resolve("jvm-error.log"), false, null, 0, 0));
        socketApp(jvm).start(true).join();

        assertThat(os.last().handover()).isEqualTo(Handover.of(FakePool.SOCKET_FD, "jvm", true));
    }

    @Test
    void inSocketModeAnInstanceIsReadyOnlyOnceItAcceptsOnTheSocket() {
        socketApp(spec("api", 2)).start(true).join();
        loop.advance(ClusterApp.READY_POLL.multipliedBy(3));
        assertThat(members()).extracting(Member::place).containsOnly(Place.STARTING);

        acceptingPids.add(os.launched().get(0).pid());
        loop.advance(ClusterApp.READY_POLL);

        assertThat(members()).extracting(Member::place).containsExactly(Place.READY, Place.STARTING);
        assertThat(supervisor.list().get(0).state()).isEqualTo(ProcessState.ONLINE);
        assertThat(supervisor.list().get(0).lastReason()).contains("(it accepts on the socket)");
    }

    @Test
    void inSocketModeAnInstanceThatNeverAcceptsFailsAtListenTimeoutSayingWhatItNeeds() {
        socketApp(spec("api", 1)).start(true).join();

        loop.advance(ClusterSpec.DEFAULT_LISTEN_TIMEOUT);

        assertThat(os.last().received()).containsExactly(Signal.SIGTERM);
        assertThat(supervisor.list().get(0).lastReason()).contains("not ready within listen_timeout (10.00 s)")
                .contains("never accepted on the socket herd hands it (fd 3, LISTEN_FDS=1")
                .contains("or use balancer.mode http");
    }

    @Test
    void inSocketModeTheSocketStaysOpenWhileEveryInstanceIsStopped() {
        List<Integer> ids = socketApp(spec("api", 2)).start(true).join();
        allAccepting();

        supervisor.stop(ids).join();

        assertThat(pools.current().closed).as("connections wait in its queue").isFalse();
        assertThat(app.address().join()).isNotNull();
        supervisor.start(ids).join();
        assertThat(pools.opened).isEqualTo(1);
        assertThat(os.launched().subList(2, 4)).allSatisfy(p ->
                assertThat(p.handover()).isEqualTo(Handover.of(FakePool.SOCKET_FD, "api", false)));
        app.close().join();
        assertThat(pools.current().closed).isTrue();
    }

    @Test
    void inSocketModeAReloadStopsEachOldInstanceOnceItsReplacementAccepts() {
        socketApp(spec("api", 2)).start(true).join();
        allAccepting();
        List<Member> before = members();

        CompletableFuture<Outcome> reload = app.reload(spec("api", 2), progress::add);
        assertThat(os.launched()).hasSize(3);
        assertThat(processOf(before.get(0)).received()).as("serves until its replacement accepts").isEmpty();
        allAccepting();
        allAccepting();

        assertThat(reload).succeedsWithin(OUTPUT_DRAINED).isEqualTo(new Outcome(null));
        assertThat(os.launched().subList(0, 2)).allSatisfy(p -> assertThat(p.received()).containsExactly(Signal.SIGTERM));
        assertThat(os.launched().subList(2, 4)).allSatisfy(p -> assertThat(p.alive()).isTrue());
        assertThat(pools.opened).isEqualTo(1);
        assertThat(steps()).containsExactly("0:starting", "0:ready", "0:drained", "0:stopped",
                "1:starting", "1:ready", "1:drained", "1:stopped", "-1:done");
    }

    @Test
    void withASocketPerInstanceAScaleDownGivesBackTheSocketsOfTheIndexesItRemovesAndAReloadKeepsThem() {
        apps.remove(app);
        app = cluster(spec("api", 3), ClusterSpec.onPort(8000).withSharing(PortSharing.REUSEPORT));
        apps.add(app);
        app.start(true).join();
        allAccepting();
        assertThat(pools.current().handedIndexes).containsExactly(0, 1, 2);

        CompletableFuture<Outcome> reload = app.reload(spec("api", 3), progress::add);
        for (int i = 0; i < 6; i++) {
            allAccepting();
        }
        assertThat(reload).succeedsWithin(OUTPUT_DRAINED).isEqualTo(new Outcome(null));
        assertThat(pools.current().released).as("each successor took its index's socket").isEmpty();

        Outcome down = app.scale(1, progress::add).join();

        assertThat(down.succeeded()).isTrue();
        assertThat(pools.current().released).containsExactlyInAnyOrder(1, 2);
        assertThat(pools.opened).isEqualTo(1);
    }

    @Test
    void aReloadCannotSwitchBetweenProxyAndSocket() {
        app.start(true).join();
        allReady();

        assertThatThrownBy(() -> app.reload(spec("api", 2), ClusterSpec.onPort(8000).withSharing(PortSharing.SOCKET),
                progress::add).join())
                .hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("how the port is shared (balancer.mode http/tcp to socket) cannot change in a reload");
    }

    @Test
    void aTakenPublicPortStartsNothing() {
        pools.failWith = new BindException("127.0.0.1:8000 is in use");

        assertThatThrownBy(() -> app.start(true).join()).hasRootCauseInstanceOf(BindException.class)
                .hasMessageContaining("in use");
        assertThat(os.launched()).isEmpty();
        assertThat(supervisor.list()).isEmpty();
    }

    /** Opens {@link FakePool}s. */
    static final class FakePools implements Pool.Factory {
        final List<FakePool> all = new CopyOnWriteArrayList<>();
        int opened;
        BindException failWith;

        @Override
        public Pool open(ClusterSpec spec) throws BindException {
            if (failWith != null) {
                throw failWith;
            }
            opened++;
            FakePool p = new FakePool(spec.port(), spec.sharing().handsSocket());
            all.add(p);
            return p;
        }

        FakePool current() {
            return all.get(all.size() - 1);
        }
    }

    /** Records what the app asks of its pool; drains finish at once unless held. */
    static final class FakePool implements Pool {
        final Map<Integer, String> states = new LinkedHashMap<>();
        final Map<Integer, Integer> ports = new LinkedHashMap<>();
        final Map<Integer, Integer> inFlight = new LinkedHashMap<>();
        final Map<Integer, CompletableFuture<Void>> drains = new LinkedHashMap<>();
        final List<Integer> drained = new CopyOnWriteArrayList<>();
        /** The indexes whose socket was asked for, and those given back. */
        final Set<Integer> handedIndexes = new java.util.TreeSet<>();
        final List<Integer> released = new CopyOnWriteArrayList<>();
        /** A descriptor of this process that stands for the socket: the app reads its inode from /proc. */
        static final int SOCKET_FD = 1;
        final int port;
        final boolean socket;
        boolean holdDrains;
        boolean closed;

        FakePool(int port, boolean socket) {
            this.port = port;
            this.socket = socket;
        }

        @Override
        public Handover handover(int index, String name, boolean asStdin) {
            if (socket) {
                handedIndexes.add(index);
            }
            return socket ? Handover.of(SOCKET_FD, name, asStdin) : null;
        }

        @Override
        public void release(int index) {
            released.add(index);
        }

        @Override
        public void add(int id, int port) {
            states.put(id, "added");
            ports.put(id, port);
        }

        @Override
        public void admit(int id) {
            states.put(id, "admitted");
        }

        @Override
        public void sampleTraffic() {
        }

        @Override
        public Map<Integer, TrafficStats> traffic() {
            Map<Integer, TrafficStats> none = new LinkedHashMap<>();
            states.keySet().forEach(id -> none.put(id, TrafficStats.NONE));
            return none;
        }

        @Override
        public TrafficTotals totals() {
            return TrafficTotals.none();
        }

        @Override
        public void maintain(int id) {
            states.put(id, "maintained");
        }

        @Override
        public CompletableFuture<Void> drain(int id) {
            states.put(id, "draining");
            drained.add(id);
            CompletableFuture<Void> f = new CompletableFuture<>();
            drains.put(id, f);
            if (!holdDrains) {
                f.complete(null);
            }
            return f;
        }

        void finishDrain(int id) {
            drains.get(id).complete(null);
        }

        @Override
        public int inFlight(int id) {
            return inFlight.getOrDefault(id, 0);
        }

        @Override
        public void remove(int id) {
            states.remove(id);
        }

        @Override
        public InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", port);
        }

        @Override
        public void close(Duration grace) {
            closed = true;
        }
    }
}
