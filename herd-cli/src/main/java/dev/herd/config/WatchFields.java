package dev.herd.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import dev.herd.supervisor.RestartTriggers;
import dev.herd.supervisor.WatchSpec;
import dev.herd.watch.CronSchedule;

/**
 * The restart-trigger fields of one app: {@code watch}, {@code ignore_watch}, {@code watch_delay},
 * {@code watch_options} (chokidar's options, those that mean something to herd) and
 * {@code cron_restart} (alias {@code cron}), as PM2 reads them. Watched paths stay as written
 * here; {@link AppResolver} makes them absolute.
 */
final class WatchFields {

    /** The app-level fields read here. */
    static final List<String> FIELDS = List.of("watch", "ignore_watch", "watch_delay", "watch_options", "cron_restart");

    /** chokidar options with nothing to do in herd: its watching never polls, and its debounce waits for writes to end. */
    private static final List<String> NO_EFFECT = List.of("persistent", "atomic", "alwaysStat", "awaitWriteFinish",
            "ignorePermissionErrors", "useFsEvents", "interval", "binaryInterval");

    private WatchFields() {
    }

    /**
     * The app's triggers, paths as written.
     *
     * @param fields   the app's fields by herd's name (null values left out)
     * @param label    the label of a field, as the user spelt it
     * @param r        the app's parser, whose readers check each value's type and range
     * @param warnings where warnings go
     */
    static RestartTriggers read(Map<String, Node.Entry> fields, Function<String, String> label, AppParser r,
                                List<String> warnings) throws ConfigException {
        WatchSpec watch = null;
        boolean any = fields.containsKey("watch") || fields.containsKey("ignore_watch")
                || fields.containsKey("watch_delay") || fields.containsKey("watch_options");
        if (any) {
            List<String> paths = fields.containsKey("watch") ? paths(fields.get("watch").value(), label.apply("watch"), r)
                    : null;
            List<String> ignore = fields.containsKey("ignore_watch")
                    ? texts(fields.get("ignore_watch").value(), label.apply("ignore_watch"), r) : new ArrayList<>();
            Duration delay = fields.containsKey("watch_delay")
                    ? r.duration(fields.get("watch_delay").value(), label.apply("watch_delay")) : WatchSpec.DEFAULT_DELAY;
            boolean follow = true;
            int depth = -1;
            if (fields.containsKey("watch_options")) {
                Node options = fields.get("watch_options").value();
                String l = label.apply("watch_options");
                if (!(options instanceof Node.Mapping map)) {
                    throw r.fail(options, l, "expected an object of chokidar options, got " + options.describe());
                }
                for (Node.Entry e : map.entries().values()) {
                    String ol = FieldPath.key(l, e.key());
                    Node v = e.value();
                    if (v instanceof Node.Null) {
                        continue;
                    }
                    switch (e.key()) {
                        case "followSymlinks" -> follow = r.bool(v, ol);
                        case "depth" -> depth = r.count(v, ol);
                        case "ignored" -> ignore.addAll(texts(v, ol, r));
                        case "usePolling" -> {
                            if (r.bool(v, ol)) {
                                warnings.add(ol + ": herd watches with inotify and does not poll, ignored (a network"
                                        + " or container-mounted folder may report no changes)");
                            }
                        }
                        case "ignoreInitial" -> {
                            if (!r.bool(v, ol)) {
                                warnings.add(ol + ": herd never restarts an app for the files there when it starts,"
                                        + " ignored");
                            }
                        }
                        case "cwd" -> warnings.add(ol + ": herd reads watched paths from the app's cwd, ignored");
                        case "disableGlobbing" -> {
                            if (r.bool(v, ol)) {
                                warnings.add(ol + ": herd reads * ? [ { in watched paths as globs (escape one with \\),"
                                        + " ignored");
                            }
                        }
                        default -> {
                            if (!NO_EFFECT.contains(e.key())) {
                                warnings.add(ol + ": not a chokidar option herd knows, ignored");
                            }
                        }
                    }
                }
            }
            if (paths != null) {
                watch = new WatchSpec(true, paths, ignore, delay, follow, depth);
            } else {
                // ignore_watch and the rest without watch: kept for herd start --watch to turn on.
                watch = new WatchSpec(false, List.of("."), ignore, delay, follow, depth);
            }
        }
        String cron = fields.containsKey("cron_restart")
                ? cron(fields.get("cron_restart").value(), label.apply("cron_restart"), r) : null;
        return watch == null && cron == null ? RestartTriggers.NONE : new RestartTriggers(watch, cron);
    }

    /**
     * {@code herd start --cron-restart}'s expression checked, or null for none ({@code 0}, as PM2).
     *
     * @throws ConfigException naming the option
     */
    static String cronFlag(String expression, Blame blame) throws ConfigException {
        if (expression == null || expression.trim().equals("0")) {
            return null;
        }
        try {
            return CronSchedule.parse(expression).expression();
        } catch (IllegalArgumentException e) {
            throw blame.error("cron_restart", "'" + expression + "' " + e.getMessage());
        }
    }

    /** {@code watch}: true (the cwd), false, a path, or a list of them (empty: the cwd, as PM2). */
    private static List<String> paths(Node node, String label, AppParser r) throws ConfigException {
        if (node instanceof Node.Bool b) {
            return b.value() ? List.of(".") : null;
        }
        if (node instanceof Node.Text t) {
            return t.value().isBlank() ? null : List.of(t.value());
        }
        if (node instanceof Node.Sequence) {
            List<String> paths = texts(node, label, r);
            return paths.isEmpty() ? List.of(".") : paths;
        }
        throw r.fail(node, label, "expected true, false, a path or a list of paths, got " + node.describe());
    }

    private static List<String> texts(Node node, String label, AppParser r) throws ConfigException {
        List<String> out = new ArrayList<>();
        if (node instanceof Node.Text t) {
            out.add(t.value());
            return out;
        }
        if (!(node instanceof Node.Sequence list)) {
            throw r.fail(node, label, "expected a string or a list of strings, got " + node.describe());
        }
        for (int i = 0; i < list.items().size(); i++) {
            Node item = list.items().get(i);
            if (!(item instanceof Node.Text t)) {
                throw r.fail(item, FieldPath.index(label, i), "expected a string, got " + item.describe()
                        + (item instanceof Node.Mapping ? " (a regular expression in a .js file reaches herd as {}:"
                        + " write it as a glob string, such as '*.log')" : ""));
            }
            out.add(t.value());
        }
        return out;
    }

    /** {@code cron_restart}: a cron expression, or {@code 0} (PM2's way to say none). */
    private static String cron(Node node, String label, AppParser r) throws ConfigException {
        String text;
        if (node instanceof Node.Int n) {
            text = n.describe();
        } else if (node instanceof Node.Text t) {
            text = t.value();
        } else {
            throw r.fail(node, label, "expected " + CronSchedule.EXPECTED + ", got " + node.describe());
        }
        if (text.trim().equals("0")) {
            return null;
        }
        try {
            return CronSchedule.parse(text).expression();
        } catch (IllegalArgumentException e) {
            throw r.fail(node, label, e.getMessage());
        }
    }
}
