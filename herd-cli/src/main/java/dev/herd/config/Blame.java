package dev.herd.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * Turns a problem with one field of one app into a {@link ConfigException} that points where the
 * user wrote it: the field's value in a file, or the option of a start command.
 */
sealed interface Blame permits Blame.InFile, Blame.InCommand {

    /**
     * @param field  an app field by its herd name ({@code script}), or empty for the app itself
     * @param reason what is wrong
     */
    ConfigException error(String field, String reason);

    /** How a message names the field: its path in the file as spelt there, or the option. */
    String label(String field);

    /**
     * An app in an ecosystem file.
     *
     * @param file    the file
     * @param appPath {@code apps[1]}, or empty for a file that is one app object
     * @param app     the app's object, to find where a field was written
     */
    record InFile(Path file, String appPath, Node.Mapping app) implements Blame {
        public ConfigException error(String field, String reason) {
            Node.Entry entry = written(field);
            Node.Position at = entry == null ? app.at() : entry.value().at();
            return ConfigException.at(file, at, label(field), reason);
        }

        public String label(String field) {
            Node.Entry entry = written(field);
            String key = entry == null ? field : entry.key();
            return key.isEmpty() ? appPath : FieldPath.key(appPath, key);
        }

        /** The entry for {@code field}, also when written under another of its spellings. */
        private Node.Entry written(String field) {
            Node.Entry entry = app.entries().get(field);
            if (entry != null) {
                return entry;
            }
            return app.entries().values().stream()
                    .filter(e -> !(e.value() instanceof Node.Null) && Pm2Fields.herdName(e.key()).equals(field))
                    .findFirst()
                    .orElse(null);
        }
    }

    /** An app from {@code herd start <target>}: errors name the option, as the user typed it. */
    record InCommand() implements Blame {
        private static final Map<String, String> OPTIONS = Map.ofEntries(
                Map.entry("name", "start --name"),
                Map.entry("instances", "start -i"),
                Map.entry("interpreter", "start --interpreter"),
                Map.entry("interpreter_args", "start --interpreter-args"),
                Map.entry("port", "start --port"),
                Map.entry("max_memory_restart", "start --max-memory-restart"),
                Map.entry("log_date_format", "start --log-date-format"),
                Map.entry("log_type", "start --log-type"),
                Map.entry("ignore_watch", "start --ignore-watch"),
                Map.entry("watch_delay", "start --watch-delay"),
                Map.entry("cron_restart", "start --cron-restart"),
                Map.entry("namespace", "start --namespace"),
                Map.entry("kill_timeout", "start --kill-timeout"),
                Map.entry("max_restarts", "start --max-restarts"),
                Map.entry("min_uptime", "start --min-uptime"),
                Map.entry("restart_delay", "start --restart-delay"),
                Map.entry("exp_backoff_restart_delay", "start --exp-backoff-restart-delay"),
                Map.entry("listen_timeout", "start --listen-timeout"),
                Map.entry("socket", "start --socket"));

        public ConfigException error(String field, String reason) {
            return ConfigException.at(null, null, label(field), reason);
        }

        public String label(String field) {
            return OPTIONS.getOrDefault(field, "start");
        }
    }
}
