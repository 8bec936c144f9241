package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;

import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.monit.Cells;
import dev.herd.monit.Dashboard;

/** A real {@code herd monit} in tmux, against a real daemon in its own HERD_HOME. */
class MonitIT {

    private static final Pattern ICANON = Pattern.compile("(^|\\s)icanon(\\s|$)", Pattern.MULTILINE);
    private static final Pattern ECHO = Pattern.compile("(^|\\s)echo(\\s|$)", Pattern.MULTILINE);

    @TempDir
    Path tmp;

    private Herd herd;
    private Tmux tmux;

    @BeforeEach
    void setUp() throws Exception {
        herd = new Herd(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (tmux != null) {
            tmux.close();
        }
        herd.close();
    }

    /** Writes its history at once, then one fresh line each time the test creates {@code <name>.go}. */
    private static String app(String name) {
        return "echo '" + name + "-history-1'\n"
                + "echo '" + name + "-history-2 café-日本'\n"
                + "echo '" + name + "-err-history' >&2\n"
                + "while :; do\n"
                + "  if [ -e " + name + ".go ]; then rm -f " + name + ".go; echo '" + name + "-fresh-line'; fi\n"
                + "  sleep 0.1\n"
                + "done\n";
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100));
    }

    private String monitCommand() {
        return Herd.javaCommand().stream().map(a -> "'" + a + "'").collect(Collectors.joining(" ")) + " monit";
    }

    private Tmux tmux(int width, int height) throws Exception {
        tmux = new Tmux(tmp, herd.work, width, height, Map.of("HERD_HOME", herd.home.toString(), "LANG", "C.UTF-8"));
        return tmux;
    }

    private String text() throws Exception {
        return String.join("\n", tmux.screen());
    }

    private JsonNode instance(int id) throws Exception {
        for (JsonNode i : herd.list()) {
            if (i.path("id").asInt() == id) {
                return i;
            }
        }
        throw new AssertionError("no instance " + id);
    }

    private void startApps(String... names) throws Exception {
        for (String name : names) {
            herd.script(name + ".sh", app(name));
            herd.run("start", name + ".sh").ok();
        }
        for (JsonNode i : herd.list()) {
            Path out = Path.of(i.path("outLog").asText());
            Path err = Path.of(i.path("errLog").asText());
            String name = i.path("name").asText();
            eventually().until(() -> Files.exists(out) && Files.readString(out).contains(name + "-history-2")
                    && Files.exists(err) && Files.readString(err).contains(name + "-err-history"));
        }
    }

    private void assertTheTerminalIsBack() throws Exception {
        eventually().until(() -> tmux.format("#{alternate_on}").equals("0"));
        assertThat(tmux.format("#{cursor_flag}")).as("cursor shown").isEqualTo("1");
        assertThat(text()).contains("BEFORE-MONIT").doesNotContain("q quit");
        // Keys typed while monit's JVM is still exiting may be read by its input thread, so the
        // check waits for the shell to be back in charge.
        eventually().until(() -> text().contains("monit said "));
        tmux.type("stty -a; echo STTY-DONE");
        eventually().until(() -> text().contains("\nSTTY-DONE"));
        String stty = text();
        assertThat(ICANON.matcher(stty).find()).as("icanon in %s", stty).isTrue();
        assertThat(ECHO.matcher(stty).find()).as("echo in %s", stty).isTrue();
    }

    @Test
    void listsShowsHistoryAndNewLinesMovesRestartsResizesAndRestoresTheTerminalOnCtrlC() throws Exception {
        startApps("alpha", "beta");
        long alphaPid = instance(0).path("pid").asLong();
        tmux(120, 40);
        tmux.type("clear; echo BEFORE-MONIT; " + monitCommand() + "; echo \"monit said $?\"");

        eventually().until(() -> text().contains("herd monit") && text().contains("alpha-err-history"));
        assertThat(tmux.format("#{alternate_on}")).isEqualTo("1");
        String first = text();
        assertThat(first).doesNotContain("BEFORE-MONIT");
        assertThat(first).containsPattern("▶ +0 alpha +fork +online").containsPattern("\n +1 beta +fork +online");
        assertThat(first).contains("━━ alpha[0] · id 0 · fork").contains("pid " + alphaPid)
                .contains("alpha-history-1").contains("alpha-history-2 café-日本").contains("err alpha-err-history")
                .doesNotContain("beta-history-1");

        Files.writeString(herd.work.resolve("alpha.go"), "");
        eventually().until(() -> text().contains("alpha-fresh-line"));
        assertThat(text()).contains("alpha-history-1");

        tmux.send("j");
        eventually().until(() -> text().contains("━━ beta[0] · id 1 · fork") && text().contains("beta-err-history"));
        assertThat(text()).containsPattern("▶ +1 beta").doesNotContain("alpha-history-1").doesNotContain("alpha-fresh-line");
        Files.writeString(herd.work.resolve("beta.go"), "");
        eventually().until(() -> text().contains("beta-fresh-line"));

        tmux.send("k");
        eventually().until(() -> text().contains("━━ alpha[0] · id 0 · fork") && text().contains("alpha-fresh-line"));
        tmux.send("r");
        eventually().until(() -> instance(0).path("restarts").asInt() == 1);
        assertThat(instance(0).path("pid").asLong()).isNotEqualTo(alphaPid);
        assertThat(instance(1).path("restarts").asInt()).isZero();
        eventually().until(() -> text().contains("restarted alpha[0] (id 0)"));
        eventually().until(() -> text().contains("restarts 1 (0 unstable)"));

        tmux.resize(90, 25);
        eventually().until(() -> {
            List<String> rows = tmux.screen();
            return rows.size() == 25 && rows.get(24).contains("r restart") && rows.stream()
                    .anyMatch(r -> r.startsWith("━━ alpha[0]") && Cells.width(r) == 90);
        });
        assertThat(tmux.screen()).allSatisfy(r -> assertThat(Cells.width(r)).isLessThanOrEqualTo(90));

        tmux.send("C-c");
        assertTheTerminalIsBack();
        assertThat(text()).contains("monit said 0");
    }

    @Test
    void sigtermRestoresTheTerminal() throws Exception {
        startApps("alpha");
        tmux(100, 30);
        tmux.type("clear; echo BEFORE-MONIT; " + monitCommand() + "; echo \"monit said $?\"");
        eventually().until(() -> text().contains("alpha-err-history"));
        long shell = Long.parseLong(tmux.format("#{pane_pid}"));
        ProcessHandle monit = ProcessHandle.of(shell).orElseThrow().children().findFirst().orElseThrow();
        assertThat(monit.info().commandLine().orElse("")).contains("monit");
        monit.destroy();
        assertTheTerminalIsBack();
        assertThat(text()).contains("monit said 143");
    }

    @Test
    void withoutATerminalItSaysWhatToUseInOneLineAndExits1() throws Exception {
        Herd.Result r = herd.run("monit");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo(Dashboard.NO_TERMINAL);
        assertThat(r.out()).isEmpty();
        assertThat(herd.home.resolve("daemon.pid")).as("no daemon started").doesNotExist();
    }
}
