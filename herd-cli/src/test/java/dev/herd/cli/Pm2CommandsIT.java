package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

import dev.herd.daemon.Protocol;

/** The verbs, flags and habits of PM2 users, against the real jar and daemon, each test in its own HERD_HOME. */
class Pm2CommandsIT {

    private static final String SLEEPER = "echo \"up $HERD_APP_INSTANCE $GREETING\"; exec sleep 300\n";

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

    private JsonNode instance(String name) throws Exception {
        for (JsonNode i : herd.list()) {
            if (i.path("name").asText().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no instance of " + name + " in " + herd.list());
    }

    private List<String> statuses() throws Exception {
        List<String> out = new ArrayList<>();
        herd.list().forEach(i -> out.add(i.path("name").asText() + "=" + i.path("status").asText()));
        return out;
    }

    @Test
    void startWithNoTargetTakesEcosystemConfigCjsWhenThereIsNoJsOneAndDashVPrintsTheVersion() throws Exception {
        herd.script("job.sh", "exec sleep 300\n");
        herd.script("ecosystem.config.cjs", "module.exports = {apps: [{name: 'cjs', script: 'job.sh'}]};\n");

        assertThat(herd.run("start").ok().out()).contains("herd: started cjs");
        assertThat(herd.run("-v").ok().out().strip()).startsWith("herd ").isEqualTo(herd.run("--version").ok().out().strip());
    }

    @Test
    void silentStopsPrintNothingRawLogsAreTheLinesAloneAndAMistypedCommandGetsASuggestion() throws Exception {
        herd.script("talk.sh", "echo hello; sleep 0.2; echo oops >&2; exec sleep 300\n");
        herd.run("start", "talk.sh").ok();
        await().atMost(Duration.ofSeconds(30)).until(() -> herd.run("logs", "talk", "--raw", "--nostream").ok().out()
                .lines().toList().equals(List.of("hello", "oops")));

        Herd.Result stop = herd.run("stop", "talk", "-s").ok();
        assertThat(stop.out()).isEmpty();
        assertThat(herd.run("restart", "talk", "--silent").ok().out()).isEmpty();

        Herd.Result typo = herd.run("lst");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err().strip()).isEqualTo("herd: unknown command 'lst' (did you mean 'ls'? see: herd --help)");
    }

    @Test
    void startingAStoppedAppsScriptStartsItAndARunningOneIsAlreadyLaunched() throws Exception {
        herd.script("nonl.py", "import time\nprint('up', flush=True)\ntime.sleep(300)\n");
        herd.run("start", "nonl.py").ok();
        herd.run("stop", "nonl").ok();

        Herd.Result again = herd.run("start", "nonl.py").ok();

        assertThat(again.out()).contains("herd: started nonl");
        JsonNode nonl = instance("nonl");
        assertThat(nonl.path("id").asInt()).isZero();
        assertThat(nonl.path("status").asText()).isEqualTo("online");
        Herd.Result launched = herd.run("start", "nonl.py");
        assertThat(launched.code()).isEqualTo(1);
        assertThat(launched.err().strip()).isEqualTo("herd: nonl is already launched (ids 0, " + herd.work.resolve("nonl.py")
                + "): herd restart nonl restarts it");
        Files.createDirectories(herd.work.resolve("other"));
        herd.script("other/nonl.py", "");
        Herd.Result other = herd.run("start", "other/nonl.py");
        assertThat(other.err().strip()).isEqualTo("herd: an app named 'nonl' exists already and runs "
                + herd.work.resolve("nonl.py") + ": --name gives this one another name");
        // As PM2's start of a name: a running app is restarted.
        long pid = nonl.path("pid").asLong();
        assertThat(herd.run("start", "nonl").ok().out()).contains("herd: restarted nonl");
        assertThat(instance("nonl").path("pid").asLong()).isNotEqualTo(pid);
        assertThat(instance("nonl").path("restarts").asInt()).isEqualTo(1);
    }

    @Test
    void severalTargetsIdsAndNamespacesAreAllCheckedBeforeAnyIsActedOn() throws Exception {
        herd.script("app.sh", SLEEPER);
        herd.run("start", "app.sh", "--name", "b1").ok();
        herd.run("start", "app.sh", "--name", "b2").ok();
        herd.run("start", "app.sh", "--name", "b3", "--namespace", "jobs").ok();
        herd.run("start", "app.sh", "--name", "b4", "--namespace", "jobs").ok();

        Herd.Result typo = herd.run("stop", "b1", "nope", "2");
        assertThat(typo.code()).isEqualTo(1);
        assertThat(typo.err().strip()).isEqualTo("herd: no app or id 'nope' (known apps: b1, b2, b3, b4; ids: 0, 1, 2, 3;"
                + " namespaces: jobs; or all)");
        assertThat(statuses()).containsExactly("b1=online", "b2=online", "b3=online", "b4=online");

        Herd.Result stopped = herd.run("stop", "b1", "b2", "2").ok();
        assertThat(stopped.out()).contains("herd: stopped b1, b2, 2").contains("namespace").contains("jobs");
        assertThat(statuses()).containsExactly("b1=stopped", "b2=stopped", "b3=stopped", "b4=online");

        herd.run("restart", "jobs", "b1").ok();
        assertThat(statuses()).containsExactly("b1=online", "b2=stopped", "b3=online", "b4=online");
        assertThat(instance("b4").path("restarts").asInt()).isEqualTo(1);
        herd.run("reset", "jobs").ok();
        assertThat(instance("b4").path("restarts").asInt()).isZero();
        assertThat(herd.run("describe", "b3").ok().out()).containsPattern("namespace +jobs");

        herd.run("delete", "b1", "b2", "jobs").ok();
        assertThat(herd.list()).isEmpty();
    }

    @Test
    void anEcosystemFileAsTargetActsOnItsAppsAndAppliesItsDefinitions() throws Exception {
        herd.script("app.sh", SLEEPER);
        Path eco = herd.script("eco.yml", """
                apps:
                  - name: a
                    script: app.sh
                    env: {GREETING: hello}
                    env_production: {GREETING: prod}
                  - name: b
                    script: app.sh
                    env: {GREETING: hello}
                """);
        herd.run("start", "eco.yml").ok();
        Files.writeString(eco, Files.readString(eco).replace("hello", "bonjour"));

        Herd.Result again = herd.run("start", "eco.yml").ok();

        assertThat(again.out()).contains("herd: restarted a, b");
        assertThat(herd.run("env", "0").ok().out()).contains("GREETING: bonjour\n").contains("HERD_APP_NAME: a\n");
        assertThat(herd.list()).extracting(i -> i.path("id").asInt()).as("a restart keeps the ids").containsExactly(0, 1);

        long b = instance("b").path("pid").asLong();
        herd.run("restart", "eco.yml", "--env", "production", "--only", "a").ok();
        assertThat(herd.run("env", "a").ok().out()).contains("GREETING: prod\n");
        assertThat(instance("b").path("pid").asLong()).isEqualTo(b);

        // An app named with --env: its own file is read again.
        Files.writeString(eco, Files.readString(eco).replace("prod}", "production}"));
        herd.run("restart", "a", "--env", "production").ok();
        assertThat(herd.run("env", "a").ok().out()).contains("GREETING: production\n");

        // --update-env: this shell's variables, the app's own over them.
        herd.runAs(List.of(), Map.of("FROM_SHELL", "yes", "GREETING", "shell"), "restart", "b", "--update-env").ok();
        assertThat(herd.run("env", "b").ok().out()).contains("FROM_SHELL: yes\n").contains("GREETING: bonjour\n");

        herd.run("stop", "eco.yml", "--only", "b").ok();
        assertThat(statuses()).containsExactly("a=online", "b=stopped");
        Herd.Result noSuchApp = herd.run("stop", "eco.yml", "--only", "c");
        assertThat(noSuchApp.err().strip()).isEqualTo("herd: --only c: no such app in the file (its apps: a, b)");
        herd.run("delete", "eco.yml").ok();
        assertThat(herd.list()).isEmpty();

        herd.run("start", "app.sh", "--name", "cmd").ok();
        Herd.Result noFile = herd.run("restart", "cmd", "--env", "production");
        assertThat(noFile.code()).isEqualTo(1);
        assertThat(noFile.err().strip()).isEqualTo("herd: cmd was started from the command line, not from an ecosystem"
                + " file: --env production needs the file (herd restart <file> --env production)");
    }

    @Test
    void jlistPidEnvAndDescribeSayWhatPm2Does() throws Exception {
        herd.script("app.sh", "trap 'echo got usr1' USR1\necho up\nwhile true; do sleep 1; done\n");
        herd.script("eco.yml", """
                apps:
                  - name: web
                    script: app.sh
                    instances: 2
                    namespace: front
                    env: {NODE_ENV: production}
                """);
        herd.run("start", "eco.yml").ok();

        JsonNode jlist = Protocol.json().readTree(herd.run("jlist").ok().out());

        assertThat(jlist).hasSize(2);
        JsonNode first = jlist.get(0);
        JsonNode env = first.path("pm2_env");
        assertThat(first.path("name").asText()).isEqualTo("web");
        assertThat(first.path("pid").asLong()).isEqualTo(instance("web").path("pid").asLong());
        assertThat(first.path("pm_id").asInt()).isZero();
        assertThat(first.path("monit").path("memory").asLong()).isPositive();
        assertThat(env.path("status").asText()).isEqualTo("online");
        assertThat(env.path("pm_id").asInt()).isZero();
        assertThat(env.path("namespace").asText()).isEqualTo("front");
        assertThat(env.path("exec_mode").asText()).isEqualTo("fork_mode");
        assertThat(env.path("instances").asInt()).isEqualTo(2);
        assertThat(env.path("restart_time").asInt()).isZero();
        assertThat(env.path("unstable_restarts").asInt()).isZero();
        assertThat(env.path("pm_uptime").asLong()).isPositive();
        assertThat(env.path("created_at").asLong()).isPositive();
        assertThat(env.path("pm_out_log_path").asText()).endsWith("web-out-0.log");
        assertThat(env.path("env").path("NODE_ENV").asText()).isEqualTo("production");
        assertThat(env.path("NODE_ENV").asText()).isEqualTo("production");
        assertThat(Protocol.json().readTree(herd.run("prettylist").ok().out()).size()).isEqualTo(2);

        assertThat(herd.run("pid", "web").ok().out().lines().map(Long::parseLong).toList())
                .containsExactly(herd.list().get(0).path("pid").asLong(), herd.list().get(1).path("pid").asLong());
        assertThat(herd.run("env", "1").ok().out()).contains("NODE_ENV: production\n").contains("HERD_APP_INSTANCE: 1\n");
        String describe = herd.run("describe", "0").ok().out();
        assertThat(describe).containsPattern("interpreter +" + ".*bash").containsPattern("created +\\d{4}-")
                .containsPattern("env +NODE_ENV=production, and \\d+ more inherited or set by herd \\(herd env 0 lists all\\)")
                .containsPattern("namespace +front");
        assertThat(herd.run("status").ok().out()).contains("web").contains("front");

        herd.run("sendSignal", "SIGUSR1", "front").ok();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(herd.home.resolve("logs/web-out-1.log"))
                .contains("got usr1"));
    }

    @Test
    void aClusterAppRestartedWithItsChangedFileRollsToTheNewDefinitionOneInstanceAtATime() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        herd.script("server.js", """
                const http = require('http');
                const server = http.createServer((req, res) => { res.writeHead(200); res.end(process.env.GREETING + '\\n'); });
                server.listen(process.env.PORT, '127.0.0.1');
                process.on('SIGTERM', () => server.close(() => process.exit(0)));
                """);
        Path eco = herd.script("eco.yml", """
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    instances: 2
                    port: %d
                    env: {GREETING: hello}
                    balancer: {host: 127.0.0.1}
                """.formatted(port));
        herd.run("start", "eco.yml").ok();
        String url = "http://127.0.0.1:" + port + "/";
        await().atMost(Duration.ofSeconds(30)).until(() -> herd.run("hit", url, "-n", "2").out().contains("hello"));
        Files.writeString(eco, Files.readString(eco).replace("hello", "bonjour"));

        Herd.Result restart = herd.run("restart", "eco.yml").ok();

        assertThat(restart.out()).contains("herd: restarted api").contains("api: instance 0: new pid")
                .contains("api: instance 1: new pid");
        assertThat(herd.run("hit", url, "-n", "4").ok().out()).contains("bonjour").doesNotContain("hello");
    }

    @Test
    void autostartFalseIsAddedStoppedAndNoAutorestartStaysDown() throws Exception {
        herd.script("app.sh", SLEEPER);
        herd.script("once.sh", "echo done\n");
        herd.script("eco.yml", """
                apps:
                  - name: manual
                    script: app.sh
                    autostart: false
                  - name: auto
                    script: app.sh
                """);

        Herd.Result first = herd.run("startOrRestart", "eco.yml").ok();

        assertThat(first.out()).contains("herd: started auto").contains("manual: added, not started");
        assertThat(statuses()).containsExactly("manual=stopped", "auto=online");
        herd.run("start", "eco.yml").ok();
        assertThat(statuses()).as("a file start leaves it stopped").containsExactly("manual=stopped", "auto=online");
        herd.run("start", "manual").ok();
        assertThat(statuses()).containsExactly("manual=online", "auto=online");
        Herd.Result reload = herd.run("startOrReload", "eco.yml").ok();
        assertThat(reload.out()).contains("manual: fork mode, stopped then started");

        herd.run("start", "once.sh", "--no-autorestart").ok();
        await().atMost(Duration.ofSeconds(10)).until(() -> instance("once").path("status").asText().equals("stopped"));
        assertThat(instance("once").path("restarts").asInt()).isZero();
        assertThat(herd.run("describe", "once").ok().out()).containsPattern("autorestart +off");
    }
}
