package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.Posix;

/**
 * A PM2 user's ecosystem file, of the kinds real projects write, started by the real herd and
 * daemon: each app runs as PM2 would run it (cluster mode for a Node app with instances, an
 * express {@code bin/www} of mode 644, Python output as it is printed, PM2's instance variables
 * for a shell script, {@code NULL} and {@code ~} log paths, {@code uid}).
 */
class Pm2ConventionsIT {

    private static final String SERVER = """
            require('http').createServer((req, res) => { res.end('Hello from worker ' + process.pid + '\\n'); })
              .listen(process.env.PORT, '127.0.0.1');
            """;

    @TempDir
    Path tmp;

    private Herd herd;
    private Path userHome;

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
        userHome = Files.createDirectories(tmp.resolve("ann"));
    }

    @AfterEach
    void tearDown() throws Exception {
        herd.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** herd as a user whose home is {@link #userHome}. */
    private Herd.Result herd(String... args) throws IOException, InterruptedException {
        return herd.runAs(List.of(), Map.of("HOME", userHome.toString()), args);
    }

    private List<JsonNode> instances(String app) throws Exception {
        List<JsonNode> of = new ArrayList<>();
        herd.list().forEach(i -> {
            if (i.path("name").asText().equals(app)) {
                of.add(i);
            }
        });
        return of;
    }

    @Test
    void anEcosystemFileOfSeveralAppsRunsAsPm2WouldRunIt() throws Exception {
        int port = freePort();
        herd.script("server.js", SERVER);
        Files.createDirectories(herd.work.resolve("bin"));
        Path www = herd.script("bin/www", "#!/usr/bin/env node\n"
                + "console.log('www', process.env.NODE_APP_INSTANCE, process.env.pm_id, process.env.name);\n"
                + "setInterval(() => {}, 1000);\n");
        Files.setPosixFilePermissions(www, PosixFilePermissions.fromString("rw-r--r--"));
        herd.script("worker.py", "import time\nprint('tick', flush=False)\ntime.sleep(300)\n");
        herd.script("vars.sh", "echo \"$INSTANCE_ID $NODE_APP_INSTANCE $pm_id $name $WORKER_PORT\"; exec sleep 300\n");
        Path file = herd.script("ecosystem.config.js", """
                module.exports = {
                  apps: [
                    { name: 'api', script: './server.js', instances: 2, env: { PORT: %d } },
                    { name: 'www', script: './bin/www' },
                    { name: 'worker', script: './worker.py', out_file: '~/logs/worker.log', error_file: 'NULL' },
                    { name: 'vars', script: './vars.sh', instances: 2, instance_var: 'INSTANCE_ID',
                      increment_var: 'WORKER_PORT', env: { WORKER_PORT: 5000 } },
                  ],
                };
                """.formatted(port));

        Herd.Result started = herd("start", file.toString(), "--env", "production").ok();

        assertThat(started.err())
                .contains("herd: warning: --env production: no app defines env_production: the apps run with their"
                        + " env only")
                .contains("herd: note: apps[0].instances: cluster mode on port " + port)
                .containsPattern(Pattern.quote("herd: note: apps[1].script: '" + www + "' is not executable: runs"
                        + " with /") + "\\S+/node, as its #! line says");
        await().atMost(Duration.ofSeconds(30)).until(() -> instances("api").stream()
                .filter(i -> "ready".equals(i.path("cluster").path("pool").asText())).count() == 2);
        assertThat(instances("api")).allSatisfy(i -> assertThat(i.path("mode").asText()).isEqualTo("cluster"));
        assertThat(herd.run("hit", "http://127.0.0.1:" + port + "/", "-n", "6").ok().out())
                .contains("2 instances answered");

        Path wwwOut = herd.home.resolve("logs/www-out.log");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(wwwOut) && !Files.readString(wwwOut).isEmpty());
        int wwwId = instances("www").get(0).path("id").asInt();
        assertThat(Files.readString(wwwOut)).isEqualTo("www 0 " + wwwId + " www\n");

        // Printed with Python's default buffering: only an unbuffered stdout gets it there while it runs.
        Path workerLog = userHome.resolve("logs/worker.log");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(workerLog)
                && Files.readString(workerLog).equals("tick\n"));
        assertThat(instances("worker").get(0).path("errLog").asText()).isEqualTo("/dev/null");
        assertThat(herd.work.resolve("NULL")).doesNotExist();

        List<String> vars = new ArrayList<>();
        for (int index = 0; index < 2; index++) {
            Path out = herd.home.resolve("logs/vars-out-" + index + ".log");
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(out) && !Files.readString(out).isEmpty());
            vars.add(Files.readString(out).strip());
        }
        List<JsonNode> varsInstances = instances("vars");
        assertThat(vars).containsExactly(
                "0  " + varsInstances.get(0).path("id").asInt() + " vars 5000",
                "1  " + varsInstances.get(1).path("id").asInt() + " vars 5001");

        Herd.Result plain = herd("start", "vars.sh", "--name", "more", "--env", "production").ok();
        assertThat(plain.err()).contains("herd: warning: --env production: selects the env_production block of an"
                + " ecosystem file; vars.sh is not one, so it is ignored");
    }

    @Test
    void uidRunsTheAppAsThatUserUnderARootDaemonAndIsRefusedOtherwise() throws Exception {
        // The user must be able to read the script.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(herd.work, PosixFilePermissions.fromString("rwxr-xr-x"));
        herd.script("who.sh", "echo \"$(id -un) $HOME\"; exec sleep 300\n");
        Path file = herd.script("eco.yml", "apps:\n  - name: who\n    script: who.sh\n    uid: nobody\n");

        Herd.Result r = herd("start", file.toString());

        if (Posix.uid() != 0) {
            assertThat(r.code()).isNotZero();
            assertThat(r.err()).contains(":4:10: apps[0].uid: running an app as another user needs a daemon running"
                    + " as root, and this one runs as uid " + Posix.uid());
            return;
        }
        r.ok();
        Path out = herd.home.resolve("logs/who-out.log");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(out) && !Files.readString(out).isEmpty());
        String home = Files.readAllLines(Path.of("/etc/passwd")).stream().filter(l -> l.startsWith("nobody:"))
                .findFirst().orElseThrow().split(":")[5];
        assertThat(Files.readString(out)).isEqualTo("nobody " + home + "\n");
    }
}
