package dev.herd.monit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.jline.utils.AttributedString;
import org.junit.jupiter.api.Test;

import dev.herd.daemon.InstanceView;
import dev.herd.daemon.StreamItem;
import dev.herd.supervisor.ExitRecord;
import dev.herd.supervisor.Signal;

class ScreenTest {

    private static final InstanceView WIDE = Views.fork(0, "café-日本", 0);
    private static final InstanceView PLAIN = Views.fork(1, "a", 0);

    private static MonitState state(int width, int height, InstanceView... views) {
        MonitState s = MonitState.initial(width, height, true);
        s = MonitModel.step(s, new MonitEvent.Listed(List.of(views), 100_000)).state();
        return s;
    }

    private static MonitState log(MonitState s, String stream, String text) {
        return MonitModel.step(s, new MonitEvent.LogLine(s.logs().generation(),
                new StreamItem("line", "café-日本", 0, 0, stream, 0, text))).state();
    }

    private static List<String> text(MonitState s) {
        return Screen.render(s).stream().map(AttributedString::toString).toList();
    }

    private static String rowOf(List<String> lines, String contains) {
        return lines.stream().filter(l -> l.contains(contains)).findFirst().orElseThrow(
                () -> new AssertionError("no line with " + contains + " in\n" + String.join("\n", lines)));
    }

    @Test
    void everySizeDownToNothingDrawsWithinTheScreen() {
        InstanceView crashed = Views.cluster(2, "api", 0, List.of(new ExitRecord(90_000, 137, Signal.SIGKILL, 4_000, false)));
        for (int width = 0; width <= 130; width += 7) {
            for (int height = 0; height <= 45; height++) {
                MonitState s = log(state(width, height, WIDE, PLAIN, crashed), "err", "x".repeat(300) + "日本");
                s = MonitModel.step(s, new MonitEvent.Outcome("restarted café-日本[0] (id 0)", false)).state();
                List<AttributedString> lines = Screen.render(s);
                assertThat(lines).as("%dx%d", width, height).hasSizeLessThanOrEqualTo(height);
                for (int i = 0; i < lines.size(); i++) {
                    int room = i == height - 1 ? width - 1 : width;
                    assertThat(lines.get(i).columnLength()).as("line %d at %dx%d", i, width, height)
                            .isLessThanOrEqualTo(Math.max(0, room));
                }
            }
        }
    }

    @Test
    void aFullSizedScreenFillsEveryRow() {
        assertThat(Screen.render(state(120, 40, WIDE, PLAIN))).hasSize(40);
    }

    @Test
    void columnsLineUpWhateverTheNamesWidth() {
        List<String> lines = text(state(120, 40, WIDE, PLAIN));
        String wide = rowOf(lines, "café-日本 ");
        String plain = rowOf(lines, " a ");
        String header = rowOf(lines, "restarts");
        int mode = Cells.width(wide.substring(0, wide.indexOf("fork")));
        assertThat(Cells.width(plain.substring(0, plain.indexOf("fork")))).isEqualTo(mode);
        assertThat(Cells.width(header.substring(0, header.indexOf("mode")))).isEqualTo(mode);
        int pid = Cells.width(wide.substring(0, wide.indexOf("1000") + 4));
        assertThat(Cells.width(plain.substring(0, plain.indexOf("1001") + 4))).isEqualTo(pid);
        assertThat(Cells.width(header.substring(0, header.indexOf("pid") + 3))).isEqualTo(pid);
    }

    @Test
    void theSelectedRowIsMarkedAndCarriesSparklinesOfItsHistory() {
        MonitState s = state(120, 40, WIDE, PLAIN);
        s = MonitModel.step(s, new MonitEvent.Listed(List.of(Views.withFigures(WIDE, 50, 40L << 20), PLAIN), 101_000))
                .state();
        String row = rowOf(text(s), "café-日本 ");
        assertThat(row).startsWith("▶").contains("50.0%").contains("40.0mb");
        // Two samples each: 1.5% then 50% of a core (half the bar: CPU scales to one core at least),
        // 20 MB then 40 MB (memory scales to the largest shown).
        assertThat(row).contains(" ▁▅ ").endsWith("▅█");
        assertThat(rowOf(text(s), " a ")).startsWith(" ");
    }

    @Test
    void theDetailsShowTheClusterPlaceAndTheLastExits() {
        InstanceView api = Views.cluster(3, "api", 1, List.of(
                new ExitRecord(40_000, 137, Signal.SIGKILL, 4_000, false),
                new ExitRecord(10_000, 1, null, 2_000, false)));
        List<String> lines = text(state(200, 40, api));
        assertThat(rowOf(lines, "api[1] · id 3 · cluster")).startsWith("━━ ");
        assertThat(rowOf(lines, "status online")).contains("pid 2003", "uptime 1h", "restarts 2 (1 unstable)",
                "cpu 12.5%", "memory 300.0mb", "public port 8000", "own port 20002", "pool ready",
                "last reload/scale reload of api done");
        assertThat(String.join("\n", lines)).contains("requests 1200 (3 in flight, 2 failed)")
                .contains("req/s 41.5  p99 18.4 ms");
        assertThat(rowOf(lines, "last exits")).contains("1m ago, signal SIGKILL after 4s", "1m ago, code 1 after 2s");
    }

    @Test
    void detailsFlowOntoTheNextLineRatherThanBeingCut() {
        List<String> lines = text(state(60, 40, Views.cluster(3, "api", 1, List.of())));
        assertThat(String.join("\n", lines)).contains("public port 8000").contains("pool ready");
    }

    @Test
    void theLogPaneShowsItsLinesWithErrorsMarkedAndLongOnesCut() {
        MonitState s = log(log(state(40, 30, WIDE), "out", "history café-日本"), "err", "boom");
        s = log(s, "out", "日本".repeat(40));
        List<String> lines = text(s);
        assertThat(rowOf(lines, "logs of café-日本[0]")).contains("following");
        assertThat(lines).contains("history café-日本", "err boom");
        String cut = rowOf(lines, "日本日本");
        assertThat(cut).endsWith("…");
        assertThat(Cells.width(cut)).isLessThanOrEqualTo(40);
    }

    @Test
    void scrollingBackShowsOlderLinesAndSaysHowFar() {
        MonitState s = state(120, 20, WIDE);
        for (int i = 0; i < 50; i++) {
            s = log(s, "out", "line " + i);
        }
        assertThat(text(s)).contains("line 49").doesNotContain("line 0");
        s = MonitModel.step(s, new MonitEvent.Pressed(Key.LOG_TOP)).state();
        List<String> top = text(s);
        assertThat(top).contains("line 0").doesNotContain("line 49");
        assertThat(rowOf(top, "logs of")).contains(s.logs().scroll() + " lines back (End follows)");
    }

    @Test
    void inAppScopeEachLineSaysWhichInstanceWroteIt() {
        MonitState s = MonitModel.step(state(120, 40, WIDE), new MonitEvent.Pressed(Key.SCOPE)).state();
        s = MonitModel.step(s, new MonitEvent.LogLine(s.logs().generation(),
                new StreamItem("line", "café-日本", 3, -1, "out", 0, "hello"))).state();
        assertThat(text(s)).contains("[3] hello");
        assertThat(rowOf(text(s), "logs of")).contains("every instance");
    }

    @Test
    void aDaemonThatDoesNotAnswerIsSaidInTheTitleAndStatusLine() {
        MonitState s = MonitModel.step(state(120, 40), new MonitEvent.ListFailed("no herd daemon is running for /h"))
                .state();
        List<String> lines = text(s);
        assertThat(lines.get(0)).contains("daemon not answering");
        assertThat(lines).contains("daemon: no herd daemon is running for /h (asking again every second)");
        assertThat(String.join("\n", lines)).contains("(no list: the daemon does not answer)");
    }

    @Test
    void theKeyBarIsTheLastLine() {
        List<String> lines = text(state(120, 40, WIDE));
        assertThat(lines.get(39)).contains("r restart").contains("q quit").contains("PgUp PgDn scroll");
    }

    @Test
    void withoutUnicodeTheScreenIsAscii() {
        MonitState s = MonitModel.step(MonitState.initial(120, 40, false),
                new MonitEvent.Listed(List.of(PLAIN), 1_000)).state();
        for (String line : text(s)) {
            assertThat(line.chars().allMatch(c -> c < 128)).as(line).isTrue();
        }
    }
}
