package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PM2's {@code pid_file}: one file per instance, kept current across restarts, gone after a stop. */
class PidFileIT {

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

    /** Each running instance's pid, by its pid file's name, once every instance is online. */
    private Map<String, String> expected() throws Exception {
        Map<String, String> files = new HashMap<>();
        for (JsonNode i : herd.list()) {
            if (!i.path("status").asText().equals("online")) {
                return Map.of();
            }
            files.put("api-" + i.path("id").asInt() + ".pid", i.path("pid").asText() + "\n");
        }
        return files;
    }

    private Map<String, String> written(Path folder) throws Exception {
        Map<String, String> files = new HashMap<>();
        if (Files.isDirectory(folder)) {
            try (var list = Files.list(folder)) {
                for (Path f : list.toList()) {
                    files.put(f.getFileName().toString(), Files.readString(f));
                }
            }
        }
        return files;
    }

    @Test
    void aFolderGetsEachInstancesPidKeptCurrentAcrossARestartAndRemovedOnStop() throws Exception {
        herd.script("app.sh", "#!/bin/sh\nexec sleep 600\n");
        herd.script("eco.yml", """
                apps:
                  - name: api
                    script: app.sh
                    instances: 2
                    pid_file: run/
                """);
        Path folder = herd.work.resolve("run");

        herd.run("start", "eco.yml").ok();
        await().atMost(Duration.ofSeconds(30)).until(() -> !expected().isEmpty() && written(folder).equals(expected()));
        Map<String, String> first = expected();
        assertThat(first).containsOnlyKeys("api-0.pid", "api-1.pid");

        herd.run("restart", "api").ok();
        await().atMost(Duration.ofSeconds(30)).until(() -> !expected().isEmpty() && !expected().equals(first)
                && written(folder).equals(expected()));

        herd.run("stop", "api").ok();
        await().atMost(Duration.ofSeconds(30)).until(() -> written(folder).isEmpty());
    }
}
