package dev.herd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/** The cluster API as a user runs it: a real primary JVM that relaunches itself as workers. */
class HerdClusterIT {

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process primary;
    private List<ProcessHandle> workersSeen = List.of();

    @AfterEach
    void tearDown() throws InterruptedException {
        if (primary != null && primary.isAlive()) {
            // As a user stops it: its workers stop and their cgroups go with them, which a
            // SIGKILL would leave behind, empty.
            primary.destroy();
            if (!primary.waitFor(30, TimeUnit.SECONDS)) {
                primary.destroyForcibly();
            }
        }
        workersSeen.forEach(ProcessHandle::destroyForcibly);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Process start(int port, int workers) throws IOException {
        return start(HelloCluster.class, port, workers);
    }

    private Process start(Class<?> main, int port, int workers) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                main.getName(), Integer.toString(port), Integer.toString(workers))
                .redirectErrorStream(true).redirectOutput(dir.resolve("primary.log").toFile()).start();
    }

    private String get(int port) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body().trim();
        } catch (IOException | InterruptedException e) {
            return "failed: " + e;
        }
    }

    private List<ProcessHandle> workers() {
        List<ProcessHandle> w = primary.toHandle().children().filter(ProcessHandle::isAlive).toList();
        workersSeen = w;
        return w;
    }

    /** Waits until {@code n} workers answer through the public port. */
    private Set<String> awaitAnswers(int port, int n) {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            String body = get(port);
            if (body.startsWith("Hello from worker ")) {
                seen.add(body);
            }
            return seen.size() >= n;
        });
        return seen;
    }

    @Test
    void withServeTheWorkersAcceptOnThePrimarysOneSocketAndAKilledOneComesBack() throws Exception {
        int port = freePort();
        primary = start(HelloSocketCluster.class, port, 2);

        awaitAnswers(port, 2);
        List<ProcessHandle> workers = workers();
        assertThat(workers).hasSize(2);
        Set<String> sockets = new java.util.HashSet<>();
        for (ProcessHandle w : workers) {
            sockets.add(java.nio.file.Files.readSymbolicLink(Path.of("/proc/" + w.pid() + "/fd/0")).toString());
        }
        assertThat(sockets).as("one socket, the workers' standard input").hasSize(1);
        assertThat(PortOwner.of(port)).as("the public port listens").isPresent();
        long victim = workers.get(0).pid();
        Posix.kill(victim, Signal.SIGKILL);

        await().atMost(Duration.ofSeconds(30)).until(() -> workers().size() == 2
                && workers().stream().noneMatch(w -> w.pid() == victim));
        assertThat(awaitAnswers(port, 2)).doesNotContain("Hello from worker " + victim);
    }

    @Test
    void workersServeTheOnePortAndOneThatIsKilledComesBack() throws Exception {
        int port = freePort();
        primary = start(port, 2);

        Set<String> first = awaitAnswers(port, 2);
        assertThat(workers()).hasSize(2);
        long victim = workers().get(0).pid();
        Posix.kill(victim, Signal.SIGKILL);

        await().atMost(Duration.ofSeconds(30)).until(() -> workers().size() == 2
                && workers().stream().noneMatch(w -> w.pid() == victim));
        Set<String> after = awaitAnswers(port, 2);
        assertThat(after).doesNotContain("Hello from worker " + victim);
        assertThat(first).contains("Hello from worker " + victim);
    }

    @Test
    void sigtermOfThePrimaryStopsEveryWorker() throws Exception {
        int port = freePort();
        primary = start(port, 2);
        awaitAnswers(port, 2);
        List<ProcessHandle> workers = workers();

        Posix.kill(primary.pid(), Signal.SIGTERM);

        await().atMost(Duration.ofSeconds(15)).until(() -> !primary.isAlive());
        await().atMost(Duration.ofSeconds(5)).until(() -> workers.stream().noneMatch(ProcessHandle::isAlive));
        assertThat(primary.exitValue()).isEqualTo(143);
    }

    @Test
    void sigkillOfThePrimaryLeavesNoWorker() throws Exception {
        int port = freePort();
        primary = start(port, 2);
        awaitAnswers(port, 2);
        List<ProcessHandle> workers = workers();

        Posix.kill(primary.pid(), Signal.SIGKILL);

        await().atMost(Duration.ofSeconds(5)).until(() -> workers.stream().noneMatch(ProcessHandle::isAlive));
    }
}
