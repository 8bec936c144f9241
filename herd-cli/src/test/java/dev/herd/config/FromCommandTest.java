package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.StopPolicy;
import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.Signal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FromCommandTest {

    @TempDir
    Path tmp;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(tmp);
    }

    private StartCommand command(String target, String name, String instances, List<String> args) {
        return new StartCommand(target, tmp, name, instances, args, null, List.of(), fx.env());
    }

    private AppSpec start(StartCommand command) throws ConfigException {
        LoadedApps loaded = fx.loader(8).fromCommand(command);
        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.apps()).hasSize(1);
        return loaded.apps().get(0);
    }

    @Test
    void startsAScriptWithDefaults() throws ConfigException {
        fx.file("api/server.js");

        AppSpec app = start(command("api/server.js", null, null, List.of("--port", "3000")));

        assertThat(app).isEqualTo(new AppSpec("server", fx.path("api/server.js"), fx.path("bin/node"), List.of(),
                List.of("--port", "3000"), tmp, fx.env(), 1, RestartPolicy.DEFAULT, StopPolicy.DEFAULT,
                new LogPolicy(fx.home.resolve("logs/server-out.log"), fx.home.resolve("logs/server-error.log"),
                        false, null, LogPolicy.DEFAULT_MAX_SIZE, LogPolicy.DEFAULT_RETAIN)));
    }

    @Test
    void takesTheNamespaceAndTheNoAutorestartAndNoAutostartFlags() throws ConfigException {
        fx.file("job.sh");

        AppSpec app = start(new StartCommand("job.sh", tmp, null, null, List.of(), null, List.of(), fx.env(), null, null,
                null, null, "batch", false, false));

        assertThat(app.namespace()).isEqualTo("batch");
        assertThat(app.restart().autorestart()).isFalse();
        assertThat(app.restart().maxRestarts()).isEqualTo(RestartPolicy.DEFAULT.maxRestarts());
        assertThat(app.autostart()).isFalse();
        assertThat(app.source()).isNull();
        assertThat(app.ownEnv()).isEmpty();
        assertThatThrownBy(() -> start(new StartCommand("job.sh", tmp, null, null, List.of(), null, List.of(), fx.env(),
                null, null, null, null, "", true, true))).hasMessage("start --namespace: must not be empty");
    }

    @Test
    void honoursNameInstancesAndInterpreter() throws ConfigException {
        fx.file("job.txt");

        AppSpec app = start(new StartCommand("job.txt", tmp, "batch", "-2", List.of(), "python3", List.of("-u"),
                fx.env()));

        assertThat(app.name()).isEqualTo("batch");
        assertThat(app.instances()).isEqualTo(6);
        assertThat(app.command()).containsExactly(fx.path("bin/python3").toString(), "-u",
                fx.path("job.txt").toString());
    }

    @Test
    void runsACommandLineFromThePath() throws ConfigException {
        AppSpec app = start(command("python3 -m http.server 'port 8080'", null, "max", List.of("--bind", "::")));

        assertThat(app.name()).isEqualTo("python3");
        assertThat(app.script()).isEqualTo(fx.path("bin/python3"));
        assertThat(app.interpreter()).isNull();
        assertThat(app.args()).containsExactly("-m", "http.server", "port 8080", "--bind", "::");
        assertThat(app.instances()).isEqualTo(8);
    }

    @Test
    void runsACommandLineWhoseFirstWordIsAScript() throws ConfigException {
        fx.file("app.js");

        AppSpec app = start(command("app.js --port 1", "web", null, List.of()));

        assertThat(app.command()).containsExactly(fx.path("bin/node").toString(), fx.path("app.js").toString(),
                "--port", "1");
    }

    @Test
    void scriptNotFound() {
        assertThatThrownBy(() -> fx.loader().fromCommand(command("x.js", null, null, List.of())))
                .hasMessage("start: script 'x.js' not found in " + tmp);
    }

    @Test
    void neitherAFileNorACommand() {
        assertThatThrownBy(() -> fx.loader().fromCommand(command("foo --bar", null, null, List.of())))
                .hasMessage("start: 'foo' is not a file in " + tmp + " nor a command on PATH");
    }

    @Test
    void binaryNotExecutable() {
        fx.binary("run");
        assertThatThrownBy(() -> fx.loader().fromCommand(command("run", null, null, List.of())))
                .hasMessage("start: '" + tmp.resolve("run") + "' is not executable: chmod +x it, or set interpreter");
    }

    @Test
    void badOptions() {
        fx.file("app.js");
        assertThatThrownBy(() -> fx.loader().fromCommand(command("app.js", null, "some", List.of())))
                .hasMessage("start -i: expected a whole number or 'max', got 'some'");
        assertThatThrownBy(() -> fx.loader().fromCommand(command("app.js", "all", null, List.of())))
                .hasMessage("start --name: 'all' is reserved: commands read it as every app");
        assertThatThrownBy(() -> fx.loader().fromCommand(new StartCommand("app.js", tmp, null, null, List.of(),
                "deno", List.of(), fx.env())))
                .hasMessage("start --interpreter: 'deno' not found on PATH (" + fx.bin + ")");
        assertThatThrownBy(() -> fx.loader().fromCommand(command("'unclosed", null, null, List.of())))
                .hasMessage("start: unclosed single quote in \"'unclosed\"");
    }

    private StartCommand withPolicies(String target, Integer port, StartCommand.Policies policies) {
        return new StartCommand(target, tmp, null, null, List.of(), null, List.of(), fx.env(), port, null, null, null,
                null, true, true, policies);
    }

    @Test
    void pm2sRestartStopAndReadinessFlagsSetWhatTheFileFieldsOfTheirNamesSet() throws ConfigException {
        fx.file("job.sh");

        AppSpec app = start(withPolicies("job.sh", null, new StartCommand.Policies("1500", 3, "2s", "250", "100",
                true, "4s", true, true)));

        assertThat(app.restart()).isEqualTo(new RestartPolicy(true, 3, Duration.ofSeconds(2), Duration.ofMillis(250),
                Duration.ofMillis(100), RestartPolicy.DEFAULT.stopExitCodes()));
        assertThat(app.stop()).isEqualTo(new StopPolicy(Signal.SIGTERM, Duration.ofMillis(1500), true, true));
        assertThat(app.waitReady()).isEqualTo(Duration.ofSeconds(4));

        LoadedApps cluster = fx.loader().fromCommand(withPolicies("job.sh", 8000, new StartCommand.Policies(null, null,
                null, null, null, true, "20s", false, false)));
        ClusterSpec spec = cluster.clusterOf(cluster.apps().get(0).name());
        assertThat(spec.waitReady()).isTrue();
        assertThat(spec.listenTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(cluster.apps().get(0).waitReady()).as("cluster mode has its own rule").isNull();
    }

    @Test
    void aWrongPolicyFlagNamesTheFlag() {
        fx.file("job.sh");
        assertThatThrownBy(() -> start(withPolicies("job.sh", null, new StartCommand.Policies("soon", null, null, null,
                null, false, null, false, false)))).hasMessage("start --kill-timeout: expected " + Durations.EXPECTED
                + ", got 'soon'");
        assertThatThrownBy(() -> start(withPolicies("job.sh", null, new StartCommand.Policies(null, null, null, null,
                null, false, "5s", false, false)))).hasMessage("start --listen-timeout: applies with --wait-ready, or in"
                + " cluster mode (--port)");
    }
}
