package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.logs.LogRegistry;

/** The supervisor with real processes: crash loops, stubborn processes, forking children. */
class SupervisorIT {

    @TempDir
    Path dir;

    private LogRegistry logs;
    private Supervisor supervisor;
    private final List<InstanceEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        logs = new LogRegistry();
        supervisor = new Supervisor(ProcessLauncher.system(), logs, Ticker.system(), System::currentTimeMillis,
                () -> 0.5, events::add);
    }

    @AfterEach
    void tearDown() {
        supervisor.close();
        logs.close();
    }

    private AppSpec bash(String name, String script, RestartPolicy restart, StopPolicy stop, int instances) throws IOException {
        Path file = dir.resolve(name + ".sh");
        Files.writeString(file, script);
        Map<String, String> env = new HashMap<>(System.getenv());
        return new AppSpec(name, file, Path.of("/bin/bash"), List.of(), List.of(), dir, env, instances, restart, stop,
                new LogPolicy(dir.resolve(name + "-out.log"), dir.resolve(name + "-error.log"), false, null, 0, 0));
    }

    private InstanceInfo only(String app) {
        return supervisor.list().stream().filter(i -> i.app().equals(app)).findFirst().orElseThrow();
    }

    @Test
    void crashLoopEndsInErroredAfterMaxRestarts() throws Exception {
        RestartPolicy p = new RestartPolicy(true, 3, Duration.ofMillis(1000), Duration.ZERO, Duration.ZERO, Set.of());
        supervisor.add(bash("crash", "echo boom >&2; exit 3\n", p, StopPolicy.DEFAULT, 1)).join();

        await().atMost(Duration.ofSeconds(20)).until(() -> only("crash").state() == ProcessState.ERRORED);
        InstanceInfo info = only("crash");
        assertThat(info.restarts()).isEqualTo(3);
        assertThat(info.lastExits()).hasSize(4).allSatisfy(e -> assertThat(e.exitCode()).isEqualTo(3));
        assertThat(info.lastReason()).contains("max_restarts is 3");
        assertThat(events).filteredOn(e -> e.to() == ProcessState.WAITING_RESTART).hasSize(3);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(Files.readString(dir.resolve("crash-error.log"))).contains("boom"));
    }

    @Test
    void processIgnoringSigtermIsKilledAfterKillTimeout() throws Exception {
        StopPolicy stop = new StopPolicy(Signal.SIGTERM, Duration.ofMillis(1500));
        supervisor.add(bash("stubborn", "trap '' TERM; echo ready; while true; do sleep 0.1; done\n",
                RestartPolicy.DEFAULT, stop, 1)).join();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Files.exists(dir.resolve("stubborn-out.log")) && Files.readString(dir.resolve("stubborn-out.log")).contains("ready"));
        long pid = only("stubborn").pid();

        long t0 = System.nanoTime();
        supervisor.stop(List.of(only("stubborn").id())).join();
        long tookMs = (System.nanoTime() - t0) / 1_000_000;

        InstanceInfo info = only("stubborn");
        assertThat(info.state()).isEqualTo(ProcessState.STOPPED);
        assertThat(info.lastExits().get(0).signal()).isEqualTo(Signal.SIGKILL);
        assertThat(info.lastExits().get(0).requested()).isTrue();
        assertThat(tookMs).as("stop waited for kill_timeout").isGreaterThanOrEqualTo(1400);
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void grandchildrenAreGoneAfterStopEvenOneThatLeftTheGroup() throws Exception {
        // One child stays in the group; one starts its own session, as a daemonising program would.
        String script = "sleep 300 & echo child $! >> pids\n"
                + "setsid sleep 301 & echo escaped $! >> pids\n"
                + "echo ready\nwait\n";
        supervisor.add(bash("forker", script, RestartPolicy.DEFAULT, StopPolicy.DEFAULT, 1)).join();
        Path pids = dir.resolve("pids");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pids) && Files.readAllLines(pids).size() == 2);
        List<Long> children = new ArrayList<>();
        for (String line : Files.readAllLines(pids)) {
            children.add(Long.parseLong(line.split(" ")[1]));
        }
        assertThat(children).allSatisfy(c -> assertThat(ProcessHandle.of(c)).isPresent());

        supervisor.stop(List.of(only("forker").id())).join();

        for (long c : children) {
            assertThat(ProcessTree.stat(c).filter(s -> !s.isZombie())).as("pid %d", c).isEmpty();
        }
    }

    @Test
    void treekillFalseStopsTheMainProcessAndLeavesItsChildRunning() throws Exception {
        StopPolicy mainOnly = new StopPolicy(Signal.SIGTERM, Duration.ofSeconds(5), true, false);
        supervisor.add(bash("detaching", "sleep 300 & echo $! > child\nwait\n", RestartPolicy.DEFAULT, mainOnly, 1))
                .join();
        Path pidFile = dir.resolve("child");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile) && Files.readString(pidFile).endsWith("\n"));
        long child = Long.parseLong(Files.readString(pidFile).trim());
        try {
            supervisor.stop(List.of(only("detaching").id())).join();

            assertThat(only("detaching").state()).isEqualTo(ProcessState.STOPPED);
            assertThat(ProcessTree.stat(child).filter(s -> !s.isZombie())).as("the child, pid %d", child).isPresent();
        } finally {
            Posix.kill(child, Signal.SIGKILL);
        }
    }

    @Test
    void anInstanceRunsAsTheUserAndGroupItIsGiven() throws Exception {
        Assumptions.assumeTrue(Posix.uid() == 0, "only a daemon running as root can run an instance as another user");
        // nobody must be able to read the script in its folder.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        AppSpec base = bash("asnobody", "grep -E '^(Uid|Gid|Groups):' /proc/self/status; exec sleep 300\n",
                RestartPolicy.DEFAULT, StopPolicy.DEFAULT, 1);
        AppSpec spec = new AppSpec(base.name(), base.script(), base.interpreter(), List.of(), List.of(), base.cwd(),
                base.env(), 1, base.restart(), base.stop(), base.logs(), null, null, null, new RunAs(65534, 65534, false), null, null,
                null, null, true, null, null);
        supervisor.add(spec).join();

        Path out = dir.resolve("asnobody-out.log");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(out) && Files.readAllLines(out).size() == 3);
        // Real, effective, saved and file-system ids; no supplementary groups.
        assertThat(Files.readAllLines(out)).extracting(String::strip).containsExactly(
                "Uid:\t65534\t65534\t65534\t65534", "Gid:\t65534\t65534\t65534\t65534", "Groups:");
        assertThat(ProcessTree.stat(only("asnobody").pid())).get().extracting(ProcessTree.Stat::pgid)
                .isEqualTo(only("asnobody").pid());
    }

    @Test
    void instancesGetTheirIndexAndOnlyStandardDescriptors() throws Exception {
        String script = "echo \"index=$HERD_APP_INSTANCE name=$HERD_APP_NAME\"; exec sleep 300\n";
        supervisor.add(bash("env", script, RestartPolicy.DEFAULT, StopPolicy.DEFAULT, 2)).join();
        Path out0 = dir.resolve("env-out-0.log");
        Path out1 = dir.resolve("env-out-1.log");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(out0) && Files.exists(out1)
                && Files.readAllLines(out0).size() == 1 && Files.readAllLines(out1).size() == 1);
        assertThat(Files.readAllLines(out0).get(0)).isEqualTo("index=0 name=env");
        assertThat(Files.readAllLines(out1).get(0)).isEqualTo("index=1 name=env");
        // Looked at from outside, once the script has become sleep: nothing of ours leaked in.
        long pid = only("env").pid();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).getFileName().toString().equals("sleep"));
        List<String> fds;
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = list.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(fds).containsExactly("0", "1", "2");
    }

    @Test
    void instancePidIsItsProcessGroup() throws Exception {
        supervisor.add(bash("group", "sleep 300\n", RestartPolicy.DEFAULT, StopPolicy.DEFAULT, 1)).join();
        long pid = only("group").pid();
        assertThat(ProcessTree.stat(pid)).get().extracting(ProcessTree.Stat::pgid).isEqualTo(pid);
    }

    @Test
    void restartAfterAStableRunResetsTheUnstableCount() throws Exception {
        RestartPolicy p = new RestartPolicy(true, 1, Duration.ofMillis(300), Duration.ZERO, Duration.ZERO, Set.of());
        Path marker = dir.resolve("runs");
        // Odd runs crash at once, even runs live past min_uptime, then crash: never two unstable exits in a row.
        String script = "echo x >> runs; n=$(wc -l < runs); if [ $((n % 2)) -eq 0 ]; then sleep 0.6; fi; exit 1\n";
        supervisor.add(bash("late", script, p, StopPolicy.DEFAULT, 1)).join();
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(marker) && Files.readAllLines(marker).size() >= 6);
        assertThat(only("late").state()).isNotEqualTo(ProcessState.ERRORED);
    }

    @Test
    void missingScriptEndsInErroredWithAReason() throws Exception {
        AppSpec spec = bash("gone", "exit 0\n", RestartPolicy.DEFAULT, StopPolicy.DEFAULT, 1);
        AppSpec missing = new AppSpec("gone", dir.resolve("nope"), null, List.of(), List.of(), dir, Map.of(), 1,
                spec.restart(), spec.stop(), spec.logs());
        supervisor.add(missing).join();
        assertThat(only("gone").state()).isEqualTo(ProcessState.ERRORED);
        assertThat(only("gone").lastReason()).contains("not found");
    }

    @Test
    void restoreKeepsIdsAndStatesAndHandsOutLaterIdsAboveThem() throws Exception {
        AppSpec spec = bash("back", "sleep 300\n", RestartPolicy.DEFAULT, StopPolicy.DEFAULT, 3);
        List<Integer> started = supervisor.restore(spec, List.of(
                new RestoredInstance(7, 0, ProcessState.ONLINE, "restarted after the daemon crashed"),
                new RestoredInstance(3, 1, ProcessState.ERRORED, "crashed too often"),
                new RestoredInstance(12, 2, ProcessState.STOPPED, "stopped by request"))).join();

        assertThat(started).containsExactly(7);
        assertThat(supervisor.list()).extracting(i -> i.id() + " " + i.index() + " " + i.state() + " " + i.lastReason())
                .containsExactly("7 0 ONLINE restarted after the daemon crashed", "3 1 ERRORED crashed too often",
                        "12 2 STOPPED stopped by request");
        assertThat(supervisor.list().get(0).pid()).isPositive();
        assertThat(supervisor.add(bash("next", "sleep 300\n", RestartPolicy.DEFAULT, StopPolicy.DEFAULT, 1)).join())
                .containsExactly(13);
        supervisor.start(List.of(3)).join();
        assertThat(supervisor.list().stream().filter(i -> i.id() == 3).findFirst().orElseThrow().state())
                .isEqualTo(ProcessState.ONLINE);
    }

    @Test
    void restoreRefusesAnIdInUse() throws Exception {
        supervisor.add(bash("first", "sleep 300\n", RestartPolicy.DEFAULT, StopPolicy.DEFAULT, 1)).join();
        AppSpec spec = bash("second", "sleep 300\n", RestartPolicy.DEFAULT, StopPolicy.DEFAULT, 1);

        assertThat(supervisor.restore(spec, List.of(new RestoredInstance(0, 0, ProcessState.ONLINE, "back"))))
                .failsWithin(Duration.ofSeconds(5)).withThrowableThat().havingCause()
                .isInstanceOf(IllegalArgumentException.class).withMessageContaining("id 0 is taken");
        assertThat(supervisor.apps()).extracting(AppSpec::name).containsExactly("first");
    }
}
