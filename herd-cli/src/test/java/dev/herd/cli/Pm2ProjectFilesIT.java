package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PM2 users' own ecosystem files, in the forms public projects write them (several apps per
 * file; {@code module.exports}, JSON and YAML; PM2-only fields; npm-started and Python
 * services), started with the real herd and checked for what PM2 7 does with the same file:
 * the instances answering on the port the file names, the env {@code --env} picks, log files
 * where the file puts them, timestamps, pid files, watch restarts and readiness through
 * {@code process.send}.
 *
 * <p>What PM2 does was checked by running each file under PM2 7.0 beside herd.
 */
class Pm2ProjectFilesIT {

    /** An express-style server: answers with what a PM2 user checks (pid, env, instance vars). */
    private static final String SERVER = """
            const http = require('http');
            const port = process.env.PORT || 3000;
            const server = http.createServer((req, res) => {
              res.end(`pid=${process.pid} env=${process.env.NODE_ENV} inst=${process.env.NODE_APP_INSTANCE} pm_id=${process.env.pm_id}\\n`);
            });
            server.listen(port, '127.0.0.1', () => {
              console.log('listening on ' + port);
              if (process.send) process.send('ready');
            });
            process.on('SIGTERM', () => server.close(() => process.exit(0)));
            """;

    private static final Pattern PM2_TIME = Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d: listening on ");

    @TempDir
    Path tmp;

    private Herd herd;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        herd.close();
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private String get(int port) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body().strip();
    }

    /** Every answer of {@code count} requests, once each instance answers. */
    private Set<String> answers(int port, int count) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            seen.add(get(port));
        }
        return seen;
    }

    private List<JsonNode> instances(String app) throws Exception {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode i : herd.list()) {
            if (i.path("name").asText().equals(app)) {
                found.add(i);
            }
        }
        return found;
    }

    private void awaitOnline(String app, int count) {
        eventually().until(() -> {
            List<JsonNode> all = instances(app);
            return all.size() == count && all.stream().allMatch(i -> i.path("status").asText().equals("online")
                    && (!i.path("cluster").isObject() || i.path("cluster").path("pool").asText().equals("ready")));
        });
    }

    @Test
    void anExpressFileWithInstancesAndNoExecModeSharesItsPortWithTheEnvThatEnvPicksAndTimestampsItsLogs()
            throws Exception {
        int dev = freePort();
        int prod = freePort();
        herd.script("server.js", SERVER);
        herd.script("ecosystem.config.js", """
                module.exports = {
                  apps: [{
                    name: 'web',
                    script: './server.js',
                    instances: 2,
                    env: { NODE_ENV: 'development', PORT: %d },
                    env_production: { NODE_ENV: 'production', PORT: %d },
                    time: true,
                    vizion: false,
                    post_update: ['npm install'],
                  }],
                };
                """.formatted(dev, prod));

        Herd.Result start = herd.run("start", "ecosystem.config.js", "--env", "production").ok();
        awaitOnline("web", 2);

        Set<String> seen = answers(prod, 8);
        assertThat(seen).as("both instances answer on env_production's port: %s", start.out()).hasSize(2)
                .allMatch(a -> a.contains("env=production"));
        assertThat(seen.stream().map(a -> a.replaceAll("^pid=\\d+ ", "")))
                .containsExactlyInAnyOrder("env=production inst=0 pm_id=0", "env=production inst=1 pm_id=1");
        for (JsonNode i : instances("web")) {
            Path out = Path.of(i.path("outLog").asText());
            eventually().until(() -> Files.exists(out) && PM2_TIME.matcher(Files.readString(out)).find());
        }
    }

    @Test
    void aJsonFileWithAPythonServiceAShellJobAndAnExpressGeneratorBinWwwRunsEachAsPm2Does() throws Exception {
        int port = freePort();
        herd.script("worker.py", """
                import time
                n = 0
                while True:
                    n += 1
                    print("tick", n)
                    time.sleep(0.2)
                """);
        herd.script("job.sh", """
                #!/bin/sh
                echo "job instance=$INSTANCE_ID pm_id=$pm_id"
                exec sleep 600
                """);
        Files.setPosixFilePermissions(herd.work.resolve("job.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(herd.work.resolve("bin"));
        Path www = herd.script("bin/www", "#!/usr/bin/env node\n" + SERVER);
        Files.setPosixFilePermissions(www, PosixFilePermissions.fromString("rw-r--r--"));
        herd.script("process.json", """
                {
                  "apps": [
                    {"name": "worker", "script": "worker.py", "interpreter": "python3",
                     "out_file": "./logs/worker.log", "error_file": "./logs/worker-err.log"},
                    {"name": "job", "script": "job.sh", "instances": 2, "exec_mode": "fork",
                     "instance_var": "INSTANCE_ID", "log_file": "./logs/job-combined.log"},
                    {"name": "www", "script": "./bin/www", "env": {"PORT": %d, "NODE_ENV": "production"},
                     "out_file": "NULL", "error_file": "NULL"}
                  ]
                }
                """.formatted(port));

        herd.runAs(List.of("env", "-u", "PYTHONUNBUFFERED"), Map.of(), "start", "process.json").ok();
        awaitOnline("worker", 1);
        awaitOnline("job", 2);
        awaitOnline("www", 1);

        Path workerLog = herd.work.resolve("logs/worker.log");
        eventually().until(() -> Files.exists(workerLog) && Files.readString(workerLog).contains("tick 3"));
        // Without merge_logs each instance has its own file, as under PM2; herd names it by the
        // instance's index (stable across reloads), where PM2 uses its pm_id (here 1 and 2).
        Path combined1 = herd.work.resolve("logs/job-combined-0.log");
        Path combined2 = herd.work.resolve("logs/job-combined-1.log");
        eventually().until(() -> Files.exists(combined1) && Files.readString(combined1).contains("job instance=0 pm_id=1")
                && Files.exists(combined2) && Files.readString(combined2).contains("job instance=1 pm_id=2"));
        assertThat(get(port)).contains("env=production inst=0 pm_id=3");
        assertThat(herd.work.resolve("NULL")).as("PM2's NULL is no file").doesNotExist();
    }

    @Test
    void aYamlFileWithPidFilesAndWatchRestartsOnAChangeButNotOnIgnoredOnes() throws Exception {
        herd.script("app.js", "console.log('up ' + process.pid); setInterval(() => {}, 1000);\n");
        Files.createDirectories(herd.work.resolve("node_modules/dep"));
        Files.createDirectories(herd.work.resolve("lib"));
        herd.script("ecosystem.yml", """
                apps:
                  - name: api
                    script: app.js
                    watch: true
                    ignore_watch: [node_modules, "*.tmp"]
                    watch_delay: 300
                    pid_file: ./run/api.pid
                """);

        herd.run("start", "ecosystem.yml").ok();
        awaitOnline("api", 1);
        long pid = instances("api").get(0).path("pid").asLong();
        // PM2 names the file with the instance's id: run/api-0.pid.
        Path pidFile = herd.work.resolve("run/api-0.pid");
        eventually().until(() -> Files.exists(pidFile) && Files.readString(pidFile).strip().equals(Long.toString(pid)));

        herd.script("node_modules/dep/index.js", "module.exports = 1;\n");
        herd.script("scratch.tmp", "x");
        herd.script("lib/util.js", "module.exports = 2;\n");
        eventually().until(() -> instances("api").get(0).path("restarts").asInt() == 1
                && instances("api").get(0).path("status").asText().equals("online"));
        long next = instances("api").get(0).path("pid").asLong();
        assertThat(next).isNotEqualTo(pid);
        // Removed while it stops, written again once it runs.
        eventually().until(() -> Files.exists(pidFile) && Files.readString(pidFile).strip().equals(Long.toString(next)));
    }

    @Test
    void aClusterAppThatSaysReadyThroughProcessSendGetsTrafficAndStopsOnTheShutdownMessage() throws Exception {
        int port = freePort();
        herd.script("ready.js", """
                const http = require('http');
                const server = http.createServer((req, res) => res.end('ready-app ' + process.pid + '\\n'));
                server.listen(process.env.PORT, '127.0.0.1', () => setTimeout(() => process.send('ready'), 500));
                process.on('message', (m) => {
                  if (m === 'shutdown') { console.log('got shutdown'); server.close(() => process.exit(0)); }
                });
                process.on('SIGINT', () => { console.log('got SIGINT'); process.exit(1); });
                """);
        herd.script("ecosystem.config.js", """
                module.exports = {
                  apps: [{
                    name: 'ready',
                    script: 'ready.js',
                    instances: 2,
                    exec_mode: 'cluster',
                    wait_ready: true,
                    listen_timeout: 10000,
                    shutdown_with_message: true,
                    env: { PORT: %d },
                  }],
                };
                """.formatted(port));

        herd.run("start", "ecosystem.config.js").ok();
        awaitOnline("ready", 2);
        assertThat(answers(port, 6)).hasSize(2).allMatch(a -> a.startsWith("ready-app "));
        Path out = Path.of(instances("ready").get(0).path("outLog").asText());

        herd.run("stop", "ready").ok();
        assertThat(Files.readString(out)).contains("got shutdown").doesNotContain("got SIGINT");
    }

    @Test
    void aFileFullOfPm2OnlyAndCamelCaseFieldsLoadsWithWarningsAndHonoursWhatItCan() throws Exception {
        herd.script("svc.js", "setInterval(() => {}, 1000);\n");
        herd.script("ecosystem.config.js", """
                module.exports = {
                  apps: [{
                    name: 'svc',
                    script: 'svc.js',
                    exec_interpreter: 'node',
                    maxRestarts: 7,
                    killTimeout: 4000,
                    pid: './svc.pid',
                    vizion: false,
                    pmx: false,
                    watch: false,
                    merge_logs: true,
                    combine_logs: true,
                    source_map_support: true,
                    unknown_thing_of_ours: 1,
                  }],
                };
                """);

        Herd.Result start = herd.run("start", "ecosystem.config.js").ok();
        awaitOnline("svc", 1);
        assertThat(start.err()).contains("unknown_thing_of_ours").contains("ignored")
                .doesNotContain("vizion").doesNotContain("pmx").doesNotContain("watch:");
        Herd.Result describe = herd.run("describe", "svc").ok();
        assertThat(describe.out()).containsPattern("max restarts +7").containsPattern("kill timeout +4s");
        long pid = instances("svc").get(0).path("pid").asLong();
        Path pidFile = herd.work.resolve("svc-0.pid");
        eventually().until(() -> Files.exists(pidFile) && Files.readString(pidFile).strip().equals(Long.toString(pid)));
    }

    @Test
    void anNpmStartedServiceRunsThroughNpmAndStopEndsTheServerNpmStarted() throws Exception {
        int port = freePort();
        herd.script("server.js", SERVER);
        herd.script("package.json", """
                {"name": "svc", "version": "1.0.0", "scripts": {"start": "node server.js"}}
                """);
        herd.script("ecosystem.config.js", """
                module.exports = {
                  apps: [{ name: 'npm-svc', script: 'npm', args: 'start', env: { PORT: %d, NODE_ENV: 'production' } }],
                };
                """.formatted(port));

        herd.run("start", "ecosystem.config.js").ok();
        awaitOnline("npm-svc", 1);
        eventually().ignoreExceptions().until(() -> get(port).contains("env=production"));

        herd.run("stop", "npm-svc").ok();
        try (Socket s = new Socket()) {
            assertThat(catchThrowable(() -> s.connect(new InetSocketAddress("127.0.0.1", port), 2000)))
                    .as("the server npm started is gone").isNotNull();
        }
    }

    @Test
    void startingTheFileAgainAppliesItsNewEnvAndAMissingEnvSectionWarnsAndUsesTheBaseEnv() throws Exception {
        int port = freePort();
        herd.script("server.js", SERVER);
        String file = """
                module.exports = {
                  apps: [{ name: 'site', script: 'server.js', env: { PORT: %d, NODE_ENV: '%s' } }],
                };
                """;
        herd.script("ecosystem.config.js", file.formatted(port, "one"));
        Herd.Result first = herd.run("start", "ecosystem.config.js", "--env", "staging").ok();
        assertThat(first.err()).contains("env_staging");
        awaitOnline("site", 1);
        eventually().ignoreExceptions().until(() -> get(port).contains("env=one"));

        herd.script("ecosystem.config.js", file.formatted(port, "two"));
        herd.run("start", "ecosystem.config.js").ok();
        eventually().ignoreExceptions().until(() -> get(port).contains("env=two"));

        herd.script("ecosystem.config.js", file.formatted(port, "three"));
        herd.run("restart", "ecosystem.config.js").ok();
        eventually().ignoreExceptions().until(() -> get(port).contains("env=three"));
        assertThat(instances("site")).hasSize(1);
    }
}
