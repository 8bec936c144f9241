package dev.herd.config;

import java.util.Map;
import java.util.function.Function;

import dev.herd.supervisor.logs.LogDateFormat;
import dev.herd.supervisor.logs.LogFormat;

/**
 * How one app's lines are written, beyond where its two streams go ({@code out_file},
 * {@code error_file}, {@code merge_logs}, {@code max_size}, {@code retain}, which
 * {@link AppParser} reads itself): PM2's {@code log_date_format} and {@code time}, its combined
 * {@code log_file}, {@code log_type} and {@code disable_logs}, from a file or from
 * {@code start}'s options, with PM2's meanings:
 * <ul>
 *   <li>{@code time: true} prefixes each line with {@code "YYYY-MM-DDTHH:mm:ss: "}; a
 *       {@code log_date_format} set too is used instead (PM2 would ignore it);</li>
 *   <li>{@code log_file}: a path (relative to the base folder), {@code true} for
 *       {@code <name>.log} in herd's logs folder, or {@code false}, {@code ""}, {@code "NULL"} or
 *       {@code /dev/null} for none;</li>
 *   <li>{@code log_type: json} writes each line as a JSON object, {@code raw} (the default) as it
 *       is;</li>
 *   <li>{@code disable_logs: true} keeps no file at all.</li>
 * </ul>
 */
final class LogFields {

    /** The values of {@code log_type}. */
    static final String RAW = "raw";
    static final String JSON = "json";

    private LogFields() {
    }

    /**
     * What the fields say, checked but not yet resolved against the file system.
     *
     * @param logFile        the combined log as written, or {@code null} for none (or the default one)
     * @param defaultLogFile {@code log_file: true}: the combined log goes to herd's logs folder
     * @param json           {@code log_type: json}
     * @param disabled       {@code disable_logs: true}
     */
    record Options(String logFile, boolean defaultLogFile, boolean json, boolean disabled) {

        /** No combined log, lines as written, files kept. */
        static final Options NONE = new Options(null, false, false, false);
    }

    /**
     * The date format: {@code log_date_format}, else PM2's for {@code time: true}, else
     * {@code null}; checked here so that a bad pattern is an error that names its place rather
     * than a failed start.
     */
    static String dateFormat(Map<String, Node.Entry> fields, Function<String, String> label, AppParser r)
            throws ConfigException {
        Node.Entry format = fields.get("log_date_format");
        if (format != null) {
            String pattern = r.text(format.value(), label.apply("log_date_format"));
            try {
                LogDateFormat.parse(pattern);
            } catch (IllegalArgumentException e) {
                throw r.fail(format.value(), label.apply("log_date_format"), e.getMessage());
            }
            return pattern;
        }
        Node.Entry time = fields.get("time");
        return time != null && r.bool(time.value(), label.apply("time")) ? LogFormat.PM2_TIME : null;
    }

    /** {@code log_file}, {@code log_type} and {@code disable_logs}. */
    static Options read(Map<String, Node.Entry> fields, Function<String, String> label, AppParser r)
            throws ConfigException {
        String logFile = null;
        boolean defaultLogFile = false;
        Node.Entry log = fields.get("log_file");
        if (log != null) {
            if (log.value() instanceof Node.Bool b) {
                defaultLogFile = b.value();
            } else if (log.value() instanceof Node.Text) {
                String written = r.text(log.value(), label.apply("log_file"));
                logFile = isNone(written) ? null : written;
            } else {
                throw r.fail(log.value(), label.apply("log_file"), "expected a file, or true for <name>.log in "
                        + "herd's logs folder, or false, got " + log.value().describe());
            }
        }
        boolean json = false;
        Node.Entry type = fields.get("log_type");
        if (type != null) {
            String value = r.text(type.value(), label.apply("log_type"));
            String problem = typeProblem(value);
            if (problem != null) {
                throw r.fail(type.value(), label.apply("log_type"), problem);
            }
            json = value.equals(JSON);
        }
        Node.Entry disable = fields.get("disable_logs");
        boolean disabled = disable != null && r.bool(disable.value(), label.apply("disable_logs"));
        return new Options(logFile, defaultLogFile, json, disabled);
    }

    /** Why {@code value} is not a {@code log_type}, or {@code null} if it is one. */
    static String typeProblem(String value) {
        return value.equals(JSON) || value.equals(RAW) ? null : "expected 'json' or 'raw', got '" + value + "'";
    }

    /** PM2's ways to say "no combined log": an empty string, {@code NULL} and {@code /dev/null}. */
    static boolean isNone(String file) {
        return file.isEmpty() || file.equals("NULL") || file.equals("/dev/null");
    }
}
