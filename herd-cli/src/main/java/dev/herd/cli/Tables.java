package dev.herd.cli;

import static dev.herd.daemon.Units.bytes;
import static dev.herd.daemon.Units.duration;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.herd.config.ShellWords;
import dev.herd.monit.Cells;
import dev.herd.daemon.HerdHome;
import dev.herd.daemon.InstanceView;
import dev.herd.daemon.StreamItem;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.ExitRecord;

/** How the CLI prints what the daemon answers. */
final class Tables {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());
    private static final String[] HEADER = {"id", "name", "mode", "pid", "status", "restarts", "uptime", "cpu", "memory"};

    private Tables() {
    }

    private static final String[] CLUSTER_HEADER = {"pool", "req/s", "active", "errors", "p99"};

    /**
     * The {@code list} table, PM2's columns; with cluster apps, the mode names the public port and
     * the last columns say where each instance stands with its pool and what the balancer
     * measured: requests per second and p99 latency over the last seconds, requests in flight,
     * failures since it joined.
     */
    static void printList(PrintWriter out, List<InstanceView> views) {
        boolean clusters = views.stream().anyMatch(v -> v.cluster() != null);
        // As PM2's list: a namespace column once an app is in one of its own.
        boolean namespaces = views.stream().anyMatch(Tables::namespaced);
        String[] header = HEADER;
        if (clusters) {
            header = java.util.Arrays.copyOf(HEADER, HEADER.length + CLUSTER_HEADER.length);
            System.arraycopy(CLUSTER_HEADER, 0, header, HEADER.length, CLUSTER_HEADER.length);
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(header);
        for (InstanceView v : views) {
            boolean running = v.pid() > 0;
            String[] row = {
                    Integer.toString(v.id()), v.name(),
                    v.cluster() != null ? v.mode() + " :" + v.cluster().publicPort() : v.mode(),
                    running ? Long.toString(v.pid()) : "-", v.status(),
                    Integer.toString(v.restarts()), running ? duration(v.uptimeMillis()) : "-",
                    running ? String.format(Locale.ROOT, "%.0f%%", v.cpuPercent()) : "-",
                    running ? bytes(v.memoryBytes()) : "-"};
            if (clusters) {
                row = java.util.Arrays.copyOf(row, row.length + CLUSTER_HEADER.length);
                InstanceView.Cluster c = v.cluster();
                InstanceView.Traffic t = c == null ? null : c.traffic();
                boolean measured = t != null && t.windowSeconds() > 0;
                row[HEADER.length] = c != null ? c.pool() : "-";
                row[HEADER.length + 1] = measured ? rate(t.requestsPerSecond()) : "-";
                row[HEADER.length + 2] = t != null ? Integer.toString(t.inFlight()) : "-";
                row[HEADER.length + 3] = t != null ? Long.toString(t.errors()) : "-";
                row[HEADER.length + 4] = measured && t.p99Millis() > 0 ? millis(t.p99Millis()) : "-";
            }
            rows.add(row);
        }
        if (namespaces) {
            for (int r = 0; r < rows.size(); r++) {
                String[] row = rows.get(r);
                String[] wider = new String[row.length + 1];
                wider[0] = row[0];
                wider[1] = row[1];
                wider[2] = r == 0 ? "namespace" : views.get(r - 1).namespace();
                System.arraycopy(row, 2, wider, 3, row.length - 2);
                rows.set(r, wider);
            }
            header = rows.get(0);
        }
        int[] widths = new int[header.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], Cells.width(r[i]));
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                // Padded by terminal columns, not chars: a CJK name takes two per character.
                line.append(i == 0 ? "" : "  ").append(r[i]).append(" ".repeat(widths[i] - Cells.width(r[i])));
            }
            out.println(line.toString().stripTrailing());
        }
        if (views.isEmpty()) {
            out.println("(no apps: herd start <script|ecosystem.yml>)");
        }
        List<String> back = views.stream().filter(InstanceView::backFromCrash).map(v -> Integer.toString(v.id())).toList();
        if (!back.isEmpty()) {
            out.println("herd: brought back with their ids and states after the daemon crashed: " + String.join(", ", back)
                    + " (herd describe <id> says why)");
        }
        out.flush();
    }

    /** The {@code describe} text: one block per instance. */
    static void printDescribe(PrintWriter out, List<InstanceView> views) {
        for (InstanceView v : views) {
            out.printf("%s[%d] (id %d)%n", v.name(), v.index(), v.id());
            field(out, "status", v.status() + " (" + v.lastReason() + ")");
            field(out, "pid", v.pid() > 0 ? Long.toString(v.pid()) : "-");
            // Socket modes: every instance accepts on the public port's socket, or on one of its own.
            boolean shared = v.cluster() != null && !"proxy".equals(v.cluster().sharing());
            boolean own = shared && "reuseport".equals(v.cluster().sharing());
            field(out, "mode", own ? v.mode() + " (reuseport: each instance accepts on a public socket of its own)"
                    : shared ? v.mode() + " (socket: the instances share the public port's socket)"
                    : v.cluster() != null ? v.mode() + " (proxy: herd balances the public port)"
                    : v.mode().startsWith("shared") ? v.mode() + " (herd binds each port the instances listen on once and"
                    + " hands the socket to all of them, as PM2's cluster mode does; no balancer)" : v.mode());
            if (v.cluster() != null) {
                field(out, "public port", Integer.toString(v.cluster().publicPort()));
                field(out, "own port", own ? "none: it accepts on its index's socket on the public port (fd 3, LISTEN_FDS;"
                        + " SO_REUSEPORT)" : shared ? "none: it accepts on the public port's socket (fd 3, LISTEN_FDS)"
                        : v.cluster().port() + " (PORT)");
                field(out, "pool", v.cluster().pool());
                if (v.cluster().lastChange() != null) {
                    field(out, "last reload/scale", v.cluster().lastChange());
                }
                InstanceView.Traffic t = v.cluster().traffic();
                if (shared) {
                    field(out, "requests", "not seen by herd (socket mode: no byte passes through it)");
                } else {
                    field(out, "requests", t.requests() + " (" + t.inFlight() + " in flight, " + t.errors() + " failed)");
                }
                if (!shared && t.windowSeconds() > 0) {
                    field(out, "last " + Math.round(t.windowSeconds()) + " s", rate(t.requestsPerSecond()) + " req/s, "
                            + rate(t.errorsPerSecond()) + " failed/s" + (t.p99Millis() > 0
                                    ? ", p50 " + millis(t.p50Millis()) + ", p99 " + millis(t.p99Millis()) : ""));
                }
            }
            if (namespaced(v)) {
                field(out, "namespace", v.namespace());
            }
            field(out, "command", ShellWords.join(v.command()));
            InstanceView.Details d = v.details();
            if (d != null) {
                field(out, "script", d.script());
                if (!d.args().isEmpty()) {
                    field(out, "script args", ShellWords.join(d.args()));
                }
                field(out, "interpreter", d.interpreter() != null ? d.interpreter() : "none (the script runs itself)");
                if (!d.interpreterArgs().isEmpty()) {
                    field(out, "interpreter args", ShellWords.join(d.interpreterArgs()));
                }
                if (d.source() != null) {
                    field(out, "ecosystem file", d.source());
                }
                field(out, "env", environment(v));
                if (!d.autorestart()) {
                    field(out, "autorestart", "off");
                } else {
                    field(out, "max restarts", d.maxRestarts() + " in a row, each up less than "
                            + setting(d.minUptimeMillis()) + " (min_uptime), and it is errored");
                }
                field(out, "kill timeout", setting(d.killTimeoutMillis()) + " after " + d.killSignal()
                        + ", then SIGKILL");
            }
            dev.herd.diagnostics.DebugPorts.describe(v).ifPresent(debug -> field(out, "debug", debug));
            field(out, "cwd", v.cwd());
            field(out, "created", v.createdAt() > 0 ? TIME.format(Instant.ofEpochMilli(v.createdAt())) : "-");
            field(out, "started", v.startedAt() > 0 ? TIME.format(Instant.ofEpochMilli(v.startedAt())) : "-");
            field(out, "uptime", v.pid() > 0 ? duration(v.uptimeMillis()) : "-");
            field(out, "restarts", v.restarts() + " (unstable in a row: " + v.unstableRestarts() + ")");
            field(out, "cpu / memory", v.pid() > 0
                    ? String.format(Locale.ROOT, "%.1f%% / %s", v.cpuPercent(), bytes(v.memoryBytes())) : "-");
            if (v.memoryLimitBytes() > 0) {
                field(out, "memory limit", bytes(v.memoryLimitBytes()) + " (max_memory_restart)");
            }
            printTriggers(out, v.triggers());
            field(out, "out log", v.outLog());
            field(out, "error log", v.errLog());
            if (v.logging() != null) {
                printLogging(out, v.logging());
            }
            if (v.droppedLogLines() > 0) {
                field(out, "dropped log lines", Long.toString(v.droppedLogLines()));
            }
            if (v.lastExits().isEmpty()) {
                field(out, "last exits", "none");
            } else {
                field(out, "last exits", "");
                for (ExitRecord e : v.lastExits()) {
                    out.printf("    %s  %-14s after %s%s%n", TIME.format(Instant.ofEpochMilli(e.epochMillis())),
                            e.describe(), duration(e.uptimeMillis()), e.requested() ? " (asked)"
                                    : e.stoppedFor() != null ? ", stopped by herd: " + e.stoppedFor() : "");
                }
            }
            out.println();
        }
        out.flush();
    }

    /** The combined log, how lines are written, and the rotation, which is on unless {@code max_size: 0}. */
    private static void printLogging(PrintWriter out, InstanceView.Logging l) {
        if (l.logFile() != null) {
            field(out, "combined log", l.logFile());
        }
        String stamp = l.dateFormat() == null ? null : "time " + l.dateFormat();
        field(out, "log lines", l.json() ? "JSON objects (log_type: json" + (stamp != null ? ", " + stamp : "") + ")"
                : stamp != null ? "after their " + stamp : "as written");
        field(out, "log rotation", l.maxSize() == 0 ? "never (max_size: 0)"
                : "at " + bytes(l.maxSize()) + ", " + l.retain() + " rotated files kept (max_size, retain)");
    }

    /**
     * What {@code logs} tails, before the lines, in {@code pm2 logs}' words: which files, how
     * many lines of each, and that they come in the order written rather than file after file.
     *
     * @param lines    lines per file, or -1 for all of them since {@code since}
     * @param since    {@code --since} as typed, or null
     * @param combined combined logs ({@code log_file}) left out, as they repeat the files' lines
     */
    static void printTailing(PrintWriter out, String target, int lines, String since, List<String> files,
                             List<String> combined) {
        String which = "[" + target + "] process" + ("all".equals(target) ? "es" : "");
        if (files.isEmpty()) {
            out.println("[TAILING] No log files for " + which + " (they go to /dev/null)");
            return;
        }
        String what = (lines >= 0 ? "last " + lines + " lines" : "lines") + (since != null ? " since " + since : "");
        out.println("[TAILING] Tailing " + what + " for " + which + " (change the value with --lines option),"
                + " in the order written, of:");
        for (String f : files) {
            out.println("  " + f);
        }
        for (String c : combined) {
            out.println("  (not " + c + ", the combined log: it has the same lines)");
        }
        out.flush();
    }

    private static void printTriggers(PrintWriter out, InstanceView.Triggers t) {
        if (t == null) {
            return;
        }
        if (!t.watchPaths().isEmpty()) {
            String state = switch (t.watchState()) {
                case "watching" -> "restarts " + (t.watchDelayMillis() % 1000 == 0 ? t.watchDelayMillis() / 1000 + " s"
                        : t.watchDelayMillis() + " ms") + " after the changes stop";
                case "off" -> "off (watch: false, or herd stop --watch): herd start <app> --watch turns it on";
                case "stopped" -> "not while the app is stopped";
                default -> "cannot watch: see the daemon's log";
            };
            field(out, "watch", String.join(", ", t.watchPaths()) + " (" + state + ")");
            if (!t.ignored().isEmpty()) {
                field(out, "watch ignores", String.join(", ", t.ignored()));
            }
        }
        if (t.cron() != null) {
            field(out, "cron restart", t.cron() + (t.nextCronMillis() > 0
                    ? " (next " + TIME.format(Instant.ofEpochMilli(t.nextCronMillis())) + ")"
                    : " (not while the app is stopped)"));
        }
    }

    /** Whether the instance's app is in a namespace of its own (not PM2's {@code default}). */
    private static boolean namespaced(InstanceView v) {
        return v.namespace() != null && !AppSpec.DEFAULT_NAMESPACE.equals(v.namespace());
    }

    /**
     * The environment in one line: the variables the app sets itself, then how many it inherited
     * from the shell that started it (all of them: {@code herd env <id>}).
     */
    static String environment(InstanceView v) {
        InstanceView.Details d = v.details();
        List<String> own = new ArrayList<>();
        d.ownEnv().forEach((k, value) -> own.add(k + "=" + value));
        long inherited = d.env().keySet().stream().filter(k -> !d.ownEnv().containsKey(k)).count();
        return (own.isEmpty() ? inherited + " inherited" : String.join(" ", own) + ", and " + inherited + " more inherited")
                + " or set by herd (herd env " + v.id() + " lists all)";
    }

    /** One streamed log line or event, prefixed PM2-style with {@code id|name}. */
    static void printStreamItem(PrintWriter out, StreamItem item) {
        String prefix = item.app() + "[" + item.instance() + "]";
        if ("event".equals(item.type())) {
            out.println("herd  | " + item.text());
        } else {
            out.println(prefix + ("err".equals(item.stream()) ? " err | " : "     | ") + item.text());
        }
        out.flush();
    }

    /**
     * A log line or event as {@code logs --json} prints it, one JSON object per line.
     *
     * @param time     ISO-8601, or null when the file kept no time for a past line
     * @param app      the app
     * @param instance the instance's index in the app
     * @param id       the instance's id, or null when not known
     * @param stream   {@code out}, {@code err}, or {@code herd} for a change of state
     * @param text     the line, or the change in words
     */
    record LogEntry(String time, String app, int instance, Integer id, String stream, String text) {
    }

    /** Built on first use: {@code list} does not pay for it. */
    private static final class LogJson {
        static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();
    }

    /** One streamed log line or event as a {@link LogEntry} on a line of its own. */
    static void printStreamItemJson(PrintWriter out, StreamItem item) {
        LogEntry e = new LogEntry(item.time() > 0 ? Instant.ofEpochMilli(item.time()).toString() : null, item.app(),
                item.instance(), item.id() >= 0 ? item.id() : null, "event".equals(item.type()) ? "herd" : item.stream(),
                item.text());
        try {
            out.println(LogJson.MAPPER.writeValueAsString(e));
        } catch (com.fasterxml.jackson.core.JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
        out.flush();
    }

    /** A systemd unit that starts the daemon at boot with the saved apps, and stops them at shutdown. */
    static String systemdUnit(HerdHome home, String user, String java, String jar) {
        String herd = java + " --enable-native-access=ALL-UNNAMED -jar " + jar;
        return "# Save your apps first (herd save), then install this unit:\n"
                + "#   herd startup > /etc/systemd/system/herd-" + user + ".service\n"
                + "#   systemctl daemon-reload && systemctl enable --now herd-" + user + "\n"
                + "[Unit]\n"
                + "Description=herd process manager for " + user + "\n"
                + "After=network.target\n\n"
                + "[Service]\n"
                + "Type=forking\n"
                + "User=" + user + "\n"
                + "Environment=HERD_HOME=" + home.dir() + "\n"
                + "# systemd starts the daemon again if it dies (Restart=on-failure): no guardian of herd's own.\n"
                + "Environment=" + DaemonGuardian.VARIABLE + "=off\n"
                + "PIDFile=" + home.pidFile() + "\n"
                + "ExecStart=" + herd + " resurrect\n"
                + "ExecReload=" + herd + " update\n"
                + "ExecStop=" + herd + " kill\n"
                + "KillMode=process\n"
                + "TimeoutStopSec=120\n"
                + "Restart=on-failure\n\n"
                + "[Install]\n"
                + "WantedBy=multi-user.target\n";
    }

    private static void field(PrintWriter out, String name, String value) {
        out.printf("  %-18s %s%n", name, value);
    }

    /** Requests per second: whole numbers once there are enough that decimals are noise. */
    static String rate(double perSecond) {
        return perSecond >= 100 ? String.format(Locale.ROOT, "%.0f", perSecond)
                : String.format(Locale.ROOT, "%.1f", perSecond);
    }

    /** A latency: milliseconds with the digits that mean something. */
    /** A duration as a file sets it, exactly: {@code 4s}, {@code 1600ms}. */
    static String setting(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    static String millis(double ms) {
        if (ms >= 1000) {
            return String.format(Locale.ROOT, "%.2fs", ms / 1000);
        }
        return ms >= 10 ? String.format(Locale.ROOT, "%.0fms", ms) : String.format(Locale.ROOT, "%.1fms", ms);
    }
}
