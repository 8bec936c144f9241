package dev.herd.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

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
            String key = entry == null ? field : entry.key();
            return ConfigException.at(file, at, key.isEmpty() ? appPath : FieldPath.key(appPath, key), reason);
        }

        /** The entry for {@code field}, also when written under one of PM2's other names. */
        private Node.Entry written(String field) {
            Node.Entry entry = app.entries().get(field);
            if (entry != null) {
                return entry;
            }
            return AppParser.ALIASES.entrySet().stream()
                    .filter(alias -> alias.getValue().equals(field))
                    .map(alias -> app.entries().get(alias.getKey()))
                    .filter(Objects::nonNull)
                    .findFirst()
                    .orElse(null);
        }
    }

    /** An app from {@code herd start <target>}: errors name the option, as the user typed it. */
    record InCommand() implements Blame {
        private static final Map<String, String> OPTIONS = Map.of(
                "name", "start --name",
                "instances", "start -i",
                "interpreter", "start --interpreter",
                "interpreter_args", "start --interpreter-args",
                "port", "start --port",
                "max_memory_restart", "start --max-memory-restart",
                "namespace", "start --namespace");

        public ConfigException error(String field, String reason) {
            return ConfigException.at(null, null, OPTIONS.getOrDefault(field, "start"), reason);
        }
    }
}
