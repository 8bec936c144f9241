package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herd.supervisor.AppSpec;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How the keys of a PM2 user's file are read: camelCase, aliases, fields herd ignores, typos and
 * keys PM2 would drop.
 */
class Pm2KeysTest {

    @TempDir
    Path tmp;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(tmp);
        fx.file("a.js");
    }

    private LoadedApps load(String fileName, String content) throws ConfigException {
        return fx.loader().load(fx.file(fileName, content), fx.env(), null, null);
    }

    private void fails(String fileName, String content, String message) {
        Path file = fx.file(fileName, content);
        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + message);
    }

    @Test
    void camelCaseSpellingsAreReadAsTheirField() throws ConfigException {
        LoadedApps loaded = load("eco.yml", """
                apps:
                  - script: a.js
                    maxRestarts: 3
                    killTimeout: 2500
                    minUptime: 2s
                    expBackoffRestartDelay: 200
                    execMode: fork
                    errorFile: logs/e.log
                    outFile: logs/o.log
                    mergeLogs: true
                    logDateFormat: YYYY-MM-DD
                    nodeArgs: --trace-warnings
                """);

        AppSpec app = loaded.apps().get(0);
        assertThat(app.restart().maxRestarts()).isEqualTo(3);
        assertThat(app.restart().minUptime()).isEqualTo(Duration.ofSeconds(2));
        assertThat(app.restart().expBackoffRestartDelay()).isEqualTo(Duration.ofMillis(200));
        assertThat(app.stop().killTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(app.logs().errorFile()).isEqualTo(tmp.resolve("logs/e.log"));
        assertThat(app.logs().outFile()).isEqualTo(tmp.resolve("logs/o.log"));
        assertThat(app.logs().mergeLogs()).isTrue();
        assertThat(app.logs().dateFormat()).isEqualTo("YYYY-MM-DD");
        assertThat(app.interpreterArgs()).containsExactly("--trace-warnings");
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void pm2sAliasesAreReadAsTheirField() throws ConfigException {
        AppSpec app = load("eco.json", """
                {"apps": [{"exec": "a.js", "exec_interpreter": "node", "out": "o.log", "err_log": "e.log",
                           "combine_logs": true}]}
                """).apps().get(0);

        assertThat(app.script()).isEqualTo(tmp.resolve("a.js"));
        assertThat(app.interpreter()).isEqualTo(fx.bin.resolve("node"));
        assertThat(app.logs().outFile()).isEqualTo(tmp.resolve("o.log"));
        assertThat(app.logs().errorFile()).isEqualTo(tmp.resolve("e.log"));
        assertThat(app.logs().mergeLogs()).isTrue();
    }

    @Test
    void twoSpellingsOfOneFieldThatAgreeAreFine() throws ConfigException {
        LoadedApps loaded = load("eco.yml", """
                apps:
                  - script: a.js
                    merge_logs: true
                    combine_logs: true
                    max_restarts: 4
                    maxRestarts: 4
                    pid_file: app.pid
                    pid: app.pid
                """);

        assertThat(loaded.apps().get(0).logs().mergeLogs()).isTrue();
        assertThat(loaded.apps().get(0).restart().maxRestarts()).isEqualTo(4);
        assertThat(loaded.apps().get(0).pidFile()).isEqualTo(fx.dir.resolve("app.pid"));
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void twoSpellingsOfOneFieldThatDifferAreAnError() {
        fails("eco.yml", "script: a.js\nmerge_logs: true\ncombine_logs: false\n",
                ":3:1: combine_logs: same field as merge_logs, which is also set: keep one");
        fails("eco.yml", "script: a.js\nmaxRestarts: 3\nmax_restarts: 4\n",
                ":3:1: max_restarts: same field as maxRestarts, which is also set: keep one");
        fails("eco.json", "{\"script\": \"a.js\", \"cron\": \"0 * * * *\", \"cron_restart\": \"5 * * * *\"}",
                ":1:41: cron_restart: same field as cron, which is also set: keep one");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "maxRestart: 3 | maxRestart: unknown field (did you mean 'maxRestarts'?)",
            "exec_mod: fork | exec_mod: unknown field (did you mean 'exec_mode'?)",
            "pid_fil: x.pid | pid_fil: unknown field (did you mean 'pid_file'?)",
            "Name: api | Name: unknown field (did you mean 'name'?)",
            "ports: 80 | ports: unknown field (did you mean 'port'?)",
            "envProduction: {A: 1} | envProduction: unknown field (did you mean 'env_production'?)",
            "envQA: {A: 1} | envQA: unknown field (did you mean 'env_QA'?)",
    })
    void aNearMissOfAKnownFieldIsAnErrorWithTheSuggestion(String line, String message) {
        fails("eco.yml", "apps:\n  - script: a.js\n    " + line + "\n", ":3:5: apps[0]." + message);
    }

    @Test
    void aKeyNearNothingKnownIsAWarningAndTheAppLoads() throws ConfigException {
        LoadedApps loaded = load("eco.yml", """
                apps:
                  - script: a.js
                    colour: blue
                    host: 0.0.0.0
                    type: web
                    id: 3
                """);

        assertThat(loaded.apps()).hasSize(1);
        assertThat(loaded.warnings()).containsExactly(
                "apps[0].colour: not a PM2 or herd field, ignored",
                "apps[0].host: not a PM2 or herd field, ignored",
                "apps[0].type: not a PM2 or herd field, ignored",
                "apps[0].id: not a PM2 or herd field, ignored");
    }

    @ParameterizedTest
    @ValueSource(strings = {"watch: false", "pmx: false", "vizion: false", "autorestart: true", "autostart: true",
            "treekill: true", "namespace: default", "instance_var: NODE_APP_INSTANCE", "kill_retry_time: 100",
            "windowsHide: false", "source_map_support: false", "disable_source_map_support: true", "automation: false",
            "merge_logs: false", "wait_ready: false", "force: false", "time: false", "disable_logs: false",
            "filter_env: false", "shutdown_with_message: false", "trace: false", "disable_trace: true",
            "append_env_to_name: false", "execute_command: false", "write: false", "pmx: null"})
    void aFieldSetToWhatHerdDoesAnywayWarnsNothing(String line) throws ConfigException {
        assertThat(load("eco.yml", "script: a.js\n" + line + "\n").warnings()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "vizion: true | vizion: herd does not track versions, ignored",
            "pmx: true | pmx: herd has no PM2.io agent (herd metrics serves Prometheus metrics and a dashboard), ignored",
            "force: true | force: herd does not start a second copy of an app, ignored",
            "trace: true | trace: herd has no transaction tracing (herd profile records a flame graph), ignored",
            "source_map_support: true | source_map_support: herd runs node without PM2's source-map hook: add"
                    + " --enable-source-maps to node_args, ignored",
    })
    void anyOtherValueWarnsWithWhatHerdDoesInstead(String line, String warning) throws ConfigException {
        assertThat(load("eco.yml", "script: a.js\n" + line + "\n").warnings()).containsExactly(warning);
    }

    @Test
    void aRealPm2FileWithFieldsHerdDoesNotImplementLoadsWithAWarningForEach() throws ConfigException {
        fx.file("worker.js");
        LoadedApps loaded = load("ecosystem.json", """
                {
                  "apps": [
                    {
                      "name": "web",
                      "script": "a.js",
                      "exec_interpreter": "node",
                      "port": 3000,
                      "pid_file": "/var/run/web.pid",
                      "watch": false,
                      "watch_delay": 1000,
                      "maxRestarts": 5,
                      "env": {"NODE_ENV": "development"}
                    },
                    {
                      "name": "worker",
                      "script": "worker.js",
                      "pid": "pids/",
                      "ignore_watch": ["node_modules"],
                      "vizion": false,
                      "env_production": {"NODE_ENV": "production"}
                    }
                  ],
                  "deploy": {"production": {"user": "node", "host": "example.com"}}
                }
                """);

        assertThat(loaded.apps()).extracting(AppSpec::name).containsExactly("web", "worker");
        AppSpec web = loaded.apps().get(0);
        assertThat(web.interpreter()).isEqualTo(fx.bin.resolve("node"));
        assertThat(web.env()).containsEntry("PORT", "3000").containsEntry("NODE_ENV", "development");
        assertThat(web.restart().maxRestarts()).isEqualTo(5);
        // watch_delay and ignore_watch without watch: nothing is watched until herd start --watch turns it on.
        assertThat(loaded.apps()).extracting(app -> app.triggers().watch().active()).containsOnly(false);
        assertThat(loaded.warnings()).containsExactly("deploy: herd does not deploy (PM2's pm2 deploy), ignored");
    }

    @Test
    void errorsAboutAFieldPointAtItAsSpelt() {
        fails("eco.yml", "script: a.js\nexecInterpreter: deno\n",
                ":2:18: execInterpreter: 'deno' not found on PATH (" + fx.bin + ")");
    }

    @Test
    void aTypoOfAppsAtTheTopIsAnErrorWithTheSuggestion() {
        fails("eco.yml", "app:\n  - script: a.js\n", ":1:1: app: unknown field (did you mean 'apps'?)");
        fails("eco.json", "{\"Apps\": [{\"script\": \"a.js\"}]}", ":1:2: Apps: unknown field (did you mean 'apps'?)");
        fails("eco.yml", "apps:\n  - script: a.js\ndeploi: {}\n", ":3:1: deploi: unknown field (did you mean 'deploy'?)");
    }

    @Test
    void otherKeysBesideTheAppsAreWarnings() throws ConfigException {
        LoadedApps loaded = load("eco.yml", """
                apps:
                  - script: a.js
                static:
                  - {path: ./public, port: 8080}
                version: 2
                env: {A: 1}
                """);

        assertThat(loaded.apps()).hasSize(1);
        assertThat(loaded.warnings()).containsExactly(
                "static: herd does not serve static folders (PM2's pm2 serve), ignored",
                "version: not a PM2 or herd field, ignored",
                "env: an app field outside the apps list (PM2 ignores it there too), ignored");
    }

    @Test
    void pm2IsPm2sOtherNameForApps() throws ConfigException {
        assertThat(load("eco.yml", "pm2:\n  - script: a.js\n").apps()).extracting(AppSpec::name).containsExactly("a");
        fails("eco.yml", "apps:\n  - script: a.js\npm2:\n  - script: b.js\n",
                ":3:1: pm2: same field as apps, which is also set: keep one");
    }

    @Test
    void aFileThatIsOneAppMayHaveADeploySection() throws ConfigException {
        LoadedApps loaded = load("eco.yml", "script: a.js\ndeploy: {production: {user: node}}\n");

        assertThat(loaded.apps()).extracting(AppSpec::name).containsExactly("a");
        assertThat(loaded.warnings()).containsExactly("deploy: herd does not deploy (PM2's pm2 deploy), ignored");
    }
}
