package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A PM2 user's own ecosystem file through the real herd command and daemon. */
class Pm2FileIT {

    @TempDir
    Path tmp;

    @Test
    void aPm2FileWithFieldsHerdDoesNotImplementStartsAndSaysWhatItIgnores() throws Exception {
        try (Herd herd = new Herd(tmp)) {
            herd.script("web.sh", "exec sleep 300\n");
            herd.script("worker.sh", "exec sleep 300\n");
            Files.writeString(herd.work.resolve("ecosystem.json"), """
                    {
                      "apps": [
                        {
                          "name": "web",
                          "script": "web.sh",
                          "exec_interpreter": "bash",
                          "port": 3000,
                          "pid_file": "run/web.pid",
                          "watch": false,
                          "watch_delay": 1000,
                          "vizion": true,
                          "maxRestarts": 5,
                          "merge_logs": true,
                          "combine_logs": true
                        },
                        {
                          "name": "worker",
                          "script": "worker.sh",
                          "interpreter": "bash",
                          "pid": "pids/",
                          "pmx": false,
                          "max_memory": "200M"
                        }
                      ]
                    }
                    """);

            Herd.Result start = herd.run("start", "ecosystem.json").ok();

            assertThat(start.err().lines()).containsExactly(
                    "herd: warning: apps[0].vizion: herd does not track versions, ignored",
                    "herd: warning: apps[1].max_memory: not a PM2 or herd field, ignored");
            JsonNode list = herd.list();
            assertThat(list).extracting(i -> i.path("name").asText()).containsExactly("web", "worker");
            assertThat(list).allSatisfy(i -> assertThat(i.path("status").asText()).isEqualTo("online"));
        }
    }

    @Test
    void aTypoIsRefusedWithTheSuggestionAndNothingStarts() throws Exception {
        try (Herd herd = new Herd(tmp)) {
            herd.script("web.sh", "exec sleep 300\n");
            Path eco = Files.writeString(herd.work.resolve("ecosystem.yml"),
                    "apps:\n  - script: web.sh\n    maxRestart: 5\n");

            Herd.Result start = herd.run("start", "ecosystem.yml");

            assertThat(start.code()).isNotZero();
            assertThat(start.err().strip())
                    .isEqualTo("herd: " + eco + ":3:5: apps[0].maxRestart: unknown field (did you mean 'maxRestarts'?)");
        }
    }

    @Test
    void aJsConfigWithASyntaxErrorIsNamedByFileLineAndColumn() throws Exception {
        try (Herd herd = new Herd(tmp)) {
            Path config = Files.writeString(herd.work.resolve("ecosystem.config.js"), """
                    module.exports = {
                      apps: [{
                        script: 'web.sh',,
                      }],
                    };
                    """);

            Herd.Result start = herd.run("start", "ecosystem.config.js");

            assertThat(start.code()).isNotZero();
            assertThat(start.err().strip()).isEqualTo("herd: " + config
                    + ":3:22: node could not read ecosystem.config.js: SyntaxError: Unexpected token ','");
        }
    }
}
