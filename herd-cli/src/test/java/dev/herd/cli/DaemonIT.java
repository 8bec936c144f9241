package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.daemon.Protocol;
import dev.herd.daemon.Response;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.ProcessTree;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.Supervisor;

/** The real herd jar and daemon, each test in its own HERD_HOME. */
class DaemonIT {

    @TempDir
    Path tmp;

    private Herd herd;

    @BeforeEach
    void setUp() throws Exception {
        herd = new Herd(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        herd.close();
    }

    private static final String SLEEPER = "echo \"up $HERD_APP_INSTANCE\"; exec sleep 300\n";

    @Test
    void anInstanceOverItsMemoryLimitIsRestartedGracefullyAndDescribeSaysWhy() throws Exception {
        // Holds 16 MB more every 100 ms (up to 640 MB) in the process that takes the file 'grow'.
        herd.script("hog.js", """
                const fs = require('fs');
                let mine = false;
                try { fs.unlinkSync('grow'); mine = true; } catch (e) {}
                const hog = [];
                setInterval(() => { if (mine && hog.length < 40) hog.push(Buffer.alloc(16 << 20, 1)); }, 100);
                process.on('SIGTERM', () => { console.log('graceful stop'); process.exit(0); });
                """);
        herd.script("grow", "");

        herd.run("start", "hog.js", "--max-memory-restart", "120M").ok();

        await().atMost(Duration.ofSeconds(60)).until(() -> herd.list().get(0).path("restarts").asInt() == 1);
        String describe = herd.run("describe", "hog").ok().out();
        assertThat(describe).containsPattern("restarted: memory \\d+\\.\\dmb over max_memory_restart 120\\.0mb")
                .containsPattern("memory limit +120\\.0mb").containsPattern("code 0 +after \\d+s \\(asked\\)");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readString(
                herd.home.resolve("logs/hog-out.log"))).contains("graceful stop"));
        herd.script("other.js", "");
        Herd.Result wrong = herd.run("start", "other.js", "--max-memory-restart", "lots");
        assertThat(wrong.code()).isEqualTo(1);
        assertThat(wrong.err()).contains("start --max-memory-restart: expected bytes or a size such as '512K', '10M' or '1G',"
                + " got 'lots'").doesNotContain("Exception");
        assertThat(herd.list().get(0).path("restarts").asInt()).as("its successor does not grow").isEqualTo(1);
    }

    @Test
    void startListStopDelete() throws Exception {
        herd.script("app.sh", SLEEPER);
        Herd.Result started = herd.run("start", "app.sh", "-i", "2", "--name", "sleepy").ok();
        assertThat(started.out()).contains("sleepy").contains("online");

        JsonNode list = herd.list();
        assertThat(list).hasSize(2);
        for (JsonNode i : list) {
            assertThat(i.path("status").asText()).isEqualTo("online");
            assertThat(i.path("pid").asLong()).isPositive();
            assertThat(i.path("mode").asText()).isEqualTo("fork");
        }
        assertThat(Files.getPosixFilePermissions(herd.home)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(herd.home.resolve("herd.sock")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));

        assertThat(herd.run("start", "sleepy").ok().out()).as("as PM2's start of a running app")
                .contains("herd: restarted sleepy");

        herd.run("stop", "sleepy").ok();
        assertThat(herd.list()).allSatisfy(i -> assertThat(i.path("status").asText()).isEqualTo("stopped"));
        herd.script("other.sh", SLEEPER);
        herd.run("start", "other.sh").ok();
        herd.run("stop", "other").ok();
        assertThat(herd.run("start", "sleepy", "other").ok().out()).contains("herd: started sleepy, other");
        assertThat(herd.list()).allSatisfy(i -> assertThat(i.path("status").asText()).isEqualTo("online"));
        herd.run("delete", "other").ok();
        herd.run("stop", "sleepy").ok();
        herd.run("delete", "sleepy").ok();
        assertThat(herd.list()).isEmpty();
    }

    @Test
    void aGrandchildThatLeftTheSessionAndTheTreeIsStoppedWithItsInstance() throws Exception {
        herd.script("forks.sh", "( setsid sh -c 'echo $$ > grandchild.pid; exec sleep 1001' & )\nexec sleep 300\n");
        herd.run("start", "forks.sh", "--name", "forks").ok();
        Path pidFile = herd.work.resolve("grandchild.pid");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        ProcessTree.Stat grandchild = ProcessTree.stat(Long.parseLong(Files.readString(pidFile).trim())).orElseThrow();
        long instance = herd.list().get(0).path("pid").asLong();
        assertThat(grandchild.pgid()).as("a session of its own").isNotEqualTo(ProcessTree.stat(instance).orElseThrow().pgid());
        assertThat(ProcessTree.treeOf(instance)).as("its parent exited: outside the tree")
                .extracting(ProcessTree.Stat::pid).doesNotContain(grandchild.pid());

        herd.run("delete", "forks").ok();

        assertThat(ProcessTree.isAlive(grandchild)).as("a stop waits until every process of the instance is gone").isFalse();
    }

    /** A grandchild no mark finds: out of the tree and the session, and its environment cleared. */
    private static final String HIDES = "( env -u " + Supervisor.TRACE_VARIABLE
            + " setsid sh -c 'echo $$ > hidden.pid; exec sleep 1003' & )\nexec sleep 300\n";

    /**
     * Starts the app whose grandchild hides, and gives the folder of the daemon's cgroups, as
     * daemon.trace records it; the test is skipped where there are none.
     */
    private Path startHiding() throws Exception {
        herd.script("hides.sh", HIDES);
        herd.run("start", "hides.sh", "--name", "hides").ok();
        List<String> trace = Files.readAllLines(herd.home.resolve("daemon.trace"));
        Assumptions.assumeTrue(trace.size() > 1, "this machine has no cgroup v2 the daemon may write");
        return Path.of(trace.get(1));
    }

    private ProcessTree.Stat hidden() throws IOException {
        Path pidFile = herd.work.resolve("hidden.pid");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        ProcessTree.Stat p = ProcessTree.stat(Long.parseLong(Files.readString(pidFile).trim())).orElseThrow();
        assertThat(Files.readString(Path.of("/proc", Long.toString(p.pid()), "environ"))).as("no mark")
                .doesNotContain(Supervisor.TRACE_VARIABLE);
        return p;
    }

    @Test
    void aGrandchildThatLeftTheSessionAndClearedItsEnvironmentIsStoppedByItsInstancesCgroup() throws Exception {
        Path folder = startHiding();
        ProcessTree.Stat grandchild = hidden();
        Path run = folder.resolve("hides-0.1");
        assertThat(Files.readString(Path.of("/proc", Long.toString(grandchild.pid()), "cgroup")))
                .as("where its instance was put").contains(run.getFileName().toString());

        herd.run("delete", "hides").ok();

        assertThat(ProcessTree.isAlive(grandchild)).as("a stop waits until every process of the instance is gone").isFalse();
        assertThat(run).as("the run's cgroup is removed with it").doesNotExist();
    }

    @Test
    void whatADeadDaemonLeftInItsCgroupsIsStoppedByTheNextOne() throws Exception {
        Path folder = startHiding();
        ProcessTree.Stat grandchild = hidden();
        herd.killDaemonAndGuardian();
        Files.delete(herd.home.resolve("running.json"));

        assertThat(herd.list()).as("nothing to bring back").isEmpty();

        await().atMost(Duration.ofSeconds(10)).until(() -> !ProcessTree.isAlive(grandchild));
        assertThat(folder).as("the dead daemon's cgroups are removed").doesNotExist();
    }

    @Test
    void unknownAppNameListsTheKnownOnes() throws Exception {
        herd.script("app.sh", SLEEPER);
        herd.run("start", "app.sh", "--name", "alpha").ok();
        Herd.Result r = herd.run("stop", "beta");
        assertThat(r.code()).isNotZero();
        assertThat(r.err().strip()).isEqualTo("herd: no app or id 'beta' (known apps: alpha; ids: 0; or all)");
    }

    @Test
    void missingScriptIsOneLineAndNothingStarts() throws Exception {
        Herd.Result r = herd.run("start", "nope.js");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).startsWith("herd: ").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(herd.list()).isEmpty();
    }

    @Test
    void saveKillResurrectBringsTheListBack() throws Exception {
        herd.script("a.sh", SLEEPER);
        herd.script("b.sh", SLEEPER);
        herd.run("start", "a.sh").ok();
        herd.run("start", "b.sh", "-i", "2").ok();
        herd.script("c.sh", SLEEPER);
        herd.run("start", "c.sh").ok();
        herd.run("stop", "c").ok();
        herd.run("save").ok();
        long oldDaemon = herd.daemonPid();
        herd.run("kill").ok();
        assertThat(ProcessHandle.of(oldDaemon).map(ProcessHandle::isAlive).orElse(false)).isFalse();

        herd.run("resurrect").ok();
        JsonNode list = herd.list();
        assertThat(list).extracting(i -> i.path("name").asText() + " " + i.path("status").asText())
                .containsExactly("a online", "b online", "b online", "c stopped");
        // resurrect does not overwrite the dump
        assertThat(Files.readString(herd.home.resolve("dump.json"))).contains("\"a\"").contains("\"b\"");
    }

    @Test
    void aSecondDaemonIsRefused() throws Exception {
        herd.run("ping").ok();
        Herd.Result second = herd.run("daemon");
        assertThat(second.code()).isNotZero();
        assertThat(second.err()).contains("a herd daemon is already running for " + herd.home)
                .contains("pid " + herd.daemonPid());
    }

    @Test
    void aStaleSocketOfACrashedDaemonIsReplaced() throws Exception {
        herd.run("ping").ok();
        long pid = herd.daemonPid();
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        h.destroyForcibly();
        h.onExit().join();
        assertThat(herd.home.resolve("herd.sock")).exists();

        herd.run("ping").ok();
        assertThat(herd.daemonPid()).isNotEqualTo(pid);
    }

    @Test
    void appsLeftRunningByACrashedDaemonAreStoppedAndStartedAgainUnderTheNewOne() throws Exception {
        herd.script("app.sh", SLEEPER);
        herd.run("start", "app.sh", "--name", "survivor").ok();
        long oldPid = herd.list().get(0).path("pid").asLong();
        herd.killDaemonAndGuardian();
        assertThat(ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false))
                .as("the app outlived its daemon").isTrue();

        JsonNode list = herd.list();

        assertThat(list).hasSize(1);
        assertThat(list.get(0).path("name").asText()).isEqualTo("survivor");
        assertThat(list.get(0).path("status").asText()).isEqualTo("online");
        assertThat(list.get(0).path("pid").asLong()).isNotEqualTo(oldPid);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                ProcessTree.stat(oldPid).filter(st -> !st.isZombie()).isEmpty());
    }

    @Test
    void aHundredAndFiftyInstancesCostTheDaemonNoThreadEach() throws Exception {
        herd.script("talk.sh", "echo \"up $HERD_APP_INSTANCE\"; echo \"err $HERD_APP_INSTANCE\" >&2; exec sleep 300\n");
        herd.run("list").ok();
        long daemon = herd.daemonPid();
        long idle = threads(daemon);

        herd.run("start", "talk.sh", "-i", "150", "--name", "many").ok();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> herd.list().size() == 150
                && Files.readString(herd.home.resolve("logs/many-error-149.log")).contains("err 149"));

        // Pipes are polled on one thread and log files written by a small shared pool: a few
        // threads more than idle, where each instance cost four (two pumps, two writers).
        assertThat(threads(daemon) - idle).as("threads added by 150 instances").isLessThanOrEqualTo(10);
    }

    private static long threads(long pid) throws java.io.IOException {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.count();
        }
    }

    @Test
    void whatADeadDaemonLeftRunningIsStoppedByTheNextOneEvenWhenItsRunningFileNeverSaidSo() throws Exception {
        herd.script("forks.sh", "( sleep 1002 & )\necho \"up $HERD_APP_INSTANCE\"; exec sleep 300\n");
        herd.run("start", "forks.sh", "-i", "3", "--name", "stranded").ok();
        String mark = Supervisor.TRACE_VARIABLE + "=" + Files.readAllLines(herd.home.resolve("daemon.trace")).get(0) + "-";
        // Each instance is a sleep 300 now, and left a sleep 1002 outside its tree.
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessTree.withEnvironmentPrefix(mark).size() == 6);
        List<ProcessTree.Stat> left = ProcessTree.withEnvironmentPrefix(mark);
        herd.killDaemonAndGuardian();
        // As a daemon out of memory leaves it: nothing recorded of what it ran.
        Files.delete(herd.home.resolve("running.json"));

        assertThat(herd.list()).as("nothing to bring back").isEmpty();

        for (ProcessTree.Stat p : left) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !ProcessTree.isAlive(p));
        }
        assertThat(Files.readString(herd.home.resolve("daemon.log")))
                .contains("the previous daemon died and left " + left.size() + " process(es) running: stopping them");
    }

    @Test
    void aDaemonKilledBySigkillIsStartedAgainByItsGuardianWhichBringsItsAppsBackBeforeAnyCommand() throws Exception {
        herd.script("app.sh", SLEEPER);
        herd.run("start", "app.sh", "-i", "2", "--name", "web").ok();
        List<Long> oldPids = new ArrayList<>();
        herd.list().forEach(i -> oldPids.add(i.path("pid").asLong()));
        long oldDaemon = herd.daemonPid();
        ProcessHandle guardian = herd.guardian().orElseThrow();
        assertThat(ProcessHandle.of(oldDaemon).flatMap(ProcessHandle::parent)).as("the daemon's parent").contains(guardian);

        ProcessHandle daemon = ProcessHandle.of(oldDaemon).orElseThrow();
        daemon.destroyForcibly();
        daemon.onExit().join();

        // No herd command meanwhile: the guardian starts a daemon, which stops the dead one's
        // instances and starts them again.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> herd.daemonPid() != oldDaemon
                && Files.exists(herd.home.resolve("running.json"))
                && oldPids.stream().noneMatch(pid -> ProcessTree.stat(pid).filter(st -> !st.isZombie()).isPresent())
                && Files.readString(herd.home.resolve("daemon.log")).contains("restarted after the daemon crashed"));
        long newDaemon = herd.daemonPid();
        assertThat(ProcessHandle.of(newDaemon).flatMap(ProcessHandle::parent)).as("the same guardian").contains(guardian);
        assertThat(Files.readString(herd.home.resolve("daemon.log")))
                .contains("DaemonGuardian - the daemon died (killed by SIGKILL): starting it again in 1 s")
                .contains("the previous daemon died and left 2 process(es) running: stopping them")
                .doesNotContain("Killed\n");
        JsonNode list = herd.list();
        assertThat(herd.daemonPid()).as("the command found the guardian's daemon").isEqualTo(newDaemon);
        assertThat(list).extracting(i -> i.path("name").asText() + " " + i.path("status").asText())
                .containsExactly("web online", "web online");
        assertThat(list).allSatisfy(i -> assertThat(i.path("pid").asLong()).isNotIn(oldPids));

        herd.run("kill").ok();
        assertThat(guardian.onExit()).as("a clean stop ends the guardian too").succeedsWithin(Duration.ofSeconds(10));
    }

    @Test
    void killWhileTheGuardianOfADeadDaemonWaitsEndsItAndStopsWhatTheDeadDaemonLeft() throws Exception {
        herd.script("app.sh", SLEEPER);
        herd.run("start", "app.sh", "--name", "web").ok();
        long app = herd.list().get(0).path("pid").asLong();
        ProcessHandle guardian = herd.guardian().orElseThrow();
        // Frozen, the guardian cannot start the daemon again (nor reap it) however slow this
        // machine is: the kill finds it as one about to.
        Posix.kill(guardian.pid(), Signal.SIGSTOP);
        ProcessHandle daemon = ProcessHandle.of(herd.daemonPid()).orElseThrow();
        daemon.destroyForcibly();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessTree.stat(daemon.pid()).map(ProcessTree.Stat::isZombie)
                .orElse(true));

        Herd.Result r = herd.run("kill").ok();

        assertThat(r.out()).contains("herd: no daemon is running; the one that died left 1 process(es) running: stopped them");
        assertThat(guardian.onExit()).succeedsWithin(Duration.ofSeconds(10));
        assertThat(ProcessTree.stat(app).filter(st -> !st.isZombie())).as("the dead daemon's instance").isEmpty();
        assertThat(herd.home.resolve("running.json")).as("nothing to bring back").doesNotExist();
        assertThat(herd.list()).as("what the next daemon runs").isEmpty();
    }

    @Test
    void aCrashedDaemonsAppsComeBackWithTheirIdsAndStates() throws Exception {
        herd.script("app.sh", SLEEPER);
        herd.script("crash.sh", "exit 1\n");
        Files.writeString(herd.work.resolve("crashy.yml"),
                "apps:\n  - name: crashy\n    script: crash.sh\n    max_restarts: 2\n    min_uptime: 5000\n");
        herd.run("start", "app.sh", "-i", "2", "--name", "web").ok();
        herd.run("start", "app.sh", "--name", "gone").ok();
        herd.run("delete", "gone").ok();
        herd.run("start", "app.sh", "--name", "idle").ok();
        herd.run("stop", "idle").ok();
        herd.run("start", "crashy.yml").ok();
        await().atMost(Duration.ofSeconds(20)).until(() -> herd.list().get(3).path("status").asText().equals("errored"));
        JsonNode before = herd.list();
        assertThat(before).extracting(i -> i.path("id").asInt() + " " + i.path("name").asText() + "[" + i.path("index").asInt()
                + "] " + i.path("status").asText())
                .containsExactly("0 web[0] online", "1 web[1] online", "3 idle[0] stopped", "4 crashy[0] errored");
        List<Long> oldPids = List.of(before.get(0).path("pid").asLong(), before.get(1).path("pid").asLong());

        ProcessHandle daemon = ProcessHandle.of(herd.daemonPid()).orElseThrow();
        daemon.destroyForcibly();
        daemon.onExit().join();
        JsonNode after = herd.list();

        assertThat(after).extracting(i -> i.path("id").asInt() + " " + i.path("name").asText() + "[" + i.path("index").asInt()
                + "] " + i.path("status").asText())
                .containsExactly("0 web[0] online", "1 web[1] online", "3 idle[0] stopped", "4 crashy[0] errored");
        assertThat(after.get(0).path("pid").asLong()).isPositive().isNotIn(oldPids);
        assertThat(after.get(1).path("pid").asLong()).isPositive().isNotIn(oldPids);
        assertThat(after.get(0).path("lastReason").asText()).isEqualTo("restarted after the daemon crashed");
        assertThat(after.get(2).path("lastReason").asText()).startsWith("before the daemon crashed: ");
        assertThat(after.get(3).path("lastReason").asText()).startsWith("before the daemon crashed: ").contains("max_restarts is 2");
        for (long pid : oldPids) {
            await().atMost(Duration.ofSeconds(10)).until(() -> ProcessTree.stat(pid).filter(st -> !st.isZombie()).isEmpty());
        }
        assertThat(Files.readString(herd.home.resolve("daemon.log"))).contains("the previous daemon ended without stopping its apps");
        assertThat(herd.run("list").ok().out())
                .contains("herd: brought back with their ids and states after the daemon crashed: 0, 1, 3, 4");

        herd.run("start", "app.sh", "--name", "late").ok();
        assertThat(herd.list().get(4).path("id").asInt()).as("new ids above the restored ones").isEqualTo(5);
        herd.run("start", "idle").ok();
        assertThat(herd.list().get(2).path("status").asText()).isEqualTo("online");
    }

    @Test
    void saveWithNoAppsKeepsTheSavedListUnlessForced() throws Exception {
        herd.script("a.sh", SLEEPER);
        herd.run("start", "a.sh").ok();
        herd.run("save").ok();
        String saved = Files.readString(herd.home.resolve("dump.json"));
        herd.run("delete", "all").ok();

        Herd.Result refused = herd.run("save");

        assertThat(refused.code()).isNotZero();
        assertThat(refused.err().strip()).isEqualTo("herd: nothing to save: herd runs no apps, and " + herd.home.resolve("dump.json")
                + " keeps the 1 app(s) saved before (herd save --force writes an empty list)");
        assertThat(Files.readString(herd.home.resolve("dump.json"))).isEqualTo(saved);
        herd.run("resurrect").ok();
        assertThat(herd.list()).extracting(i -> i.path("name").asText()).containsExactly("a");

        herd.run("delete", "all").ok();
        assertThat(herd.run("save", "--force").ok().out()).contains("saved 0 app(s)");
        assertThat(Files.readString(herd.home.resolve("dump.json"))).doesNotContain("\"a\"");
    }

    @Test
    void instanceCountsAboveTheLimitAreRefusedAndNothingStarts() throws Exception {
        herd.script("a.sh", SLEEPER);
        Herd.Result huge = herd.run("start", "a.sh", "-i", "99999");
        assertThat(huge.code()).isNotZero();
        assertThat(huge.err().strip()).isEqualTo("herd: app 'a': 99999 instances would be above the limit of 200 instances"
                + " in total across apps (set HERD_MAX_INSTANCES to raise it, e.g. HERD_MAX_INSTANCES=99999 herd update)");
        assertThat(herd.list()).isEmpty();
        herd.run("kill").ok();

        Map<String, String> three = Map.of("HERD_MAX_INSTANCES", "3");
        herd.runAs(List.of(), three, "start", "a.sh", "-i", "2").ok();
        Files.writeString(herd.work.resolve("eco.yml"), "apps:\n  - name: b\n    script: a.sh\n"
                + "  - name: c\n    script: a.sh\n");
        Herd.Result file = herd.run("start", "eco.yml");
        assertThat(file.code()).isNotZero();
        assertThat(file.err().strip()).isEqualTo("herd: app 'c': 1 instance on top of the 3 herd holds would be 4,"
                + " above the limit of 3 instances in total across apps (set HERD_MAX_INSTANCES to raise it,"
                + " e.g. HERD_MAX_INSTANCES=4 herd update)");
        assertThat(herd.list()).extracting(i -> i.path("name").asText()).containsExactly("a", "a");

        herd.runAs(List.of(), Map.of("HERD_MAX_INSTANCES", "4"), "update").ok();
        herd.run("start", "eco.yml").ok();
        assertThat(herd.list()).extracting(i -> i.path("name").asText()).containsExactly("a", "a", "b", "c");
    }

    @Test
    void homeWithWrongPermissionsIsRefused() throws Exception {
        Files.createDirectory(herd.home, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Herd.Result r = herd.run("list");
        assertThat(r.code()).isNotZero();
        assertThat(r.err().strip()).isEqualTo("herd: HERD_HOME " + herd.home
                + " has mode rwxr-xr-x; it must be rwx------ so no one else can reach the daemon (chmod 700 " + herd.home + ")");
    }

    @Test
    void garbageAndOversizedRequestsGetAnErrorAndTheDaemonSurvives() throws Exception {
        herd.run("ping").ok();
        Path socket = herd.home.resolve("herd.sock");

        Response garbage = exchange(socket, frame("this is not json".getBytes(StandardCharsets.UTF_8)));
        assertThat(garbage.ok()).isFalse();
        assertThat(garbage.error()).startsWith("bad request: ");

        Response unknown = exchange(socket, frame("{\"v\":1,\"client\":\"x\",\"request\":{\"cmd\":\"rm-rf\"}}".getBytes(StandardCharsets.UTF_8)));
        assertThat(unknown.ok()).isFalse();
        assertThat(unknown.error()).startsWith("bad request: ").contains("rm-rf");

        byte[] huge = new byte[4];
        huge[0] = 0x7f;
        Response oversized = exchange(socket, huge);
        assertThat(oversized.ok()).isFalse();
        assertThat(oversized.error()).contains("bad frame length");

        Response oldClient = exchange(socket, frame("{\"v\":99,\"client\":\"9.9\",\"request\":{\"cmd\":\"ping\"}}".getBytes(StandardCharsets.UTF_8)));
        assertThat(oldClient.ok()).isFalse();
        assertThat(oldClient.error()).contains("herd update");

        herd.run("ping").ok();
    }

    @Test
    void aClientThatSendsNothingOrAByteASecondHoldsUpNoOtherAndIsCutOffAtTheDeadline() throws Exception {
        herd.run("ping").ok();
        Path socket = herd.home.resolve("herd.sock");
        byte[] ping = pingFrame();
        try (SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX);
             SocketChannel slow = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            silent.connect(UnixDomainSocketAddress.of(socket));
            slow.connect(UnixDomainSocketAddress.of(socket));
            long start = System.nanoTime();
            // A byte a second, for longer than the deadline: never a whole request in time.
            java.util.concurrent.ScheduledExecutorService dripping = java.util.concurrent.Executors
                    .newSingleThreadScheduledExecutor();
            int[] sent = {0};
            dripping.scheduleAtFixedRate(() -> {
                try {
                    if (sent[0] < ping.length) {
                        slow.write(java.nio.ByteBuffer.wrap(ping, sent[0]++, 1));
                    }
                } catch (IOException closedByTheDaemon) {
                    dripping.shutdown();
                }
            }, 0, 1, java.util.concurrent.TimeUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
                herd.run("ping").ok();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("served while those two wait")
                    .isLessThan(Duration.ofSeconds(9));
            assertThat(readWithin(silent, Duration.ofSeconds(20))).as("the daemon closed the silent one").isEqualTo(-1);
            assertThat(readWithin(slow, Duration.ofSeconds(5))).as("and the slow one").isEqualTo(-1);
            dripping.shutdownNow();
        }
        herd.run("ping").ok();
    }

    @Test
    void twoHundredClientsAtOnceAreAllAnswered() throws Exception {
        herd.run("ping").ok();
        Path socket = herd.home.resolve("herd.sock");
        byte[] ping = pingFrame();
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(200);
        try {
            java.util.concurrent.CountDownLatch together = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<Response>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                answers.add(clients.submit(() -> {
                    together.await();
                    return exchange(socket, ping);
                }));
            }
            together.countDown();
            for (java.util.concurrent.Future<Response> a : answers) {
                assertThat(a.get(60, java.util.concurrent.TimeUnit.SECONDS).ok()).isTrue();
            }
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void anotherUserIsRefusedByThePeerCheck() throws Exception {
        herd.run("ping").ok();
        // Open the way for this test only, so that the peer check itself is what refuses.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(herd.home, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(herd.home.resolve("herd.sock"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Path socket = herd.home.resolve("herd.sock");
        // A raw client as nobody (the CLI would rightly stop at the directory's owner first), run
        // through Java's source launcher: it sends a well-formed ping and prints the answer.
        Path client = tmp.resolve("RawPing.java");
        Files.writeString(client, RAW_PING);
        Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rw-r--r--"));
        Process p = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), client.toString(), socket.toString())
                .redirectErrorStream(true).start();
        String answer = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(answer).isZero();
        assertThat(answer).contains("\"ok\":false").contains("refused: this herd daemon belongs to root, and you are nobody");
        Files.setPosixFilePermissions(herd.home, PosixFilePermissions.fromString("rwx------"));
        herd.run("ping").ok();
    }

    @Test
    void logsShowsPastLines() throws Exception {
        herd.script("talk.sh", "for i in 1 2 3; do echo line-$i; done; echo oops >&2; exec sleep 300\n");
        herd.run("start", "talk.sh").ok();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Herd.Result r = herd.run("logs", "talk", "--nostream", "--lines", "2").ok();
            assertThat(r.out()).contains("talk[0]     | line-2").contains("talk[0]     | line-3")
                    .doesNotContain("line-1").contains("talk[0] err | oops");
        });
    }

    @Test
    void logsFollowNewLinesAndStateChanges() throws Exception {
        herd.script("tick.sh", "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done\n");
        herd.run("start", "tick.sh").ok();
        java.util.List<String> argv = new java.util.ArrayList<>(Herd.javaCommand());
        argv.addAll(java.util.List.of("logs", "tick", "--lines", "0"));
        Path out = tmp.resolve("follow.out");
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectErrorStream(true);
        pb.environment().put("HERD_HOME", herd.home.toString());
        Process follow = pb.start();
        try {
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(Files.readString(out)).containsPattern("tick\\[0\\]     \\| tick-\\d+"));
            herd.run("restart", "tick").ok();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(Files.readString(out)).contains("herd  | tick[0]").contains("online -> stopping")
                            .contains("starting -> online"));
        } finally {
            follow.destroy();
            follow.waitFor();
        }
    }

    @Test
    void logsSinceAMomentAndAsJsonGiveEachPastLineItsTime() throws Exception {
        herd.script("two.sh", "echo 'first \"quoted\"'; sleep 1.1; echo oops >&2; sleep 1.1; echo second;"
                + " exec sleep 300\n");
        herd.run("start", "two.sh").ok();
        Path log = herd.home.resolve("logs/two-out.log");
        await().atMost(Duration.ofSeconds(15)).until(() -> Files.exists(log) && Files.readString(log).contains("second"));

        List<JsonNode> lines = new ArrayList<>();
        for (String l : herd.run("logs", "two", "--nostream", "--json", "--out").ok().out().split("\n")) {
            lines.add(Protocol.json().readTree(l));
        }

        assertThat(lines).extracting(n -> n.path("text").asText()).containsExactly("first \"quoted\"", "second");
        assertThat(lines).allSatisfy(n -> {
            assertThat(n.path("app").asText()).isEqualTo("two");
            assertThat(n.path("instance").asInt()).isZero();
            assertThat(n.path("stream").asText()).isEqualTo("out");
        });
        java.time.Instant first = java.time.Instant.parse(lines.get(0).path("time").asText());
        java.time.Instant second = java.time.Instant.parse(lines.get(1).path("time").asText());
        assertThat(Duration.between(first, second)).isBetween(Duration.ofMillis(1000), Duration.ofSeconds(10));

        assertThat(herd.run("logs", "two", "--nostream", "--out", "--since", second.toString()).ok().out())
                .doesNotContain("first").contains("two[0]     | second");
        assertThat(herd.run("logs", "two", "--nostream", "--out", "--since", "1h").ok().out())
                .contains("first").contains("second");
        assertThat(herd.run("logs", "two", "--nostream", "--out", "--since", "1h", "--lines", "1").ok().out())
                .doesNotContain("first").contains("second");
        assertThat(herd.run("logs", "two", "--nostream").ok().out()).as("past lines of both files in the order written")
                .containsSubsequence("first", "two[0] err | oops", "second");
        Herd.Result negative = herd.run("logs", "two", "--lines", "-1");
        assertThat(negative.code()).isEqualTo(1);
        assertThat(negative.err().strip()).isEqualTo("herd: logs --lines: expected 0 or more, got -1");
        Herd.Result badSince = herd.run("logs", "two", "--since", "yesterday");
        assertThat(badSince.code()).isEqualTo(1);
        assertThat(badSince.err()).startsWith("herd: logs --since: expected a time ago such as '30s'");
    }

    @Test
    void logsRotateAtMaxSize() throws Exception {
        Path eco = herd.work.resolve("eco.yml");
        herd.script("chatty.sh", "for i in $(seq 1 2000); do echo \"line $i of chatter to fill the log\"; done; exec sleep 300\n");
        Files.writeString(eco, "apps:\n  - name: chatty\n    script: chatty.sh\n    max_size: 10K\n    retain: 2\n");
        herd.run("start", "eco.yml").ok();
        Path log = herd.home.resolve("logs/chatty-out.log");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(Path.of(log + ".1")).exists();
            assertThat(Path.of(log + ".2")).exists();
            assertThat(Path.of(log + ".3")).doesNotExist();
            assertThat(Files.readString(log)).contains("line 2000 of chatter");
        });
        assertThat(Files.size(log)).isLessThanOrEqualTo(10 * 1024);
    }

    private static final String RAW_PING = """
            import java.io.*;
            import java.net.*;
            import java.nio.channels.*;
            public class RawPing {
                public static void main(String[] a) throws Exception {
                    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                        ch.connect(UnixDomainSocketAddress.of(a[0]));
                        byte[] body = "{\\"v\\":1,\\"client\\":\\"x\\",\\"request\\":{\\"cmd\\":\\"ping\\"}}".getBytes();
                        DataOutputStream out = new DataOutputStream(Channels.newOutputStream(ch));
                        try {
                            out.writeInt(body.length);
                            out.write(body);
                        } catch (IOException e) {
                            // A daemon that refuses us answers and closes at once, maybe before we wrote.
                        }
                        DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
                        byte[] answer = new byte[in.readInt()];
                        in.readFully(answer);
                        System.out.println(new String(answer));
                    }
                }
            }
            """;

    /** A well-formed ping request in the control socket's framing. */
    private static byte[] pingFrame() throws Exception {
        return frame(("{\"v\":" + Protocol.VERSION + ",\"client\":\"x\",\"request\":{\"cmd\":\"ping\"}}")
                .getBytes(StandardCharsets.UTF_8));
    }

    /** The next byte the daemon sends on {@code ch}, -1 at its end; fails if neither comes in time. */
    private static int readWithin(SocketChannel ch, Duration limit) throws Exception {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return Channels.newInputStream(ch).read();
            } catch (IOException e) {
                return -1;
            }
        }).get(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private static byte[] frame(byte[] body) throws Exception {
        var bytes = new java.io.ByteArrayOutputStream();
        var out = new DataOutputStream(bytes);
        out.writeInt(body.length);
        out.write(body);
        return bytes.toByteArray();
    }

    private static Response exchange(Path socket, byte[] raw) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            Channels.newOutputStream(ch).write(raw);
            InputStream in = Channels.newInputStream(ch);
            return Protocol.json().readValue(Protocol.read(in), Response.class);
        }
    }
}
