package dev.herd.config;

import java.nio.file.Path;

/**
 * A user mistake in an ecosystem file or a start command, described in one message that names the
 * file, line, column and field, for example
 * {@code /srv/ecosystem.yml:7:19: apps[1].max_restarts: expected a whole number, got 'many'}.
 *
 * <p>Parts that do not apply are left out: a JavaScript ecosystem file has no line and column
 * ({@code /srv/ecosystem.config.js: apps[0].script: ...}) and a start command has no file
 * ({@code start: script 'x.js' not found in /srv}). The message never carries a stack trace of
 * the parser; it is meant to be shown to the user as is.
 */
public final class ConfigException extends Exception {

    ConfigException(String message) {
        super(message);
    }

    /**
     * @param file   the ecosystem file, or {@code null} for a start command
     * @param at     where in the file, or {@code null} when the source has no positions
     * @param field  the field path ({@code apps[0].env.PORT}), or empty when the whole file is meant
     * @param reason what is wrong
     */
    static ConfigException at(Path file, Node.Position at, String field, String reason) {
        StringBuilder message = new StringBuilder();
        if (file != null) {
            message.append(file);
            if (at != null) {
                message.append(':').append(at.line()).append(':').append(at.column());
            }
            message.append(": ");
        }
        if (!field.isEmpty()) {
            message.append(field).append(": ");
        }
        return new ConfigException(message.append(reason).toString());
    }
}
