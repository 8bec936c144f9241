package dev.herd.config;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.MemoryLimit;
import dev.herd.supervisor.logs.LogDateFormat;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.StopPolicy;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads one app object of an ecosystem file into an {@link AppDefinition}: PM2's field names,
 * every value checked for type and range, errors pointing at the value (or, for an unknown field,
 * the key). Touches no file system.
 *
 * <p>Not thread-safe: it collects warnings and the {@code env_<name>} names it saw.
 */
final class AppParser {

    /** The fields herd implements, in PM2's spelling, including PM2's other names for some. */
    static final List<String> FIELDS = Stream.concat(Stream.of(
            "name", "script", "args", "interpreter", "interpreter_args", "node_args", "jvm_args", "cwd",
            "instances", "exec_mode", "env", "autorestart", "max_restarts", "min_uptime", "restart_delay",
            "exp_backoff_restart_delay", "stop_exit_codes", "kill_timeout", "kill_signal", "out_file",
            "error_file", "err_file", "log_file", "merge_logs", "combine_logs", "log_date_format",
            "max_size", "retain", "max_memory_restart", "memory_check_interval", "namespace", "autostart"),
            ClusterFields.FIELDS.stream()).toList();

    /** PM2 fields herd accepts and ignores, so that a PM2 user's file still loads. */
    static final List<String> NOT_YET = List.of(
            "watch", "ignore_watch", "watch_options", "cron_restart", "vizion",
            "source_map_support", "time", "instance_var", "filter_env",
            "shutdown_with_message", "increment_var", "post_update", "force", "treekill",
            "pmx", "automation", "log_type", "disable_logs", "kill_retry_time");

    /** PM2's other name of a field, to the name herd reads it under. */
    static final Map<String, String> ALIASES = Map.of(
            "node_args", "interpreter_args",
            "err_file", "error_file",
            "combine_logs", "merge_logs");

    private static final String ENV_PREFIX = "env_";
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    private static final BigInteger MAX_EXIT_CODE = BigInteger.valueOf(255);

    private final Path file;
    private final int cores;
    private final String envName;
    private final List<String> warnings;
    private final Set<String> envNames = new TreeSet<>();

    /**
     * @param file     named in errors
     * @param cores    what {@code max} instances means
     * @param envName  the {@code env_<name>} to merge over {@code env}, or {@code null}
     * @param warnings where warnings go, in the order found
     */
    AppParser(Path file, int cores, String envName, List<String> warnings) {
        this.file = file;
        this.cores = cores;
        this.envName = envName;
        this.warnings = warnings;
    }

    /** The names of every {@code env_<name>} seen so far, sorted. */
    Set<String> envNames() {
        return envNames;
    }

    /**
     * @param app  the app's object
     * @param path its field path, {@code apps[0]}, or empty when the file is this one app
     */
    AppDefinition parse(Node.Mapping app, String path) throws ConfigException {
        Map<String, Node.Entry> fields = new HashMap<>();
        Map<String, String> selectedEnv = Map.of();
        for (Node.Entry entry : app.entries().values()) {
            String key = entry.key();
            String label = FieldPath.key(path, key);
            if (entry.value() instanceof Node.Null) {
                continue;
            }
            if (FIELDS.contains(key)) {
                String canonical = ALIASES.getOrDefault(key, key);
                Node.Entry other = fields.put(canonical, entry);
                if (other != null) {
                    throw ConfigException.at(file, entry.keyAt(), label,
                            "same field as " + other.key() + ", which is also set: keep one");
                }
            } else if (key.startsWith(ENV_PREFIX) && key.length() > ENV_PREFIX.length()) {
                String name = key.substring(ENV_PREFIX.length());
                envNames.add(name);
                Map<String, String> env = env(entry.value(), label);
                if (name.equals(envName)) {
                    selectedEnv = env;
                }
            } else if (NOT_YET.contains(key)) {
                warnings.add(label + ": not supported by herd yet, ignored");
            } else {
                String hint = Suggestions.nearest(key, Stream.concat(FIELDS.stream(), NOT_YET.stream()).toList())
                        .map(known -> " (did you mean '" + known + "'?)")
                        .orElse("");
                throw ConfigException.at(file, entry.keyAt(), label, "unknown field" + hint);
            }
        }
        Fields f = new Fields(fields, path);

        Node.Entry script = fields.get("script");
        if (script == null) {
            throw ConfigException.at(file, app.at(), FieldPath.key(path, "script"),
                    "missing: set the script or program to run");
        }
        Map<String, String> env = new LinkedHashMap<>(f.has("env") ? env(fields.get("env").value(), f.label("env")) : Map.of());
        env.putAll(selectedEnv);
        ClusterSpec cluster = ClusterFields.read(execMode(f), fields, env, f::label, this, warnings);
        if (f.has("log_file")) {
            warnings.add(f.label("log_file") + ": herd writes out_file and error_file only, ignored");
        }

        RestartPolicy defaults = RestartPolicy.DEFAULT;
        RestartPolicy restart = new RestartPolicy(
                f.has("autorestart") ? bool(f.value("autorestart"), f.label("autorestart")) : defaults.autorestart(),
                f.has("max_restarts") ? count(f.value("max_restarts"), f.label("max_restarts")) : defaults.maxRestarts(),
                f.duration("min_uptime", defaults.minUptime()),
                f.duration("restart_delay", defaults.restartDelay()),
                f.duration("exp_backoff_restart_delay", defaults.expBackoffRestartDelay()),
                f.has("stop_exit_codes") ? exitCodes(f.value("stop_exit_codes"), f.label("stop_exit_codes"))
                        : defaults.stopExitCodes());
        StopPolicy stop = new StopPolicy(
                f.has("kill_signal") ? signal(f.value("kill_signal"), f.label("kill_signal"))
                        : StopPolicy.DEFAULT.killSignal(),
                f.duration("kill_timeout", StopPolicy.DEFAULT.killTimeout()));

        Blame blame = new Blame.InFile(file, path, app);
        Map<String, String> mayHoldPort = new LinkedHashMap<>();
        mayHoldPort.put("args", String.join(" ", f.words("args")));
        mayHoldPort.put("interpreter_args", String.join(" ", f.words("interpreter_args")));
        mayHoldPort.put("jvm_args", String.join(" ", f.words("jvm_args")));
        mayHoldPort.put("env", String.join(" ", env.values()));
        ClusterFields.checkNoPlaceholder(mayHoldPort, cluster, blame);
        return new AppDefinition(
                blame,
                f.text("name"),
                text(script.value(), f.label("script")),
                f.words("args"),
                f.text("interpreter"),
                f.words("interpreter_args"),
                f.words("jvm_args"),
                f.text("cwd"),
                f.has("instances") ? instances(f.value("instances"), f.label("instances")) : 1,
                env,
                restart,
                stop,
                f.text("out_file"),
                f.text("error_file"),
                f.has("merge_logs") && bool(f.value("merge_logs"), f.label("merge_logs")),
                dateFormat(f),
                f.has("max_size") ? size(f.value("max_size"), f.label("max_size")) : LogPolicy.DEFAULT_MAX_SIZE,
                f.has("retain") ? count(f.value("retain"), f.label("retain")) : LogPolicy.DEFAULT_RETAIN,
                cluster,
                memoryLimit(f),
                namespace(f),
                !f.has("autostart") || bool(f.value("autostart"), f.label("autostart")));
    }

    /** PM2's {@code namespace}: a group of apps that commands can name. */
    private String namespace(Fields f) throws ConfigException {
        String namespace = f.text("namespace");
        if (namespace != null && namespace.isBlank()) {
            throw fail(f.value("namespace"), f.label("namespace"), "must not be empty");
        }
        return namespace;
    }

    /** {@code max_memory_restart} (PM2's bytes or K/M/G) and herd's {@code memory_check_interval}, or null. */
    private MemoryLimit memoryLimit(Fields f) throws ConfigException {
        Duration interval = f.duration("memory_check_interval", MemoryLimit.DEFAULT_INTERVAL);
        if (!f.has("max_memory_restart")) {
            if (f.has("memory_check_interval")) {
                warnings.add(f.label("memory_check_interval") + ": there is no max_memory_restart to check, ignored");
            }
            return null;
        }
        long bytes = size(f.value("max_memory_restart"), f.label("max_memory_restart"));
        if (bytes < MemoryLimit.MIN_BYTES) {
            throw fail(f.value("max_memory_restart"), f.label("max_memory_restart"), MemoryLimit.tooSmall(bytes));
        }
        if (interval.compareTo(MemoryLimit.MIN_INTERVAL) < 0) {
            throw fail(f.value("memory_check_interval"), f.label("memory_check_interval"),
                    "must be at least 1s (the daemon samples memory every second), got " + interval.toMillis() + " ms");
        }
        return new MemoryLimit(bytes, interval);
    }

    /** An unknown key, pointed at where the key is written. */
    ConfigException failKey(Node.Entry entry, String label, String reason) {
        return ConfigException.at(file, entry.keyAt(), label, reason);
    }

    /** Checked here so that a bad pattern is a config error naming its place, not a failed start. */
    private String dateFormat(Fields f) throws ConfigException {
        String pattern = f.text("log_date_format");
        if (pattern != null) {
            try {
                LogDateFormat.parse(pattern);
            } catch (IllegalArgumentException e) {
                throw fail(f.value("log_date_format"), f.label("log_date_format"), e.getMessage());
            }
        }
        return pattern;
    }

    /** Whether {@code exec_mode} asks for cluster mode. */
    private boolean execMode(Fields f) throws ConfigException {
        if (!f.has("exec_mode")) {
            return false;
        }
        String mode = text(f.value("exec_mode"), f.label("exec_mode"));
        return switch (mode) {
            case "fork", "fork_mode" -> false;
            case "cluster", "cluster_mode" -> true;
            default -> throw fail(f.value("exec_mode"), f.label("exec_mode"),
                    "expected 'fork' or 'cluster', got " + f.value("exec_mode").describe());
        };
    }

    /** The present, non-null fields of one app by herd's name, with typed getters. */
    private final class Fields {
        private final Map<String, Node.Entry> fields;
        private final String path;

        Fields(Map<String, Node.Entry> fields, String path) {
            this.fields = fields;
            this.path = path;
        }

        boolean has(String field) {
            return fields.containsKey(field);
        }

        Node value(String field) {
            return fields.get(field).value();
        }

        /** The path of the field as the user spelt it. */
        String label(String field) {
            return FieldPath.key(path, fields.get(field).key());
        }

        String text(String field) throws ConfigException {
            return has(field) ? AppParser.this.text(value(field), label(field)) : null;
        }

        List<String> words(String field) throws ConfigException {
            return has(field) ? AppParser.this.words(value(field), label(field)) : List.of();
        }

        Duration duration(String field, Duration otherwise) throws ConfigException {
            return has(field) ? AppParser.this.duration(value(field), label(field)) : otherwise;
        }
    }

    String text(Node node, String label) throws ConfigException {
        if (node instanceof Node.Text text) {
            return text.value();
        }
        throw fail(node, label, "expected a string, got " + node.describe());
    }

    /** A string split like a shell would, or a list whose scalars are taken as written. */
    private List<String> words(Node node, String label) throws ConfigException {
        if (node instanceof Node.Text text) {
            try {
                return ShellWords.split(text.value());
            } catch (IllegalArgumentException e) {
                throw fail(node, label, e.getMessage());
            }
        }
        if (node instanceof Node.Sequence list) {
            List<String> words = new ArrayList<>();
            for (Node item : list.items()) {
                String scalar = scalar(item);
                if (scalar == null) {
                    throw fail(item, FieldPath.index(label, words.size()), "expected a string, got " + item.describe());
                }
                words.add(scalar);
            }
            return words;
        }
        throw fail(node, label, "expected a string or a list of strings, got " + node.describe());
    }

    private Map<String, String> env(Node node, String label) throws ConfigException {
        if (!(node instanceof Node.Mapping map)) {
            throw fail(node, label, "expected an object of variable names and values, got " + node.describe());
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (Node.Entry entry : map.entries().values()) {
            String name = FieldPath.key(label, entry.key());
            if (entry.key().isEmpty() || entry.key().contains("=") || entry.key().contains("\0")) {
                throw ConfigException.at(file, entry.keyAt(), name, "not a valid variable name");
            }
            String value = scalar(entry.value());
            if (value == null) {
                throw fail(entry.value(), name, "expected a string, number or boolean, got " + entry.value().describe());
            }
            env.put(entry.key(), value);
        }
        return env;
    }

    /** A scalar as an environment variable or argument gets it, as written; null for anything else. */
    private static String scalar(Node node) {
        if (node instanceof Node.Text text) {
            return text.value();
        }
        if (node instanceof Node.Int || node instanceof Node.Decimal || node instanceof Node.Bool) {
            return node.describe();
        }
        return null;
    }

    boolean bool(Node node, String label) throws ConfigException {
        if (node instanceof Node.Bool bool) {
            return bool.value();
        }
        throw fail(node, label, "expected true or false, got " + node.describe());
    }

    /** A whole number from 0 to {@link Integer#MAX_VALUE}. */
    int count(Node node, String label) throws ConfigException {
        BigInteger n = integer(node);
        if (n == null) {
            throw fail(node, label, "expected a whole number, got " + node.describe());
        }
        requireNotNegative(n, node, label);
        if (n.bitLength() > 31) {
            throw fail(node, label, "too large, got " + node.describe());
        }
        return n.intValue();
    }

    Duration duration(Node node, String label) throws ConfigException {
        BigInteger n = integer(node);
        if (n != null) {
            requireNotNegative(n, node, label);
            if (n.bitLength() > 63) {
                throw fail(node, label, "too large, got " + node.describe());
            }
            return Duration.ofMillis(n.longValue());
        }
        if (node instanceof Node.Text text) {
            return Durations.parse(text.value()).orElseThrow(() -> fail(node, label,
                    "expected " + Durations.EXPECTED + ", got " + node.describe()));
        }
        throw fail(node, label, "expected " + Durations.EXPECTED + ", got " + node.describe());
    }

    private long size(Node node, String label) throws ConfigException {
        BigInteger n = integer(node);
        if (n != null) {
            requireNotNegative(n, node, label);
            if (n.bitLength() > 63) {
                throw fail(node, label, "too large, got " + node.describe());
            }
            return n.longValue();
        }
        if (node instanceof Node.Text text) {
            return ByteSizes.parse(text.value()).orElseThrow(() -> fail(node, label,
                    "expected " + ByteSizes.EXPECTED + ", got " + node.describe()));
        }
        throw fail(node, label, "expected " + ByteSizes.EXPECTED + ", got " + node.describe());
    }

    private int instances(Node node, String label) throws ConfigException {
        BigInteger n = integer(node);
        if (n != null) {
            return Instances.count(n.max(BigInteger.valueOf(Long.MIN_VALUE)).min(BigInteger.valueOf(Long.MAX_VALUE))
                    .longValue(), cores);
        }
        if (node instanceof Node.Text text) {
            return Instances.parse(text.value(), cores).orElseThrow(() -> fail(node, label,
                    "expected " + Instances.EXPECTED + ", got " + node.describe()));
        }
        throw fail(node, label, "expected " + Instances.EXPECTED + ", got " + node.describe());
    }

    private Set<Integer> exitCodes(Node node, String label) throws ConfigException {
        if (!(node instanceof Node.Sequence list)) {
            return Set.of(exitCode(node, label));
        }
        Set<Integer> codes = new HashSet<>();
        for (int i = 0; i < list.items().size(); i++) {
            codes.add(exitCode(list.items().get(i), FieldPath.index(label, i)));
        }
        return codes;
    }

    private int exitCode(Node node, String label) throws ConfigException {
        BigInteger n = integer(node);
        if (n == null || n.signum() < 0 || n.compareTo(MAX_EXIT_CODE) > 0) {
            throw fail(node, label, "expected an exit code from 0 to 255, got " + node.describe());
        }
        return n.intValue();
    }

    private Signal signal(Node node, String label) throws ConfigException {
        String text = node instanceof Node.Int ? node.describe() : text(node, label);
        try {
            return Signal.parse(text);
        } catch (IllegalArgumentException e) {
            throw fail(node, label, e.getMessage());
        }
    }

    /** A whole number written as a number, or as a string of digits (PM2 users quote them). */
    private static BigInteger integer(Node node) {
        if (node instanceof Node.Int n) {
            return n.value();
        }
        if (node instanceof Node.Text text && INTEGER.matcher(text.value().trim()).matches()) {
            return new BigInteger(text.value().trim());
        }
        return null;
    }

    private void requireNotNegative(BigInteger n, Node node, String label) throws ConfigException {
        if (n.signum() < 0) {
            throw fail(node, label, "must not be negative, got " + node.describe());
        }
    }

    ConfigException fail(Node node, String label, String reason) {
        return ConfigException.at(file, node.at(), label, reason);
    }
}
