package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.RestartTriggers;
import dev.herd.supervisor.WatchSpec;
import dev.herd.watch.CronSchedule;

/** watch, ignore_watch, watch_delay, watch_options and cron_restart as PM2 files and flags write them. */
class WatchConfigTest {

    @TempDir
    Path tmp;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(tmp);
        fx.file("srv/app.js");
    }

    private LoadedApps load(String content) throws ConfigException {
        return fx.loader().load(fx.file("eco.yml", content), fx.env(), null, null);
    }

    private RestartTriggers only(String app) throws ConfigException {
        return load("apps:\n  - " + app).apps().get(0).triggers();
    }

    private String dir(String relative) {
        return fx.path(relative).toString();
    }

    @Test
    void watchTrueWatchesTheAppsCwdAsPm2() throws ConfigException {
        RestartTriggers t = only("{script: app.js, cwd: srv, watch: true}");

        assertThat(t.watch()).isEqualTo(new WatchSpec(true, List.of(dir("srv")), List.of(), WatchSpec.DEFAULT_DELAY,
                true, -1));
        assertThat(t.cron()).isNull();
    }

    @Test
    void watchedPathsAreReadFromTheCwdAndMayBeGlobs() throws ConfigException {
        RestartTriggers t = only("{script: app.js, cwd: srv, watch: [lib, ../shared, 'src/**/*.ts', config.json]}");

        assertThat(t.watch().paths()).containsExactly(dir("srv/lib"), dir("shared"), dir("srv/src/**/*.ts"),
                dir("srv/config.json"));
    }

    @Test
    void aPathOrAnEmptyListAreAsPm2ReadsThem() throws ConfigException {
        assertThat(only("{script: srv/app.js, watch: srv}").watch().paths()).containsExactly(dir("srv"));
        assertThat(only("{script: srv/app.js, watch: []}").watch().paths()).containsExactly(tmp.toString());
    }

    @Test
    void watchFalseIsNoWatchAndNoWarningButKeepsTheSettingsForStartWatch() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - script: srv/app.js
                    watch: false
                    ignore_watch: [node_modules, logs]
                    watch_delay: 1000
                """);

        WatchSpec w = loaded.apps().get(0).triggers().watch();
        assertThat(w.active()).isFalse();
        assertThat(w.ignore()).containsExactly("node_modules", "logs");
        assertThat(w.delay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void ignoreWatchDelayAndTheChokidarOptionsThatMeanSomething() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - script: srv/app.js
                    watch: true
                    ignore_watch: "*.log"
                    watch_delay: 2s
                    watch_options:
                      followSymlinks: false
                      depth: 3
                      ignored: [tmp, "dist/**/*.map"]
                      usePolling: true
                      interval: 1000
                      awaitWriteFinish: true
                      persistent: true
                      alwaysWatch: 1
                """);

        WatchSpec w = loaded.apps().get(0).triggers().watch();
        assertThat(w).isEqualTo(new WatchSpec(true, List.of(tmp.toString()), List.of("*.log", "tmp", "dist/**/*.map"),
                Duration.ofSeconds(2), false, 3));
        assertThat(loaded.warnings()).containsExactly(
                "apps[0].watch_options.usePolling: herd watches with inotify and does not poll, ignored (a network or"
                        + " container-mounted folder may report no changes)",
                "apps[0].watch_options.alwaysWatch: not a chokidar option herd knows, ignored");
    }

    @Test
    void cronRestartAndItsAliasCron() throws ConfigException {
        assertThat(only("{script: srv/app.js, cron_restart: '0 0 * * *'}").cron()).isEqualTo("0 0 * * *");
        assertThat(only("{script: srv/app.js, cron: '*/5  *  * * *'}").cron()).isEqualTo("*/5 * * * *");
        assertThat(only("{script: srv/app.js, cron_restart: '*/10 * * * * *'}").cron()).isEqualTo("*/10 * * * * *");
        assertThat(only("{script: srv/app.js, cron_restart: '@daily'}").cron()).isEqualTo("@daily");
    }

    @Test
    void cronRestartZeroMeansNoneAsInPm2() throws ConfigException {
        assertThat(only("{script: srv/app.js, cron_restart: 0}")).isEqualTo(RestartTriggers.NONE);
        assertThat(only("{script: srv/app.js, cron_restart: '0'}")).isEqualTo(RestartTriggers.NONE);
    }

    @Test
    void aBadCronExpressionNamesFileLineAndField() {
        Path file = fx.file("eco.yml", """
                apps:
                  - script: srv/app.js
                    cron_restart: "0 25 * * *"
                """);

        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ":3:19: apps[0].cron_restart: value 25 not in range [0, 23]: expected "
                        + CronSchedule.EXPECTED);
    }

    @Test
    void aCronExpressionWithTheWrongNumberOfFieldsSaysHowMany() {
        Path file = fx.file("eco.yml", "apps:\n  - {script: srv/app.js, cron: '0 0 *'}\n");

        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null))
                .hasMessage(file + ":2:32: apps[0].cron: has 3 fields, expected 5 (minute hour day month weekday) or 6"
                        + " (with seconds first)");
    }

    @Test
    void cronAndCronRestartTogetherAreOneFieldTwice() {
        Path file = fx.file("eco.yml", "apps:\n  - {script: srv/app.js, cron: '0 0 * * *', cron_restart: '0 1 * * *'}\n");

        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null))
                .hasMessageContaining("apps[0].cron_restart: same field as cron, which is also set: keep one");
    }

    @Test
    void wrongTypesAreErrorsAtTheValue() {
        Path file = fx.file("eco.yml", "apps:\n  - {script: srv/app.js, watch: 3}\n");
        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null))
                .hasMessage(file + ":2:33: apps[0].watch: expected true, false, a path or a list of paths, got 3");

        Path list = fx.file("eco.json", "{\"apps\": [{\"script\": \"srv/app.js\", \"watch\": true,"
                + " \"ignore_watch\": [\"logs\", {}]}]}");
        assertThatThrownBy(() -> fx.loader().load(list, fx.env(), null, null))
                .hasMessageContaining("apps[0].ignore_watch[1]: expected a string, got an object (a regular expression"
                        + " in a .js file reaches herd as {}: write it as a glob string, such as '*.log')");
    }

    @Test
    void startFlagsWatchTheCwdWithPm2sSecondsForTheDelay() throws ConfigException {
        AppSpec spec = fx.loader().fromCommand(new StartCommand("srv/app.js", tmp, null, null, List.of(), null,
                List.of(), fx.env(), null, null, null, new StartCommand.Triggers(true, List.of("logs,tmp", "*.log"), "1.5",
                        "0 3 * * *"), null, true, true)).apps().get(0);

        assertThat(spec.triggers()).isEqualTo(new RestartTriggers(new WatchSpec(true, List.of(tmp.toString()),
                List.of("logs", "tmp", "*.log"), Duration.ofMillis(1500), true, -1), "0 3 * * *"));
    }

    @Test
    void aBadFlagNamesTheFlag() {
        assertThatThrownBy(() -> fx.loader().fromCommand(new StartCommand("srv/app.js", tmp, null, null, List.of(),
                null, List.of(), fx.env(), null, null, null, new StartCommand.Triggers(false, List.of(), null, "61 * * * *"), null, true, true)))
                .hasMessage("start --cron-restart: '61 * * * *' value 61 not in range [0, 59]: expected "
                        + CronSchedule.EXPECTED);
        assertThatThrownBy(() -> fx.loader().fromCommand(new StartCommand("srv/app.js", tmp, null, null, List.of(),
                null, List.of(), fx.env(), null, null, null, new StartCommand.Triggers(false, List.of("logs"), null, null), null, true, true)))
                .hasMessage("start --ignore-watch: only used with --watch");
    }

    @Test
    void watchFlagOverAFilesAppTurnsItsWatchOnAndKeepsItsOwnFields() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - {name: a, script: srv/app.js, watch: false, ignore_watch: [logs]}
                  - {name: b, script: app.js, cwd: srv, cron: '0 1 * * *'}
                """);
        StartCommand.Triggers flags = new StartCommand.Triggers(true, List.of(), null, "0 2 * * *");

        RestartTriggers a = flags.applyTo(loaded.apps().get(0)).triggers();
        RestartTriggers b = flags.applyTo(loaded.apps().get(1)).triggers();

        assertThat(a.watch().active()).isTrue();
        assertThat(a.watch().ignore()).containsExactly("logs");
        assertThat(a.cron()).isEqualTo("0 2 * * *");
        assertThat(b.watch().paths()).containsExactly(dir("srv"));
        assertThat(b.cron()).isEqualTo("0 1 * * *");
    }
}
