package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.ProcessTree;

/**
 * Faults of what herd's daemon needs from the machine: a full disk under a log file, a log
 * folder deleted under running apps, too few file descriptors, and many instances at once. Real
 * daemon, real children.
 */
class ResourceFaultsIT {

    @TempDir
    Path tmp;

    private Herd herd;

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        herd.close();
    }

    /** Counts, writes a line per count and the count into {@code heartbeat} (beside it, not a log). */
    private static final String COUNTER = """
            i=0
            pad=$(printf '%0500d' 0)
            while true; do
              i=$((i+1))
              echo "line $i: $pad"
              echo $i > heartbeat.next && mv heartbeat.next heartbeat
              sleep 0.005
            done
            """;

    private long heartbeat() throws IOException {
        Path f = herd.work.resolve("heartbeat");
        if (!Files.exists(f)) {
            return 0;
        }
        String s = Files.readString(f).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s);
    }

    private JsonNode only(String app) throws Exception {
        for (JsonNode i : herd.list()) {
            if (i.path("name").asText().equals(app)) {
                return i;
            }
        }
        throw new AssertionError("no " + app);
    }

    private static long threads(long pid) throws IOException {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.count();
        }
    }

    private static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS for " + pid);
    }

    private static long openDescriptors(long pid) throws IOException {
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        }
    }

    @Test
    void aLogFileOnAFullDiskNeitherBlocksTheAppNorLosesLinesSilently() throws Exception {
        // /dev/full fails every write with ENOSPC, as a full disk does, through the same write(2).
        Path full = Files.createDirectories(herd.work.resolve("full"));
        Files.createSymbolicLink(full.resolve("out.log"), Path.of("/dev/full"));
        herd.script("counter.sh", COUNTER);
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: counter
                    script: counter.sh
                    out_file: full/out.log
                    max_size: 0
                """).toString()).ok();

        await().atMost(Duration.ofSeconds(20)).until(() -> heartbeat() > 200);
        // 500 KB more, well past what the pipe holds (64 KiB): were the app blocked, its count would stop.
        long before = heartbeat();
        await().atMost(Duration.ofSeconds(60)).until(() -> heartbeat() > before + 1000);

        await().atMost(Duration.ofSeconds(10)).until(() -> only("counter").path("droppedLogLines").asLong() > 500);
        JsonNode counter = only("counter");
        assertThat(counter.path("status").asText()).isEqualTo("online");
        assertThat(counter.path("restarts").asInt()).isZero();
        String described = herd.run("describe", "counter").ok().out();
        System.out.println("full disk: " + described.lines().filter(l -> l.contains("dropped")).toList());
        assertThat(described).containsPattern("dropped log lines +\\d+");
        String daemonLog = Files.readString(herd.home.resolve("daemon.log"));
        assertThat(daemonLog).contains("No space left on device");
        assertThat(daemonLog.lines().filter(l -> l.contains("the log sink failed")).count())
                .as("said once when it starts, not once per line").isEqualTo(1);
    }

    @Test
    void aLogFolderDeletedWhileAppsWriteIsMadeAgainAndLoggingGoesOnInANewFile() throws Exception {
        herd.script("counter.sh", COUNTER);
        herd.run("start", "counter.sh").ok();
        Path logs = herd.home.resolve("logs");
        Path out = logs.resolve("counter-out.log");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(out) && Files.readString(out).contains("line 100:"));
        Object inode = Files.getAttribute(out, "unix:ino");

        try (var all = Files.walk(logs)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        long deletedAt = heartbeat();
        assertThat(logs).doesNotExist();

        await().atMost(Duration.ofSeconds(15)).until(() -> Files.exists(out) && Files.readString(out).contains("line "));
        assertThat(Files.getAttribute(out, "unix:ino")).as("a new file").isNotEqualTo(inode);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            List<Long> counts = new ArrayList<>();
            for (String l : Files.readAllLines(out)) {
                if (l.startsWith("line ")) {
                    counts.add(Long.parseLong(l.substring(5, l.indexOf(':'))));
                }
            }
            assertThat(counts).as("new lines, written after the deletion").isNotEmpty()
                    .allMatch(n -> n > deletedAt - 1000);
            assertThat(counts.get(counts.size() - 1)).isGreaterThan(deletedAt + 100);
        });
        assertThat(herd.run("logs", "counter", "--nostream", "--lines", "5").ok().out()).containsPattern("counter\\[0\\] +\\| line \\d+");
        assertThat(only("counter").path("restarts").asInt()).as("nothing blocked nor restarted").isZero();
    }

    @Test
    void tooFewDescriptorsForMoreInstancesIsAOneLineErrorAndTheDaemonAndItsAppsLiveOn() throws Exception {
        // The daemon inherits the limit of the command that starts it; the JVM raises its soft
        // limit to the hard one, so both are set.
        List<String> low = List.of("prlimit", "--nofile=160:160");
        herd.script("idle.sh", "exec sleep 300\n");
        herd.runAs(low, Map.of(), "start", "idle.sh", "--name", "first", "-i", "2").ok();
        long daemon = herd.daemonPid();
        assertThat(Files.readString(Path.of("/proc/" + daemon + "/limits"))).containsPattern("Max open files +160 +160");
        await().atMost(Duration.ofSeconds(20)).until(() -> herd.list().size() == 2
                && herd.list().findValues("status").stream().allMatch(s -> s.asText().equals("online")));
        List<Long> firstPids = herd.list().findValues("pid").stream().map(JsonNode::asLong).toList();
        System.out.println("descriptors: the daemon holds " + openDescriptors(daemon) + " with 2 instances, of 160");

        Herd.Result many = herd.run("start", "idle.sh", "--name", "many", "-i", "100");
        System.out.println("descriptors: start -i 100 said: " + many.out() + many.err());

        String said = many.out() + many.err();
        assertThat(said).as("the cause, named").containsIgnoringCase("too many open files").contains("EMFILE");
        assertThat(said).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(many.err().strip().lines().filter(l -> l.contains("EMFILE")).count()).as("one line").isEqualTo(1);
        herd.run("ping").ok();
        for (long pid : firstPids) {
            assertThat(ProcessTree.stat(pid).filter(s -> !s.isZombie())).as("pid %d still runs", pid).isPresent();
        }
        assertThat(herd.list().findValues("name").stream().filter(n -> n.asText().equals("first")).count()).isEqualTo(2);
        herd.run("delete", "all").ok();
        assertThat(herd.list()).isEmpty();
        herd.run("ping").ok();
    }

    @Test
    void fiveHundredInstancesAddNoThreadsAndBoundedMemoryToTheDaemonAndAreAllGoneAfterDelete() throws Exception {
        herd.script("idle.sh", "echo \"up $HERD_APP_INSTANCE\"; exec sleep 600\n");
        herd.runAs(List.of(), Map.of("HERD_MAX_INSTANCES", "500"), "ping").ok();
        long daemon = herd.daemonPid();
        long idleThreads = threads(daemon);
        long idleRss = rssKib(daemon);

        long t = System.nanoTime();
        herd.run("start", "idle.sh", "--name", "many", "-i", "500").ok();
        await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> {
            JsonNode l = herd.list();
            return l.size() == 500 && l.findValues("status").stream().allMatch(s -> s.asText().equals("online"))
                    && Files.readString(herd.home.resolve("logs/many-out-499.log")).contains("up 499");
        });
        Duration up = Duration.ofNanos(System.nanoTime() - t);
        List<Long> pids = herd.list().findValues("pid").stream().map(JsonNode::asLong).toList();
        long threads = threads(daemon);
        long rss = rssKib(daemon);
        System.out.printf("500 instances: up in %d ms; daemon threads %d (idle %d), RSS %d MiB (idle %d MiB), %d descriptors%n",
                up.toMillis(), threads, idleThreads, rss / 1024, idleRss / 1024, openDescriptors(daemon));

        assertThat(threads - idleThreads).as("threads added by 500 instances").isLessThanOrEqualTo(10);
        // Measured: 65 MiB idle, 110 MiB at 500 (+45: heap, the list, log buffers); three times that as the bound.
        assertThat((rss - idleRss) / 1024).as("MiB of RSS added by 500 instances").isLessThan(150);

        herd.run("delete", "many").ok();
        assertThat(herd.list()).isEmpty();
        for (long pid : pids) {
            assertThat(ProcessTree.stat(pid).filter(s -> !s.isZombie())).as("pid %d gone", pid).isEmpty();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> threads(daemon) <= idleThreads + 10);
        System.out.printf("500 instances deleted: daemon threads %d, RSS %d MiB, %d descriptors%n", threads(daemon),
                rssKib(daemon) / 1024, openDescriptors(daemon));
    }
}
