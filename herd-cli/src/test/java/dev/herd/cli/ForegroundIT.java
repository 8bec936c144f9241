package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code herd run} and {@code herd update}: the ways herd runs without, or replaces, its daemon. */
class ForegroundIT {

    @TempDir
    Path tmp;

    @Test
    void runStopsEveryAppOnSigtermAndExits() throws Exception {
        try (Herd herd = new Herd(tmp)) {
            herd.script("app.sh", "echo \"pid $$\"; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done\n");
            Path eco = herd.work.resolve("eco.yml");
            Files.writeString(eco, "apps:\n  - name: fg\n    script: app.sh\n    instances: 2\n");
            List<String> argv = new ArrayList<>(Herd.javaCommand());
            argv.addAll(List.of("run", eco.toString()));
            ProcessBuilder pb = new ProcessBuilder(argv).directory(herd.work.toFile())
                    .redirectOutput(tmp.resolve("run.out").toFile()).redirectError(tmp.resolve("run.err").toFile());
            pb.environment().put("HERD_HOME", herd.home.toString());
            Process run = pb.start();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() ->
                        Files.readString(tmp.resolve("run.out")).lines().filter(l -> l.contains("| pid ")).count() == 2);
                List<Long> pids = Files.readString(tmp.resolve("run.out")).lines().filter(l -> l.contains("| pid "))
                        .map(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).toList();
                assertThat(Files.exists(herd.home.resolve("herd.sock"))).as("no daemon in run mode").isFalse();

                run.destroy();
                assertThat(run.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(run.exitValue()).as("a stop asked for by SIGTERM is a success").isZero();
                assertThat(Files.readString(tmp.resolve("run.out"))).contains("fg[0] | bye").contains("fg[1] | bye");
                for (long pid : pids) {
                    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d", pid).isFalse();
                }
            } finally {
                // SIGTERM first even when the test failed: SIGKILL would leave the apps running.
                run.destroy();
                run.waitFor(20, TimeUnit.SECONDS);
                run.destroyForcibly();
            }
        }
    }

    @Test
    void runExitsNonZeroWhenEveryAppHasErrored() throws Exception {
        try (Herd herd = new Herd(tmp)) {
            herd.script("bad.sh", "exit 1\n");
            Files.writeString(herd.work.resolve("eco.yml"), "apps:\n  - name: bad\n    script: bad.sh\n    max_restarts: 2\n");
            Herd.Result r = herd.run("run", "eco.yml");
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).contains("errored");
        }
    }

    @Test
    void updateReplacesTheDaemonAndKeepsTheAppsWithoutTouchingTheDump() throws Exception {
        try (Herd herd = new Herd(tmp)) {
            herd.script("app.sh", "exec sleep 300\n");
            herd.run("start", "app.sh", "-i", "2").ok();
            long before = herd.daemonPid();

            herd.run("update").ok();

            assertThat(herd.daemonPid()).isNotEqualTo(before);
            assertThat(ProcessHandle.of(before).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(herd.list()).hasSize(2).allSatisfy(i -> assertThat(i.path("status").asText()).isEqualTo("online"));
            assertThat(herd.home.resolve("dump.json")).doesNotExist();
            assertThat(herd.home.resolve("update-dump.json")).doesNotExist();
        }
    }

    @Test
    void updateKeepsTheAppsOfAnEarlierUpdateThatNoDaemonTookOver() throws Exception {
        try (Herd herd = new Herd(tmp)) {
            herd.script("app.sh", "exec sleep 300\n");
            herd.run("start", "app.sh", "--name", "left").ok();
            herd.run("save").ok();
            // What an update leaves when its new daemon never starts: the list, and no daemon.
            Files.copy(herd.home.resolve("dump.json"), herd.home.resolve("update-dump.json"));
            herd.run("kill").ok();

            herd.run("start", "app.sh", "--name", "new").ok();
            herd.run("update").ok();
            assertThat(herd.list()).extracting(i -> i.path("name").asText() + " " + i.path("status").asText())
                    .containsExactly("new online", "left online");
            assertThat(herd.home.resolve("update-dump.json")).doesNotExist();

            Files.copy(herd.home.resolve("dump.json"), herd.home.resolve("update-dump.json"));
            herd.run("kill").ok();
            herd.run("update").ok();
            assertThat(herd.list()).extracting(i -> i.path("name").asText()).containsExactly("left");
        }
    }
}
