package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every instance finds open when it starts: only what herd meant to give it (stdin, the
 * pipes of stdout and stderr, and in socket mode the listening socket at fd 3), never one of the
 * daemon's own descriptors (its control socket, log files, channels, other apps' sockets). Real
 * daemon, {@code sleep} as the program, {@code /proc/<pid>/fd} read as it runs.
 */
class DescriptorHygieneIT {

    @TempDir
    Path tmp;

    private Herd herd;

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
        herd.script("idle.sh", "exec sleep 300\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        herd.close();
    }

    /** Descriptor number to what it is, as {@code /proc/<pid>/fd} links say. */
    private static Map<Integer, String> descriptors(long pid) throws IOException {
        Map<Integer, String> fds = new TreeMap<>();
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : list.toList()) {
                fds.put(Integer.parseInt(fd.getFileName().toString()), Files.readSymbolicLink(fd).toString());
            }
        }
        return fds;
    }

    private long onlyPid(String app) throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode l = herd.list();
            return l.size() == 1 && l.get(0).path("pid").asLong() > 0
                    && descriptors(l.get(0).path("pid").asLong()).get(0) != null
                    && Files.readSymbolicLink(Path.of("/proc/" + l.get(0).path("pid").asLong() + "/exe")).toString()
                    .endsWith("sleep");
        });
        return herd.list().get(0).path("pid").asLong();
    }

    @Test
    void aForkModeInstanceHasStdinFromDevNullAndItsTwoPipesAndNothingElse() throws Exception {
        herd.run("start", "idle.sh", "--name", "idle").ok();
        Map<Integer, String> fds = descriptors(onlyPid("idle"));

        assertThat(fds).containsOnlyKeys(0, 1, 2);
        assertThat(fds.get(0)).isEqualTo("/dev/null");
        assertThat(fds.get(1)).startsWith("pipe:[");
        assertThat(fds.get(2)).startsWith("pipe:[").isNotEqualTo(fds.get(1));
    }

    @Test
    void aProxyModeClusterInstanceHasNothingMoreThanAForkModeOne() throws Exception {
        herd.run("start", "idle.sh", "--name", "web", "-i", "1", "--port", Integer.toString(Herd.freePort())).ok();
        Map<Integer, String> fds = descriptors(onlyPid("web"));

        assertThat(fds).as("not the public socket, not the daemon's").containsOnlyKeys(0, 1, 2);
        assertThat(fds.get(0)).isEqualTo("/dev/null");
    }

    @Test
    void aSocketModeInstanceHasTheListeningSocketAtFd3AndNothingElse() throws Exception {
        int port = Herd.freePort();
        herd.run("start", herd.script("eco.yml", """
                apps:
                  - name: api
                    script: idle.sh
                    exec_mode: cluster
                    instances: 1
                    port: %d
                    listen_timeout: 60000
                    balancer: {mode: socket, host: 127.0.0.1}
                """.formatted(port)).toString()).ok();
        long pid = onlyPid("api");
        Map<Integer, String> fds = descriptors(pid);

        assertThat(fds).containsOnlyKeys(0, 1, 2, 3);
        assertThat(fds.get(0)).isEqualTo("/dev/null");
        assertThat(fds.get(3)).isEqualTo("socket:[" + HitRun.listeningInodes(port).get(0) + "]");
    }
}
