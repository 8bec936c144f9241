package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.logs.LogFormat;
import dev.herd.supervisor.logs.LogRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PM2's log fields ({@code time}, {@code log_file}, {@code log_type}, {@code disable_logs}) and {@code start}'s log options. */
class LogConfigTest {

    @TempDir
    Path tmp;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(tmp);
        fx.file("app.js");
    }

    private LogPolicy logs(String fields) throws ConfigException {
        LoadedApps loaded = fx.loader().load(fx.file("eco.yml", "apps:\n  - name: api\n    script: app.js\n" + fields),
                fx.env(), null, null);
        assertThat(loaded.warnings()).isEmpty();
        return loaded.apps().get(0).logs();
    }

    private void fails(String fields, String message) {
        Path file = fx.file("bad.yml", "apps:\n  - name: api\n    script: app.js\n" + fields);
        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + message);
    }

    @Test
    void timeTrueMeansPm2sDefaultDateFormatUnlessOneIsSet() throws ConfigException {
        assertThat(logs("    time: true\n").dateFormat()).isEqualTo("YYYY-MM-DDTHH:mm:ss").isEqualTo(LogFormat.PM2_TIME);
        assertThat(logs("    time: true\n    log_date_format: 'HH:mm'\n").dateFormat()).isEqualTo("HH:mm");
        assertThat(logs("    time: false\n").dateFormat()).isNull();
        assertThat(logs("").dateFormat()).isNull();
        fails("    time: 'yes'\n", ":4:11: apps[0].time: expected true or false, got 'yes'");
    }

    @Test
    void logFileIsACombinedLogAtAPathOrAtItsDefaultPlace() throws ConfigException {
        assertThat(logs("    log_file: logs/combined.log\n").logFile()).isEqualTo(fx.path("logs/combined.log"));
        assertThat(logs("    log_file: true\n").logFile()).isEqualTo(fx.home.resolve("logs/api.log"));
        for (String none : List.of("false", "NULL", "/dev/null", "''")) {
            assertThat(logs("    log_file: " + none + "\n").logFile()).as(none).isNull();
        }
        LogPolicy split = logs("    log_file: all.log\n    instances: 2\n    exec_mode: fork\n");
        assertThat(split.logFileOf(1, 2)).isEqualTo(fx.path("all-1.log"));
        fails("    log_file: 3\n", ":4:15: apps[0].log_file: expected a file, or true for <name>.log in herd's logs"
                + " folder, or false, got 3");
    }

    @Test
    void logTypeJsonWritesJsonLinesAndRawIsTheDefault() throws ConfigException {
        assertThat(logs("    log_type: json\n").json()).isTrue();
        assertThat(logs("    log_type: raw\n").json()).isFalse();
        assertThat(logs("").json()).isFalse();
        fails("    log_type: xml\n", ":4:15: apps[0].log_type: expected 'json' or 'raw', got 'xml'");
    }

    @Test
    void disableLogsSendsEveryStreamToDevNull() throws ConfigException {
        LogPolicy off = logs("    disable_logs: true\n    out_file: out.log\n    log_file: all.log\n");
        assertThat(off.outFile()).isEqualTo(LogRegistry.DISCARD);
        assertThat(off.errorFile()).isEqualTo(LogRegistry.DISCARD);
        assertThat(off.logFile()).isNull();
        assertThat(logs("    disable_logs: false\n").outFile()).isEqualTo(fx.home.resolve("logs/api-out.log"));
    }

    private AppSpec start(StartCommand.Logs logs) throws ConfigException {
        return fx.loader().fromCommand(new StartCommand("app.js", tmp, null, null, List.of(), null, List.of(),
                fx.env(), null, null, logs, null, null, true, true)).apps().get(0);
    }

    @Test
    void startTakesPm2sLogOptions() throws ConfigException {
        LogPolicy all = start(new StartCommand.Logs("o.log", "e.log", "all.log", false, true, null, "json", false, true))
                .logs();
        assertThat(all).isEqualTo(new LogPolicy(tmp.resolve("o.log"), tmp.resolve("e.log"), true, LogFormat.PM2_TIME,
                LogPolicy.DEFAULT_MAX_SIZE, LogPolicy.DEFAULT_RETAIN, tmp.resolve("all.log"), true));
        assertThat(start(new StartCommand.Logs(null, null, null, true, false, "HH:mm", null, false, false)).logs())
                .extracting(LogPolicy::logFile, LogPolicy::dateFormat)
                .containsExactly(fx.home.resolve("logs/app.log"), "HH:mm");
        assertThat(start(new StartCommand.Logs(null, null, null, false, false, null, null, true, false)).logs().outFile())
                .isEqualTo(LogRegistry.DISCARD);
        assertThat(start(StartCommand.Logs.NONE).logs().logFile()).isNull();
    }

    @Test
    void badStartLogOptionsNameTheOption() {
        assertThatThrownBy(() -> start(new StartCommand.Logs(null, null, null, false, false, "Do", null, false, false)))
                .hasMessageStartingWith("start --log-date-format: unsupported moment token \"Do\"");
        assertThatThrownBy(() -> start(new StartCommand.Logs(null, null, null, false, false, null, "xml", false, false)))
                .hasMessage("start --log-type: expected 'json' or 'raw', got 'xml'");
    }
}
