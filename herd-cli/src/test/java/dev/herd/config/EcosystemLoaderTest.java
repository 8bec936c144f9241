package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.MemoryLimit;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.StopPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EcosystemLoaderTest {

    @TempDir
    Path tmp;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(tmp);
    }

    private AppSpec only(LoadedApps loaded) {
        assertThat(loaded.apps()).hasSize(1);
        return loaded.apps().get(0);
    }

    private LoadedApps load(String fileName, String content) throws ConfigException {
        return fx.loader().load(fx.file(fileName, content), fx.env(), null, null);
    }

    @Test
    void mapsEveryFieldOfAFullYamlFile() throws ConfigException {
        fx.file("app/server.js");
        Path eco = fx.file("ecosystem.yml", """
                apps:
                  - name: api
                    script: server.js
                    args: "--port 3000 --msg 'hello world'"
                    interpreter: node
                    node_args: [--max-old-space-size=256]
                    cwd: app
                    instances: 3
                    exec_mode: fork
                    env:
                      NODE_ENV: development
                      PORT: 3000
                      DEBUG: true
                    env_production:
                      NODE_ENV: production
                    autorestart: false
                    max_restarts: 5
                    min_uptime: 2s
                    restart_delay: 250
                    exp_backoff_restart_delay: 100ms
                    stop_exit_codes: [0, 3]
                    kill_timeout: 1m
                    kill_signal: INT
                    out_file: logs/api.out
                    error_file: /var/log/api.err
                    merge_logs: true
                    log_date_format: YYYY-MM-DD HH:mm Z
                    max_size: 5M
                    retain: 3
                """);

        LoadedApps loaded = fx.loader().load(eco, fx.env(), "production", null);

        Map<String, String> env = new HashMap<>(fx.env());
        env.putAll(Map.of("NODE_ENV", "production", "PORT", "3000", "DEBUG", "true"));
        assertThat(loaded.warnings()).isEmpty();
        assertThat(only(loaded)).isEqualTo(new AppSpec(
                "api",
                fx.path("app/server.js"),
                fx.path("bin/node"),
                List.of("--max-old-space-size=256"),
                List.of("--port", "3000", "--msg", "hello world"),
                fx.path("app"),
                env,
                3,
                new RestartPolicy(false, 5, Duration.ofSeconds(2), Duration.ofMillis(250), Duration.ofMillis(100),
                        Set.of(0, 3)),
                new StopPolicy(Signal.SIGINT, Duration.ofMinutes(1)),
                new LogPolicy(fx.path("logs/api.out"), Path.of("/var/log/api.err"), true, "YYYY-MM-DD HH:mm Z",
                        5L * 1024 * 1024, 3),
                null,
                null, null, null, null, null, null,
                "default",
                true,
                eco,
                Map.of("NODE_ENV", "production", "PORT", "3000", "DEBUG", "true")));
    }

    @Test
    void readsTheNamespaceAndAutostartAndKeepsTheFileAndTheAppsOwnVariables() throws ConfigException {
        fx.file("a.js");

        LoadedApps loaded = load("eco.yml", """
                apps:
                  - script: a.js
                    namespace: jobs
                    autostart: false
                    port: 3000
                    env: {A: "1"}
                  - name: b
                    script: a.js
                """);

        AppSpec a = loaded.apps().get(0);
        assertThat(loaded.warnings()).isEmpty();
        assertThat(a.namespace()).isEqualTo("jobs");
        assertThat(a.autostart()).isFalse();
        assertThat(a.source()).isEqualTo(fx.path("eco.yml"));
        assertThat(a.ownEnv()).isEqualTo(Map.of("A", "1", "PORT", "3000"));
        assertThat(loaded.apps().get(1).namespace()).isEqualTo(AppSpec.DEFAULT_NAMESPACE);
        assertThat(loaded.apps().get(1).autostart()).isTrue();
    }

    @Test
    void fillsPm2DefaultsAndDerivesTheNameFromTheScript() throws ConfigException {
        fx.file("worker.py");

        AppSpec app = only(load("eco.yaml", "apps:\n  - script: worker.py\n"));

        assertThat(app.name()).isEqualTo("worker");
        assertThat(app.cwd()).isEqualTo(tmp);
        assertThat(app.instances()).isEqualTo(1);
        assertThat(app.args()).isEmpty();
        Map<String, String> env = new HashMap<>(fx.env());
        env.put("PYTHONUNBUFFERED", "1");
        assertThat(app.env()).isEqualTo(env);
        assertThat(app.restart()).isEqualTo(RestartPolicy.DEFAULT);
        assertThat(app.stop()).isEqualTo(StopPolicy.DEFAULT);
        assertThat(app.logs()).isEqualTo(new LogPolicy(fx.home.resolve("logs/worker-out.log"),
                fx.home.resolve("logs/worker-error.log"), false, null, LogPolicy.DEFAULT_MAX_SIZE,
                LogPolicy.DEFAULT_RETAIN));
    }

    @Test
    void readsJsonWithPm2sOtherFieldNames() throws ConfigException {
        fx.file("index.js");

        AppSpec app = only(load("process.json", """
                {
                  // PM2 reads JSON files leniently
                  "apps": [{
                    "name": "web",
                    "script": "index.js",
                    "args": ["--port", 8080],
                    "interpreter_args": "--inspect",
                    "err_file": "web.err",
                    "combine_logs": true,
                    "exec_mode": "fork_mode",
                    "stop_exit_codes": 0,
                    "kill_timeout": 3000,
                    "kill_signal": "SIGUSR2",
                  }]
                }
                """));

        assertThat(app.args()).containsExactly("--port", "8080");
        assertThat(app.interpreterArgs()).containsExactly("--inspect");
        assertThat(app.logs().errorFile()).isEqualTo(fx.path("web.err"));
        assertThat(app.logs().mergeLogs()).isTrue();
        assertThat(app.restart().stopExitCodes()).containsExactly(0);
        assertThat(app.stop()).isEqualTo(new StopPolicy(Signal.SIGUSR2, Duration.ofSeconds(3)));
    }

    @Test
    void acceptsABareListOfApps() throws ConfigException {
        fx.file("a.js");
        fx.file("b.js");

        LoadedApps loaded = load("apps.json", "[{\"script\": \"a.js\"}, {\"script\": \"b.js\"}]");

        assertThat(loaded.apps()).extracting(AppSpec::name).containsExactly("a", "b");
    }

    @Test
    void acceptsASingleAppObject() throws ConfigException {
        fx.file("a.js");

        assertThat(only(load("app.yml", "name: solo\nscript: a.js\n")).name()).isEqualTo("solo");
    }

    @Test
    void resolvesRelativePathsAgainstTheFileAndTheScriptAgainstCwd() throws ConfigException {
        fx.executable("srv/bin/run");
        Path eco = fx.file("conf/eco.yml", """
                apps:
                  - name: app
                    cwd: ../srv
                    script: bin/run
                    out_file: out.log
                    error_file: ../logs/err.log
                """);

        AppSpec app = only(fx.loader().load(eco, fx.env(), null, null));

        assertThat(app.cwd()).isEqualTo(fx.path("srv"));
        assertThat(app.script()).isEqualTo(fx.path("srv/bin/run"));
        assertThat(app.interpreter()).isNull();
        assertThat(app.logs().outFile()).isEqualTo(fx.path("conf/out.log"));
        assertThat(app.logs().errorFile()).isEqualTo(fx.path("logs/err.log"));
    }

    @Test
    void runsAScriptNamedWithoutExtensionFromThePath() throws ConfigException {
        fx.executable("bin/npm");

        AppSpec app = only(load("eco.yml", "apps:\n  - script: npm\n    args: start\n"));

        assertThat(app.name()).isEqualTo("npm");
        assertThat(app.command()).containsExactly(fx.path("bin/npm").toString(), "start");
    }

    @ParameterizedTest(name = "instances: {0} on 4 cores is {1}")
    @CsvSource({"2, 2", "max, 4", "'\"max\"', 4", "0, 4", "-1, 3", "-10, 1", "'\"3\"', 3"})
    void countsInstancesWithTheInjectedCores(String written, int expected) throws ConfigException {
        fx.file("a.js");

        assertThat(only(load("eco.yml", "apps:\n  - script: a.js\n    instances: " + written + "\n")).instances())
                .isEqualTo(expected);
    }

    @ParameterizedTest(name = "-i {0} on 4 cores is {1}")
    @CsvSource({"1, 1", "max, 4", "-1, 3", "0, 4"})
    void instancesFromTheCommandLineOverrideEveryApp(String override, int expected) throws ConfigException {
        fx.file("a.js");
        fx.file("b.js");
        Path eco = fx.file("eco.yml", "apps:\n  - script: a.js\n    instances: 2\n  - script: b.js\n");

        LoadedApps loaded = fx.loader().load(eco, fx.env(), null, override);

        assertThat(loaded.apps()).extracting(AppSpec::instances).containsExactly(expected, expected);
    }

    @Test
    void mergesClientEnvThenEnvThenTheChosenEnvName() throws ConfigException {
        fx.file("a.js");
        Path eco = fx.file("eco.yml", """
                apps:
                  - script: a.js
                    env:
                      FROM_ENV: env
                      SHARED: env
                    env_staging:
                      SHARED: staging
                      RATIO: 1.50
                    env_production:
                      SHARED: production
                """);
        Map<String, String> client = fx.env();
        client.put("FROM_CLIENT", "client");
        client.put("FROM_ENV", "client");
        client.put("SHARED", "client");

        Map<String, String> plain = only(fx.loader().load(eco, client, null, null)).env();
        Map<String, String> staging = only(fx.loader().load(eco, client, "staging", null)).env();

        assertThat(plain).containsEntry("FROM_CLIENT", "client").containsEntry("FROM_ENV", "env")
                .containsEntry("SHARED", "env").doesNotContainKey("RATIO");
        assertThat(staging).containsEntry("FROM_CLIENT", "client").containsEntry("FROM_ENV", "env")
                .containsEntry("SHARED", "staging").containsEntry("RATIO", "1.50");
    }

    @Test
    void envNameDefinedByOneAppOnlyLeavesTheOthersOnEnv() throws ConfigException {
        fx.file("a.js");
        fx.file("b.js");
        Path eco = fx.file("eco.yml", """
                apps:
                  - script: a.js
                    env: {MODE: dev}
                    env_production: {MODE: prod}
                  - script: b.js
                    env: {MODE: dev}
                """);

        LoadedApps loaded = fx.loader().load(eco, fx.env(), "production", null);

        assertThat(loaded.apps()).extracting(app -> app.env().get("MODE")).containsExactly("prod", "dev");
    }

    @Test
    void warnsAboutPm2FieldsHerdDoesNotImplementYet() throws ConfigException {
        fx.file("a.js");

        LoadedApps loaded = load("eco.yml", """
                apps:
                  - script: a.js
                    vizion: true
                    exec_mode: cluster
                    instances: 2
                deploy:
                  production: {user: node}
                """);

        assertThat(loaded.apps()).hasSize(1);
        assertThat(loaded.apps().get(0).instances()).isEqualTo(2);
        assertThat(loaded.warnings()).containsExactly(
                "deploy: herd does not deploy (PM2's pm2 deploy), ignored",
                "apps[0].vizion: herd does not track versions, ignored",
                "apps[0].exec_mode: cluster mode without a port (no port field, no env.PORT): no balancer; a Node.js"
                        + " app's instances share each port they listen on through herd, as under PM2, and other"
                        + " programs' run side by side and share no port");
        assertThat(loaded.apps().get(0).sharesListens()).as("a Node app, as PM2 would run it").isTrue();
    }

    @Test
    void maxMemoryRestartTakesPm2sSizesAndAnIntervalOfHerdsOwn() throws ConfigException {
        fx.file("a.js");

        List<AppSpec> apps = load("eco.yml", """
                apps:
                  - {name: a, script: a.js, max_memory_restart: 300M}
                  - {name: b, script: a.js, max_memory_restart: 1G, memory_check_interval: 2s}
                  - {name: c, script: a.js, max_memory_restart: 1048576}
                  - {name: d, script: a.js}
                """).apps();

        assertThat(apps.get(0).memoryLimit()).isEqualTo(new MemoryLimit(300L << 20, MemoryLimit.DEFAULT_INTERVAL));
        assertThat(apps.get(1).memoryLimit()).isEqualTo(new MemoryLimit(1L << 30, Duration.ofSeconds(2)));
        assertThat(apps.get(2).memoryLimit().maxBytes()).isEqualTo(1L << 20);
        assertThat(apps.get(3).memoryLimit()).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "max_memory_restart: 300X | eco.yml:2:40: apps[0].max_memory_restart: expected bytes or a size",
            "max_memory_restart: 0 | apps[0].max_memory_restart: must be more than 0",
            "max_memory_restart: 100 | apps[0].max_memory_restart: 100 bytes is less than any process holds, so every"
                    + " instance would restart at each check: give a unit, as in '100M'",
            "'max_memory_restart: 1G, memory_check_interval: 500ms' | apps[0].memory_check_interval: must be at least 1s",
            "'max_memory_restart: 1G, memory_check_interval: 2' | memory_check_interval: must be at least 1s (the daemon"
                    + " samples memory every second), got 2 ms",
    })
    void aWrongMemoryLimitNamesItsField(String fields, String message) {
        fx.file("a.js");

        assertThatThrownBy(() -> load("eco.yml", "apps:\n  - {script: a.js, " + fields + "}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0} runs with {1}")
    @CsvSource({
            "app.js, node", "app.cjs, node", "app.mjs, node", "app.py, python3", "app.sh, bash",
            "App.java, java", "app.jar, java",
    })
    void choosesTheInterpreterByExtension(String script, String interpreter) throws ConfigException {
        fx.file(script);

        AppSpec app = only(load("eco.yml", "apps:\n  - script: " + script + "\n"));

        assertThat(app.interpreter()).isEqualTo(fx.path("bin/" + interpreter));
    }

    @Test
    void runsAJarWithJvmArgsAndDashJarFromJavaHome() throws ConfigException {
        fx.file("svc.jar");
        Path javaHomeJava = fx.executable("jdk/bin/java");
        Map<String, String> env = fx.env();
        env.put("JAVA_HOME", fx.path("jdk").toString());
        Path eco = fx.file("eco.yml", """
                apps:
                  - script: svc.jar
                    jvm_args: -Xmx256m -Dherd=1
                    interpreter_args: [-XX:+UseZGC]
                    args: serve
                """);

        AppSpec app = only(fx.loader().load(eco, env, null, null));

        assertThat(app.command()).containsExactly(javaHomeJava.toString(), "-Xmx256m", "-Dherd=1", "-XX:+UseZGC",
                "-jar", fx.path("svc.jar").toString(), "serve");
    }

    @Test
    void runsJavaSourceWithTheSourceLauncher() throws ConfigException {
        fx.file("Main.java");

        AppSpec app = only(load("eco.yml", "apps:\n  - script: Main.java\n    jvm_args: [-Xss1m]\n"));

        assertThat(app.command()).containsExactly(fx.path("bin/java").toString(), "-Xss1m",
                fx.path("Main.java").toString());
    }

    @Test
    void executesAnExecutableWithoutExtension() throws ConfigException {
        fx.executable("server");

        AppSpec app = only(load("eco.yml", "apps:\n  - script: server\n"));

        assertThat(app.interpreter()).isNull();
        assertThat(app.command()).containsExactly(fx.path("server").toString());
    }

    @Test
    void interpreterNoneExecutesTheScript() throws ConfigException {
        fx.executable("tool.py");

        AppSpec app = only(load("eco.yml", "apps:\n  - script: tool.py\n    interpreter: none\n"));

        assertThat(app.interpreter()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"python3", "bin/python3"})
    void findsANamedInterpreterOnThePathOrByPath(String interpreter) throws ConfigException {
        fx.file("a.txt");

        AppSpec app = only(load("eco.yml", "apps:\n  - script: a.txt\n    interpreter: " + interpreter + "\n"));

        assertThat(app.interpreter()).isEqualTo(fx.path("bin/python3"));
    }

    @Test
    void isEcosystemFileKnowsPm2sFileNames() {
        assertThat(List.of("ecosystem.yml", "a.YAML", "process.json", "ecosystem.config.js", "x.config.cjs",
                "x.config.mjs")).allMatch(EcosystemLoader::isEcosystemFile);
        assertThat(List.of("app.js", "server.jar", "config.js", "run", "python3 -m http.server"))
                .noneMatch(EcosystemLoader::isEcosystemFile);
    }
}
