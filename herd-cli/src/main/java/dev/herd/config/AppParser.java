package dev.herd.config;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.MemoryLimit;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.RestartTriggers;
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
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one app object of an ecosystem file into an {@link AppDefinition}: PM2's field names,
 * every value checked for type and range, errors pointing at the value (or, for an unknown field,
 * the key). Which keys are fields, and what herd does with each, is {@link Pm2Fields}'s table; a
 * key in none of its spellings is a typo when it is a near miss of one, and a warning otherwise.
 * Touches no file system.
 *
 * <p>Not thread-safe: it collects warnings and the {@code env_<name>} names it saw.
 */
final class AppParser {

    private static final String ENV_PREFIX = "env_";
    /** The warning for a key that is no field and near none. */
    static final String NOT_A_FIELD = "not a PM2 or herd field, ignored";
    /** {@code envProduction}: PM2 reads {@code env_<name>} only, and drops this one unread. */
    private static final Pattern CAMEL_ENV = Pattern.compile("env([A-Z]\\w*)");
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
     * @param app                    the app's object
     * @param path                   its field path, {@code apps[0]}, or empty when the file is this one app
     * @param clusterWithoutExecMode read an app without {@code exec_mode} as a cluster app, as PM2
     *                               runs a Node app with {@code instances}
     */
    AppDefinition parse(Node.Mapping app, String path, boolean clusterWithoutExecMode) throws ConfigException {
        Map<String, Node.Entry> fields = new HashMap<>();
        Map<String, Node.Entry> known = new HashMap<>();
        Map<String, String> selectedEnv = Map.of();
        for (Node.Entry entry : app.entries().values()) {
            String key = entry.key();
            String label = FieldPath.key(path, key);
            if (entry.value() instanceof Node.Null) {
                continue;
            }
            Pm2Fields.Field field = Pm2Fields.lookup(key).orElse(null);
            if (field != null) {
                Node.Entry other = known.putIfAbsent(field.name(), entry);
                if (other != null) {
                    // PM2 silently takes one of the two; two spellings saying the same thing are harmless.
                    if (!Node.sameValue(other.value(), entry.value())) {
                        throw ConfigException.at(file, entry.keyAt(), label,
                                "same field as " + other.key() + ", which is also set: keep one");
                    }
                } else if (field.status() == Pm2Fields.Status.IMPLEMENTED) {
                    fields.put(field.name(), entry);
                } else if (!field.isQuiet(entry.value())) {
                    warnings.add(label + ": " + field.instead() + ", ignored");
                }
            } else if (key.startsWith(ENV_PREFIX) && key.length() > ENV_PREFIX.length()) {
                String name = key.substring(ENV_PREFIX.length());
                envNames.add(name);
                Map<String, String> env = env(entry.value(), label);
                if (name.equals(envName)) {
                    selectedEnv = env;
                }
            } else {
                unknown(entry, label);
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
        ClusterSpec cluster = ClusterFields.read(f.has("exec_mode") ? execMode(f) : clusterWithoutExecMode, fields, env,
                f::label, this, warnings);
        String incrementVar = variableName(f, "increment_var");
        if (cluster != null && "PORT".equals(incrementVar)) {
            warnings.add(f.label("increment_var") + ": in cluster mode each instance gets a PORT of its own, ignored");
            incrementVar = null;
        }
        RestartTriggers triggers = WatchFields.read(fields, f::label, this, warnings);

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
                f.duration("kill_timeout", StopPolicy.DEFAULT.killTimeout()),
                f.has("treekill") && !bool(f.value("treekill"), f.label("treekill")),
                f.has("shutdown_with_message") && bool(f.value("shutdown_with_message"), f.label("shutdown_with_message")));

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
                LogFields.dateFormat(fields, f::label, this),
                f.has("max_size") ? size(f.value("max_size"), f.label("max_size")) : LogPolicy.DEFAULT_MAX_SIZE,
                f.has("retain") ? count(f.value("retain"), f.label("retain")) : LogPolicy.DEFAULT_RETAIN,
                cluster,
                memoryLimit(f),
                f.has("exec_mode"),
                f.has("instances"),
                variableName(f, "instance_var"),
                incrementVar,
                f.has("filter_env") ? envFilter(f.value("filter_env"), f.label("filter_env")) : null,
                envName != null && f.has("append_env_to_name")
                        && bool(f.value("append_env_to_name"), f.label("append_env_to_name")) ? "-" + envName : null,
                f.has("uid") ? account(f.value("uid"), f.label("uid")) : null,
                f.has("gid") ? account(f.value("gid"), f.label("gid")) : null,
                f.text("pid_file"),
                cluster == null ? ClusterFields.forkWaitReady(fields, f::label, this, warnings) : null,
                LogFields.read(fields, f::label, this),
                triggers,
                namespace(f),
                !f.has("autostart") || bool(f.value("autostart"), f.label("autostart")));
    }

    /** A field that names an environment variable. */
    private String variableName(Fields f, String field) throws ConfigException {
        String name = f.text(field);
        if (name != null && (name.isEmpty() || name.contains("=") || name.contains("\0"))) {
            throw fail(f.value(field), f.label(field), "not a valid variable name: " + f.value(field).describe());
        }
        return name;
    }

    /** PM2's {@code filter_env}: true, a variable's name, or a list of strings that names contain. */
    private EnvFilter envFilter(Node node, String label) throws ConfigException {
        if (node instanceof Node.Bool b) {
            return b.value() ? EnvFilter.ALL : null;
        }
        if (node instanceof Node.Text t) {
            return EnvFilter.exactly(t.value());
        }
        if (node instanceof Node.Sequence list) {
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < list.items().size(); i++) {
                Node item = list.items().get(i);
                String part = item instanceof Node.Text t ? t.value() : null;
                if (part == null || part.isEmpty()) {
                    throw fail(item, FieldPath.index(label, i), "expected a part of a variable name, got " + item.describe());
                }
                parts.add(part);
            }
            return parts.isEmpty() ? null : EnvFilter.containing(parts);
        }
        throw fail(node, label, "expected true, a variable name or a list of name parts, got " + node.describe());
    }

    /** A user or group by name or id ({@code uid: 1000}, {@code uid: www-data}), checked against the system later. */
    private String account(Node node, String label) throws ConfigException {
        BigInteger n = integer(node);
        if (n != null) {
            if (n.signum() < 0 || n.bitLength() > 31) {
                throw fail(node, label, "expected a name or an id from 0 up, got " + node.describe());
            }
            return n.toString();
        }
        String name = text(node, label);
        if (name.isBlank()) {
            throw fail(node, label, "expected a name or an id, got " + node.describe());
        }
        return name;
    }

    /**
     * A key no field has: a near miss of a known one is a typo, refused with the suggestion; any
     * other key is a warning, as PM2 drops keys it does not know.
     */
    private void unknown(Node.Entry entry, String label) throws ConfigException {
        String key = entry.key();
        Matcher camelEnv = CAMEL_ENV.matcher(key);
        Optional<String> near = camelEnv.matches() ? Optional.of(ENV_PREFIX + envName(camelEnv.group(1)))
                : Suggestions.nearest(key, Pm2Fields.spellings());
        if (near.isPresent()) {
            throw ConfigException.at(file, entry.keyAt(), label, "unknown field (did you mean '" + near.get() + "'?)");
        }
        warnings.add(label + ": " + NOT_A_FIELD);
    }

    /** {@code Production} to {@code production}; {@code PROD} stays as it is. */
    private static String envName(String camel) {
        boolean acronym = camel.length() > 1 && Character.isUpperCase(camel.charAt(1));
        return acronym ? camel : Character.toLowerCase(camel.charAt(0)) + camel.substring(1);
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
