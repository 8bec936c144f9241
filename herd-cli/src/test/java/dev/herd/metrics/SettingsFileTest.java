package dev.herd.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon settings file: what it reads, every mistake's whole line, and updates that keep the user's lines. */
class SettingsFileTest {

    @TempDir
    Path tmp;

    private SettingsFile file(String content) throws Exception {
        Path f = tmp.resolve("daemon.conf");
        Files.writeString(f, content);
        return new SettingsFile(f);
    }

    @Test
    void aMissingFileTurnsNothingOn() throws Exception {
        SettingsFile.Stored s = new SettingsFile(tmp.resolve("daemon.conf")).read();
        assertThat(s).isEqualTo(SettingsFile.Stored.NONE);
        assertThat(s.settings()).isEmpty();
    }

    @Test
    void readsCommentsBlanksAndSpacing() throws Exception {
        SettingsFile f = file("""
                # metrics for the ops team
                metrics.port=9209

                  metrics.host =  0.0.0.0\s
                metrics.token = abcdefghijklmnopqrstuvwx
                """);
        assertThat(f.read().settings()).contains(new MetricsSettings("0.0.0.0", 9209, "abcdefghijklmnopqrstuvwx"));
    }

    @Test
    void theReadmesExampleReadsAndKeepsItsCommentsThroughAnUpdate() throws Exception {
        SettingsFile f = file("""
                # herd metrics writes these lines too, and keeps the others
                metrics.port = 9209           # absent: metrics off
                metrics.host = 127.0.0.1      # the default
                # metrics.token = ...         # 16 characters or more; generated when the host needs one
                """);
        assertThat(f.read().settings()).contains(new MetricsSettings("127.0.0.1", 9209, null));
        f.save(new MetricsSettings("127.0.0.1", 9300, null));
        assertThat(Files.readString(f.path())).isEqualTo("""
                # herd metrics writes these lines too, and keeps the others
                metrics.port = 9300           # absent: metrics off
                metrics.host = 127.0.0.1      # the default
                # metrics.token = ...         # 16 characters or more; generated when the host needs one
                """);
    }

    @Test
    void hostDefaultsToLoopback() throws Exception {
        assertThat(file("metrics.port = 9209\n").read().settings()).contains(new MetricsSettings("127.0.0.1", 9209, null));
    }

    @Test
    void everyMistakeNamesFileLineAndSetting() throws Exception {
        Path f = tmp.resolve("daemon.conf");
        fails("metrics.port = 9209\nmetrics.prot = 1\n", f + ":2: metrics.prot: unknown setting (known: metrics.port, metrics.host, metrics.token)");
        fails("# c\nmetrics.port 9209\n", f + ":2: expected 'name = value', found 'metrics.port 9209'");
        fails("metrics.port = http\n", f + ":1: metrics.port: 'http' is not a port number (1-65535)");
        fails("metrics.port = 70000\n", f + ":1: metrics.port: '70000' is not a port number (1-65535)");
        fails("metrics.port = 1\nmetrics.port = 2\n", f + ":2: metrics.port: set twice (also on line 1)");
        fails("# mine\nmetrics.port = 92o9\nmetrics.hots = 127.0.0.2\n",
                f + ":2: metrics.port: '92o9' is not a port number (1-65535)");
        fails("metrics.port = 1\nmetrics.host =\n", f + ":2: metrics.host: is empty (an address, e.g. 127.0.0.1)");
        fails("metrics.token = short\n", f + ":1: metrics.token: must be at least 16 characters with no spaces"
                + " (leave it out on a non-loopback host and herd generates one)");
    }

    private void fails(String content, String message) throws Exception {
        SettingsFile f = file(content);
        assertThatThrownBy(f::read).isInstanceOf(MetricsException.class).hasMessage(message);
    }

    @Test
    void anUpdateChangesOnlyItsLinesAndKeepsTheRest() throws Exception {
        SettingsFile f = file("""
                # ours: keep the port below 10000
                metrics.port = 9209   
                # the token is for the grafana box
                metrics.token = abcdefghijklmnopqrstuvwx
                """);
        f.save(new MetricsSettings("127.0.0.2", 9300, "abcdefghijklmnopqrstuvwx"));
        assertThat(Files.readString(f.path())).isEqualTo("""
                # ours: keep the port below 10000
                metrics.port = 9300
                # the token is for the grafana box
                metrics.token = abcdefghijklmnopqrstuvwx
                metrics.host = 127.0.0.2
                """);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.path()))).isEqualTo("rw-------");
        f.update(Collections.singletonMap(SettingsFile.PORT, null));
        assertThat(Files.readString(f.path())).isEqualTo("""
                # ours: keep the port below 10000
                # the token is for the grafana box
                metrics.token = abcdefghijklmnopqrstuvwx
                metrics.host = 127.0.0.2
                """);
        assertThat(f.read().settings()).isEmpty();
    }

    @Test
    void aFileWithAMistakeIsNeverWrittenOver() throws Exception {
        String mine = "metrics.port = 9209\nmetrics.hots = 0.0.0.0  # typo\n";
        SettingsFile f = file(mine);
        assertThatThrownBy(() -> f.save(new MetricsSettings("127.0.0.1", 9300, null)))
                .isInstanceOf(MetricsException.class).hasMessageContaining(":2: metrics.hots: unknown setting");
        assertThat(Files.readString(f.path())).isEqualTo(mine);
    }
}
