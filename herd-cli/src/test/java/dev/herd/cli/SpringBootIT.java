package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * A Spring Boot jar, as Spring Initializr makes one ({@code examples/spring-boot}, built here with
 * the project's Maven wrapper), unchanged in socket mode: herd's JVM agent gives its embedded
 * Tomcat the socket herd holds when it binds the app's port.
 */
class SpringBootIT {

    private static final Path ROOT = Herd.JAR.getParent().getParent().getParent();
    private static Path bootJar;

    @TempDir
    Path tmp;

    private Herd herd;
    private final List<Process> background = new ArrayList<>();

    @BeforeAll
    static void buildTheExample() throws Exception {
        Path pom = ROOT.resolve("examples/spring-boot/pom.xml");
        Process build = new ProcessBuilder(ROOT.resolve("mvnw").toString(), "-B", "-q", "-f", pom.toString(), "package",
                "-DskipTests").directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(build.waitFor(10, TimeUnit.MINUTES)).as("the example built in time").isTrue();
        assertThat(build.exitValue()).as("mvnw -f %s package", pom).isZero();
        bootJar = ROOT.resolve("examples/spring-boot/target/hello-boot.jar");
        assertThat(bootJar).isRegularFile();
    }

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        background.forEach(Process::destroyForcibly);
        herd.close();
    }

    private void awaitReady(int count) {
        await().atMost(Duration.ofMinutes(3)).until(() -> {
            JsonNode list = herd.list();
            int ready = 0;
            for (JsonNode i : list) {
                ready += "ready".equals(i.path("cluster").path("pool").asText()) ? 1 : 0;
            }
            return list.size() == count && ready == count;
        });
    }

    @Test
    void aSpringBootJarInSocketModeServesFromEveryInstanceAndAReloadUnderLoadRefusesNothing() throws Exception {
        int port = Herd.freePort();
        // Spring Boot reads its port from server.port (SERVER_PORT), not PORT; the jar is as built.
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: boot
                    script: %s
                    exec_mode: cluster
                    instances: 2
                    port: %d
                    listen_timeout: 120000
                    env: {SERVER_PORT: "{port}"}
                    balancer: {mode: socket, host: 127.0.0.1}
                """.formatted(bootJar, port)).toString()).ok();
        awaitReady(2);

        List<Long> pids = new ArrayList<>();
        herd.list().forEach(i -> pids.add(i.path("pid").asLong()));
        for (long pid : pids) {
            assertThat(HitRun.listeningInodes(port)).as("one socket, herd's").hasSize(1);
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/3")).toString())
                    .isEqualTo("socket:[" + HitRun.listeningInodes(port).get(0) + "]");
        }
        assertThat(herd.run("logs", "boot", "--nostream", "--lines", "400").out())
                .contains("is the socket herd hands this instance").contains("Tomcat started on port " + port);
        String url = "http://127.0.0.1:" + port + "/";
        Path spreadOut = tmp.resolve("spread.json");
        JsonNode spread = new HitRun(HitRun.start(herd, spreadOut, url, "-n", "200", "-c", "4", "--no-keep-alive")
                .process(), spreadOut).summary();
        assertThat(spread.path("errors").path("total").asLong()).as(spread.toString()).isZero();
        Set<Long> answered = new HashSet<>();
        spread.path("instances").forEach(i -> answered.add(i.path("instance").asLong()));
        assertThat(answered).as(spread.toString()).containsExactlyInAnyOrderElementsOf(pids);

        Path keptOut = tmp.resolve("kept.json");
        Path freshOut = tmp.resolve("fresh.json");
        HitRun kept = HitRun.start(herd, keptOut, url, "--rate", "100", "-c", "4", "-d", "600s", "--retry");
        HitRun fresh = HitRun.start(herd, freshOut, url, "--rate", "25", "-c", "2", "-d", "600s", "--no-keep-alive");
        background.add(kept.process());
        background.add(fresh.process());
        Herd.Result r = herd.run("reload", "boot");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        Posix.kill(kept.process().pid(), Signal.SIGTERM);
        Posix.kill(fresh.process().pid(), Signal.SIGTERM);
        JsonNode a = kept.summary();
        JsonNode b = fresh.summary();
        assertThat(a.path("errors").path("total").asLong()).as(a.toString()).isZero();
        assertThat(b.path("errors").path("total").asLong()).as(b.toString()).isZero();
        assertThat(a.path("ok").asLong()).as(a.toString()).isGreaterThan(100);
        List<Long> after = new ArrayList<>();
        herd.list().forEach(i -> after.add(i.path("pid").asLong()));
        assertThat(after).hasSize(2).doesNotContainAnyElementsOf(pids);
    }
}
