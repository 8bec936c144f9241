package dev.herd.monit;

import static dev.herd.daemon.Units.bytes;
import static dev.herd.daemon.Units.duration;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;

import dev.herd.daemon.InstanceView;
import dev.herd.daemon.StreamItem;
import dev.herd.supervisor.ExitRecord;

/**
 * Draws a {@link MonitState} as the screen's lines, top to bottom, as {@link Layout} shares the
 * rows: at most {@code height} lines, none wider than {@code width} columns. Pure: the same state
 * always draws the same lines.
 */
public final class Screen {

    private static final AttributedStyle BAR = AttributedStyle.DEFAULT.inverse();
    private static final AttributedStyle FAINT = AttributedStyle.DEFAULT.faint();
    private static final AttributedStyle BOLD = AttributedStyle.DEFAULT.bold();
    private static final AttributedStyle RED = AttributedStyle.DEFAULT.foreground(AttributedStyle.RED);
    private static final AttributedStyle GREEN = AttributedStyle.DEFAULT.foreground(AttributedStyle.GREEN);
    private static final AttributedStyle YELLOW = AttributedStyle.DEFAULT.foreground(AttributedStyle.YELLOW);

    /**
     * CPU that fills a sparkline's bar at least: one core, so a 3% instance stays at the bottom
     * and reads apart from a busy one; an instance above one core scales to its own peak.
     */
    private static final double CPU_FLOOR = 100;
    /** Memory that fills a sparkline's bar at least. */
    private static final double MEMORY_FLOOR = 1024 * 1024;
    private static final int NAME_MAX = 24;
    private static final int SPARK_MAX = 40;
    private static final int EXITS_SHOWN = 3;

    private Screen() {
    }

    /** The screen's lines for {@code s} at its size. */
    public static List<AttributedString> render(MonitState s) {
        int width = s.width();
        Layout layout = s.layout();
        List<AttributedString> lines = new ArrayList<>();
        lines.add(bar(title(s), width));
        Table table = new Table(s);
        lines.add(table.header());
        lines.addAll(table.rows(layout.listRows()));
        InstanceView selected = s.selected().orElse(null);
        String dot = s.unicode() ? " · " : " - ";
        lines.add(rule(selected == null ? "details" : selected.name() + "[" + selected.index() + "]" + dot + "id "
                + selected.id() + dot + selected.mode(), width, s.unicode()));
        lines.addAll(exactly(details(s, selected), layout.detailRows()));
        lines.add(rule(logTitle(s, selected), width, s.unicode()));
        lines.addAll(logLines(s, layout.logRows()));
        lines.add(statusLine(s));
        lines.add(bar(help(s.unicode()), width));
        List<AttributedString> out = new ArrayList<>();
        for (int i = 0; i < Math.min(s.height(), lines.size()); i++) {
            // The last row leaves its last column empty: writing there scrolls a terminal that wraps at the margin.
            int room = i == s.height() - 1 ? width - 1 : width;
            out.add(Cells.fit(lines.get(i), room, s.unicode()));
        }
        return out;
    }

    /**
     * The selected instance's figures, in the order they are shown. Every figure the list carries
     * for an instance belongs here, so a new one (the balancer's requests/s and p99) is one line.
     */
    static List<Field> fields(InstanceView v) {
        List<Field> f = new ArrayList<>();
        boolean running = v.pid() > 0;
        f.add(new Field("status", v.lastReason() == null ? v.status() : v.status() + " (" + v.lastReason() + ")"));
        f.add(new Field("pid", running ? Long.toString(v.pid()) : "-"));
        f.add(new Field("uptime", running ? duration(v.uptimeMillis()) : "-"));
        f.add(new Field("restarts", v.restarts() + " (" + v.unstableRestarts() + " unstable)"));
        f.add(new Field("cpu", running ? percent(v.cpuPercent()) : "-"));
        f.add(new Field("memory", running ? bytes(v.memoryBytes()) : "-"));
        if (v.cluster() != null) {
            f.add(new Field("public port", Integer.toString(v.cluster().publicPort())));
            f.add(new Field("own port", Integer.toString(v.cluster().port())));
            f.add(new Field("pool", v.cluster().pool()));
            if (v.cluster().lastChange() != null) {
                f.add(new Field("last reload/scale", v.cluster().lastChange()));
            }
            InstanceView.Traffic t = v.cluster().traffic();
            if (t != null) {
                f.add(new Field("requests", t.requests() + " (" + t.inFlight() + " in flight, " + t.errors() + " failed)"));
                if (t.windowSeconds() > 0) {
                    f.add(new Field("req/s", String.format(Locale.ROOT, "%.1f", t.requestsPerSecond())
                            + (t.p99Millis() > 0 ? String.format(Locale.ROOT, "  p99 %.1f ms", t.p99Millis()) : "")));
                }
            }
        }
        if (v.memoryLimitBytes() > 0) {
            f.add(new Field("memory limit", bytes(v.memoryLimitBytes())));
        }
        if (v.droppedLogLines() > 0) {
            f.add(new Field("dropped log lines", Long.toString(v.droppedLogLines())));
        }
        return f;
    }

    /** A labelled figure of the details. */
    record Field(String label, String value) {
    }

    private static String title(MonitState s) {
        long online = s.instances().stream().filter(i -> "online".equals(i.status())).count();
        long apps = s.instances().stream().map(InstanceView::name).distinct().count();
        String dot = s.unicode() ? " · " : " - ";
        String t = " herd monit" + dot + apps + (apps == 1 ? " app" : " apps") + dot + s.instances().size()
                + (s.instances().size() == 1 ? " instance" : " instances") + " (" + online + " online)";
        return s.daemonProblem() != null ? t + dot + "daemon not answering" : t;
    }

    /** The instance list: its columns' widths come from the rows and the screen. */
    private static final class Table {
        private static final int MODE = 7;
        private static final int STATUS = 9;
        private static final int PID = 7;
        private static final int RESTARTS = 8;
        private static final int CPU = 6;
        private static final int MEMORY = 9;

        private final MonitState s;
        private final int idWidth;
        private final int nameWidth;
        private final int sparkWidth;

        Table(MonitState s) {
            this.s = s;
            int id = 2;
            int name = 4;
            for (InstanceView v : s.instances()) {
                id = Math.max(id, Integer.toString(v.id()).length());
                name = Math.max(name, Cells.width(v.name()));
            }
            this.idWidth = id;
            this.nameWidth = Math.min(NAME_MAX, name);
            int fixed = 2 + idWidth + 1 + nameWidth + 1 + MODE + 1 + STATUS + 1 + PID + 1 + RESTARTS + 1 + CPU + 1 + MEMORY;
            int spark = (s.width() - fixed - 2) / 2;
            this.sparkWidth = spark < 3 ? 0 : Math.min(SPARK_MAX, spark);
        }

        AttributedString header() {
            return row(" ", "id", "name", "mode", new AttributedString(Cells.padRight("status", STATUS, true)), "pid",
                    "restarts", "cpu", " ".repeat(sparkWidth), "memory", " ".repeat(sparkWidth), BOLD);
        }

        List<AttributedString> rows(int count) {
            List<AttributedString> out = new ArrayList<>();
            List<InstanceView> all = s.instances();
            if (all.isEmpty()) {
                out.add(new AttributedString(s.daemonProblem() != null ? "  (no list: the daemon does not answer)"
                        : "  (no apps: herd start <script|ecosystem.yml>)", FAINT));
                return exactly(out, count);
            }
            int selected = Math.max(0, s.selectedIndex());
            int first = selected < count ? 0 : selected - count + 1;
            for (int i = first; i < Math.min(all.size(), first + count); i++) {
                out.add(instance(all.get(i), i == s.selectedIndex()));
            }
            return exactly(out, count);
        }

        private AttributedString instance(InstanceView v, boolean selected) {
            boolean running = v.pid() > 0;
            Samples samples = s.history().getOrDefault(v.id(), Samples.empty());
            AttributedStyle base = selected ? AttributedStyle.DEFAULT.inverse() : AttributedStyle.DEFAULT;
            AttributedString status = new AttributedString(Cells.padRight(v.status(), STATUS, s.unicode()),
                    selected ? base : statusStyle(v.status()));
            return row(selected ? (s.unicode() ? "▶" : ">") : " ", Integer.toString(v.id()), v.name(), v.mode(), status,
                    running ? Long.toString(v.pid()) : "-", Integer.toString(v.restarts()),
                    running ? percent(v.cpuPercent()) : "-",
                    Sparkline.of(samples.cpu(), sparkWidth, CPU_FLOOR, s.unicode()),
                    running ? bytes(v.memoryBytes()) : "-",
                    Sparkline.of(samples.memory(), sparkWidth, MEMORY_FLOOR, s.unicode()), base);
        }

        private AttributedString row(String marker, String id, String name, String mode, AttributedString status,
                                     String pid, String restarts, String cpu, String cpuSpark, String memory,
                                     String memorySpark, AttributedStyle style) {
            boolean u = s.unicode();
            AttributedStringBuilder b = new AttributedStringBuilder();
            b.style(style);
            b.append(marker).append(" ").append(Cells.padLeft(id, idWidth, u)).append(" ")
                    .append(Cells.padRight(Cells.clean(name).toString(), nameWidth, u)).append(" ")
                    .append(Cells.padRight(mode, MODE, u)).append(" ");
            b.append(status);
            b.style(style);
            b.append(" ").append(Cells.padLeft(pid, PID, u)).append(" ").append(Cells.padLeft(restarts, RESTARTS, u))
                    .append(" ").append(Cells.padLeft(cpu, CPU, u));
            if (sparkWidth > 0) {
                b.append(" ").append(cpuSpark);
            }
            b.append(" ").append(Cells.padLeft(memory, MEMORY, u));
            if (sparkWidth > 0) {
                b.append(" ").append(memorySpark);
            }
            return b.toAttributedString();
        }
    }

    private static AttributedStyle statusStyle(String status) {
        return switch (status) {
            case "online" -> GREEN;
            case "errored" -> RED;
            case "stopped" -> FAINT;
            default -> YELLOW;
        };
    }

    private static List<AttributedString> details(MonitState s, InstanceView v) {
        List<AttributedString> lines = new ArrayList<>();
        if (v == null) {
            return lines;
        }
        int width = s.width();
        AttributedStringBuilder line = new AttributedStringBuilder();
        for (Field f : fields(v)) {
            AttributedString piece = new AttributedStringBuilder().append(f.label(), FAINT).append(" ")
                    .append(Cells.clean(f.value())).toAttributedString();
            if (line.length() > 0 && line.columnLength() + 3 + piece.columnLength() > width) {
                lines.add(line.toAttributedString());
                line = new AttributedStringBuilder();
            }
            if (line.length() > 0) {
                line.append("   ");
            }
            line.append(piece);
        }
        lines.add(line.toAttributedString());
        AttributedStringBuilder exits = new AttributedStringBuilder().append("last exits ", FAINT);
        if (v.lastExits().isEmpty()) {
            exits.append("none");
        }
        List<ExitRecord> shown = v.lastExits().subList(0, Math.min(EXITS_SHOWN, v.lastExits().size()));
        for (int i = 0; i < shown.size(); i++) {
            ExitRecord e = shown.get(i);
            String ago = s.epochMillis() > 0 ? duration(Math.max(0, s.epochMillis() - e.epochMillis())) + " ago, " : "";
            exits.append(i == 0 ? "" : s.unicode() ? " · " : "; ").append(ago)
                    .append(e.describe(), e.exitCode() == 0 && e.requested() ? AttributedStyle.DEFAULT : YELLOW)
                    .append(" after " + duration(e.uptimeMillis()) + (e.requested() ? " (asked)" : ""));
        }
        lines.add(exits.toAttributedString());
        return lines;
    }

    private static String logTitle(MonitState s, InstanceView v) {
        if (v == null) {
            return "logs";
        }
        boolean app = s.scope() == MonitState.Scope.APP;
        LogPane logs = s.logs();
        String dot = s.unicode() ? " · " : " - ";
        String where = logs.ended() != null ? "stream ended: " + logs.ended()
                : logs.scroll() > 0 ? logs.scroll() + " lines back (End follows)" : "following";
        return "logs of " + (app ? v.name() : v.name() + "[" + v.index() + "]") + dot + where + dot
                + (app ? "every instance (a: this one)" : "a: whole app");
    }

    private static List<AttributedString> logLines(MonitState s, int count) {
        List<StreamItem> all = s.logs().lines();
        int end = all.size() - s.logs().scroll();
        int start = Math.max(0, end - count);
        List<AttributedString> out = new ArrayList<>();
        boolean app = s.scope() == MonitState.Scope.APP;
        for (StreamItem item : all.subList(start, Math.max(start, end))) {
            AttributedStringBuilder b = new AttributedStringBuilder();
            if (app) {
                b.append("[" + item.instance() + "] ", FAINT);
            }
            if ("event".equals(item.type())) {
                b.append("herd: " + Cells.clean(item.text()), YELLOW);
            } else {
                if ("err".equals(item.stream())) {
                    b.append("err ", RED);
                }
                b.append(Cells.clean(item.text()));
            }
            out.add(b.toAttributedString());
        }
        return exactly(out, count);
    }

    private static AttributedString statusLine(MonitState s) {
        if (s.daemonProblem() != null) {
            return new AttributedString("daemon: " + s.daemonProblem() + " (asking again every second)", RED);
        }
        if (s.status() == null) {
            return AttributedString.EMPTY;
        }
        return new AttributedString(Cells.clean(s.status().text()).toString(),
                s.status().failed() ? RED : AttributedStyle.DEFAULT);
    }

    private static AttributedString help(boolean unicode) {
        String[][] keys = {{unicode ? "↑↓ jk" : "up/down jk", "select"}, {"PgUp PgDn", "scroll"}, {"End", "follow"},
                {"a", "app/instance logs"}, {"r", "restart"}, {"R l", "reload"}, {"s", "stop"}, {"q", "quit"}};
        AttributedStringBuilder b = new AttributedStringBuilder();
        for (String[] k : keys) {
            b.append(" ").append(k[0], BAR.bold()).append(" " + k[1] + " ", BAR);
        }
        return b.toAttributedString();
    }

    /** {@code text} on a full-width inverse bar. */
    private static AttributedString bar(String text, int width) {
        return bar(new AttributedString(text, BAR), width);
    }

    private static AttributedString bar(AttributedString text, int width) {
        int pad = Math.max(0, width - text.columnLength());
        return new AttributedStringBuilder().append(text).append(" ".repeat(pad), BAR).toAttributedString();
    }

    private static AttributedString rule(String title, int width, boolean unicode) {
        // Not U+2500: JLine draws that one through the alternate character set, which screen and tmux
        // show as 'q' unless it was enabled first.
        String line = unicode ? "━" : "-";
        AttributedStringBuilder b = new AttributedStringBuilder().append(line + line + " ", FAINT)
                .append(Cells.clean(title)).append(" ");
        b.append(line.repeat(Math.max(0, width - b.columnLength())), FAINT);
        return b.toAttributedString();
    }

    /** Exactly {@code count} lines: {@code lines}' first ones, then blank ones. */
    private static List<AttributedString> exactly(List<AttributedString> lines, int count) {
        List<AttributedString> out = new ArrayList<>(lines.subList(0, Math.min(count, lines.size())));
        while (out.size() < count) {
            out.add(AttributedString.EMPTY);
        }
        return out;
    }


    static String percent(double cpu) {
        return String.format(Locale.ROOT, "%.1f%%", cpu);
    }
}
