package dev.herd.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every field of an app that herd knows: each field of PM2's schema ({@code lib/API/schema.json}
 * in Unitech/pm2) with its aliases, and herd's own, with what herd does with it. A field is either
 * implemented (read and applied) or accepted and ignored with a warning that says what herd does
 * instead, so that a PM2 user's file loads.
 *
 * <p>Every name is also read in camelCase, as PM2 reads its fields ({@code maxRestarts} is
 * {@code max_restarts}): PM2's {@code Config.schema} adds the camelCase form of each field as one
 * more alias, upper-casing the first letter of each part after the first that is longer than one
 * letter. herd applies that rule to aliases too ({@code errLog}), which PM2 does not.
 *
 * <p>{@code env_<name>} is not in the table: it is a pattern, which {@link AppParser} reads.
 * Immutable and thread-safe.
 */
final class Pm2Fields {

    /** What herd does with a field. */
    enum Status {
        /** Read and applied by {@link AppParser}. */
        IMPLEMENTED,
        /** Accepted and ignored: a warning says what herd does instead. */
        IGNORED
    }

    /** Whose field it is. */
    enum Origin {
        /** In PM2's schema. */
        PM2,
        /** herd's own: PM2 would drop it. */
        HERD
    }

    /**
     * One field.
     *
     * @param name    the name herd reads it under (PM2's name, or for two fields the PM2 alias herd
     *                prefers: {@code interpreter}, {@code interpreter_args})
     * @param origin  PM2's field or herd's own
     * @param status  implemented or ignored
     * @param aliases its other names, as PM2 writes them; camelCase forms are not listed
     * @param instead for an ignored field, what herd does instead: the warning's text before
     *                {@code ", ignored"}; empty for an implemented one
     * @param quiet   the values of an ignored field that ask for what herd does anyway, so that
     *                setting them warns nothing ({@code watch: false}, {@code treekill: true}):
     *                {@link Boolean}, {@link String} or {@link Integer}
     */
    record Field(String name, Origin origin, Status status, List<String> aliases, String instead, List<Object> quiet) {

        Field {
            aliases = List.copyOf(aliases);
            quiet = List.copyOf(quiet);
        }

        /** Every spelling that names this field: its name, its aliases, and their camelCase forms. */
        List<String> spellings() {
            Set<String> all = new LinkedHashSet<>();
            all.add(name);
            all.addAll(aliases);
            for (String s : List.copyOf(all)) {
                all.add(camelCase(s));
            }
            return List.copyOf(all);
        }

        /** Whether {@code value} asks for what herd does anyway, so an ignored field need not warn. */
        boolean isQuiet(Node value) {
            for (Object q : quiet) {
                if (value instanceof Node.Bool b && q.equals(b.value())
                        || value instanceof Node.Text t && q.equals(t.value())
                        || value instanceof Node.Int i && q instanceof Integer n && i.value().equals(BigInteger.valueOf(n))) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final String METRICS = "herd has no PM2.io agent (herd metrics serves Prometheus metrics and a"
            + " dashboard)";
    private static final String SOURCE_MAPS = "herd runs node without PM2's source-map hook: add --enable-source-maps"
            + " to node_args";

    /**
     * The table, in the order of PM2's schema (PM2 7.0.3), then herd's own fields. Implementing a
     * field is one line here: {@code ignored("watch", ...)} becomes {@code implemented("watch")}.
     */
    static final List<Field> ALL = List.of(
            implemented("script", "exec", "cmd", "command"),
            implemented("name"),
            // PM2 prefixes a name from its own options when it installs a module (lib/API.js), never from
            // a file's field, so a file's name_prefix changes nothing there either.
            ignored("name_prefix", "PM2 applies it to the apps of modules it installs, not to a file's apps, and"
                    + " neither does herd: put it in name"),
            implemented("filter_env"),
            implemented("namespace"),
            ignored("install_url", "herd has no PM2 modules (PM2 sets it when it installs one)"),
            implemented("cwd"),
            implemented("args"),
            implemented("interpreter", "exec_interpreter"),
            implemented("interpreter_args", "node_args"),
            implemented("out_file", "out", "output", "out_log"),
            implemented("error_file", "error", "err", "err_file", "err_log"),
            implemented("log_file", "log"),
            implemented("disable_logs"),
            implemented("log_type"),
            implemented("log_date_format"),
            implemented("time"),
            implemented("env"),
            implemented("max_memory_restart"),
            implemented("pid_file", "pid"),
            implemented("restart_delay"),
            implemented("exp_backoff_restart_delay"),
            ignored("source_map_support", SOURCE_MAPS, false),
            ignored("disable_source_map_support", SOURCE_MAPS, true),
            implemented("wait_ready"),
            implemented("instances"),
            implemented("kill_timeout"),
            implemented("shutdown_with_message"),
            implemented("listen_timeout"),
            implemented("cron_restart", "cron"),
            implemented("merge_logs", "combine_logs"),
            ignored("vizion", "herd does not track versions", false),
            implemented("autostart"),
            implemented("autorestart"),
            implemented("stop_exit_codes"),
            implemented("watch_delay"),
            implemented("watch"),
            implemented("ignore_watch"),
            implemented("watch_options"),
            implemented("min_uptime"),
            implemented("max_restarts"),
            ignored("execute_command", "herd reads exec_mode only: set exec_mode: fork", false),
            implemented("exec_mode"),
            ignored("force", "herd does not start a second copy of an app", false),
            implemented("append_env_to_name"),
            ignored("post_update", "herd does not pull or update code (PM2 runs these for its Keymetrics"
                    + " dashboard)"),
            ignored("trace", "herd has no transaction tracing (herd profile records a flame graph)", false),
            ignored("disable_trace", "herd has no transaction tracing (herd profile records a flame graph)", true),
            ignored("v8", METRICS, false),
            ignored("event_loop_inspector", METRICS, false),
            ignored("deep_monitoring", METRICS, false),
            implemented("increment_var"),
            implemented("instance_var"),
            ignored("pmx", METRICS, false),
            ignored("automation", METRICS, false),
            implemented("treekill"),
            implemented("port"),
            ignored("username", "PM2 sets it to the user who runs pm2; herd runs an app as its daemon's user,"
                    + " or as uid when set"),
            implemented("uid", "user"),
            implemented("gid"),
            ignored("windowsHide", "it applies to Windows; herd runs on Linux", true, false),
            ignored("kill_retry_time", "herd notices an instance's exit at once, without polling", 100),
            ignored("write", "herd does not write an app's configuration to a file (herd save writes the"
                    + " process list)", false),
            ignored("io", METRICS),
            own("jvm_args"),
            own("kill_signal"),
            own("max_size"),
            own("retain"),
            own("memory_check_interval"),
            own("balancer"),
            own("drain_timeout"),
            own("reload_parallelism"));

    private static final Map<String, Field> BY_SPELLING = bySpelling();
    private static final List<String> SPELLINGS = allSpellings();

    private Pm2Fields() {
    }

    /** The field that {@code key} names in any of its spellings, exactly as written. */
    static Optional<Field> lookup(String key) {
        return Optional.ofNullable(BY_SPELLING.get(key));
    }

    /** herd's name of the field {@code key} names, or {@code key} itself when it names none. */
    static String herdName(String key) {
        return lookup(key).map(Field::name).orElse(key);
    }

    /** Every spelling of every field: names first, then aliases, then camelCase forms, so a tie suggests a name. */
    static List<String> spellings() {
        return SPELLINGS;
    }

    private static List<String> allSpellings() {
        Set<String> all = new LinkedHashSet<>();
        ALL.forEach(f -> all.add(f.name()));
        ALL.forEach(f -> all.addAll(f.aliases()));
        ALL.forEach(f -> all.addAll(f.spellings()));
        return List.copyOf(all);
    }

    /**
     * PM2's camelCase form of a snake_case name: each part after the first that is longer than one
     * letter gets an upper-case first letter ({@code exp_backoff_restart_delay} is
     * {@code expBackoffRestartDelay}); a name without underscores is itself.
     */
    static String camelCase(String name) {
        String[] parts = name.split("_", -1);
        StringBuilder camel = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            camel.append(part.length() > 1 ? Character.toUpperCase(part.charAt(0)) + part.substring(1) : part);
        }
        return camel.toString();
    }

    private static Field implemented(String name, String... aliases) {
        return new Field(name, Origin.PM2, Status.IMPLEMENTED, List.of(aliases), "", List.of());
    }

    private static Field own(String name) {
        return new Field(name, Origin.HERD, Status.IMPLEMENTED, List.of(), "", List.of());
    }

    private static Field ignored(String name, String instead, Object... quiet) {
        return ignored(name, List.of(), instead, quiet);
    }

    private static Field ignored(String name, List<String> aliases, String instead, Object... quiet) {
        return new Field(name, Origin.PM2, Status.IGNORED, aliases, instead, List.of(quiet));
    }

    private static Map<String, Field> bySpelling() {
        Map<String, Field> map = new LinkedHashMap<>();
        List<String> clashes = new ArrayList<>();
        for (Field field : ALL) {
            for (String spelling : field.spellings()) {
                Field other = map.putIfAbsent(spelling, field);
                if (other != null && other != field) {
                    clashes.add(spelling + " (" + other.name() + ", " + field.name() + ")");
                }
            }
        }
        if (!clashes.isEmpty()) {
            throw new IllegalStateException("one spelling names two fields: " + String.join(", ", clashes));
        }
        return Map.copyOf(map);
    }
}
