package dev.herd.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The daemon settings file, {@code $HERD_HOME/daemon.conf}: {@code name = value} lines, {@code #}
 * comments, read by every new daemon so that metrics turned on once stay on. Written by
 * {@code herd metrics} and by hand alike: an update changes only the values of the settings it
 * sets and keeps every other line, and every comment, as the user wrote it. A file with a mistake
 * is never written over. The file is mode 0600, since it can hold the token.
 *
 * <p>Settings: {@value #PORT} (1-65535; absent: metrics off), {@value #HOST} (default
 * {@value MetricsSettings#DEFAULT_HOST}), {@value #TOKEN} (at least
 * {@value MetricsSettings#MIN_TOKEN_LENGTH} characters).
 */
public final class SettingsFile {

    /** The port; absent when metrics are off. */
    public static final String PORT = "metrics.port";
    /** The address to bind. */
    public static final String HOST = "metrics.host";
    /** The token every request must carry. */
    public static final String TOKEN = "metrics.token";

    private static final List<String> KNOWN = List.of(PORT, HOST, TOKEN);
    /** {@code name = value}, and a comment after a space and {@code #}. */
    private static final Pattern LINE = Pattern.compile("\\s*([^=\\s]+)\\s*=\\s*(.*?)(\\s+#.*)?\\s*");

    /**
     * What the file holds, each null when it is not set.
     *
     * @param host  {@value #HOST}
     * @param port  {@value #PORT}
     * @param token {@value #TOKEN}
     */
    public record Stored(String host, Integer port, String token) {

        /** Nothing set. */
        public static final Stored NONE = new Stored(null, null, null);

        /** The settings metrics run with, empty when they are off. */
        public Optional<MetricsSettings> settings() {
            return port == null ? Optional.empty()
                    : Optional.of(new MetricsSettings(host != null ? host : MetricsSettings.DEFAULT_HOST, port, token));
        }
    }

    private final Path file;

    /** @param file the settings file; it need not exist */
    public SettingsFile(Path file) {
        this.file = file;
    }

    /** The file. */
    public Path path() {
        return file;
    }

    /**
     * Reads the file; a missing file sets nothing.
     *
     * @throws MetricsException naming the file, line and setting of the first mistake
     */
    public Stored read() throws MetricsException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Stored.NONE;
        } catch (IOException e) {
            throw new MetricsException("cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new HashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1);
            if (line.isBlank() || line.strip().startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw error(n, null, "expected 'name = value', found '" + line.strip() + "'");
            }
            String name = m.group(1);
            if (!KNOWN.contains(name)) {
                throw error(n, name, "unknown setting (known: " + String.join(", ", KNOWN) + ")");
            }
            Integer before = lineOf.put(name, n);
            if (before != null) {
                throw error(n, name, "set twice (also on line " + before + ")");
            }
            // Each value is checked on its line, so the first mistake in the file is the one named.
            check(n, name, m.group(2));
            values.put(name, m.group(2));
        }
        String portText = values.get(PORT);
        return new Stored(values.get(HOST), portText == null ? null : parsePort(portText), values.get(TOKEN));
    }

    private void check(int n, String name, String value) throws MetricsException {
        switch (name) {
            case HOST -> {
                if (value.isEmpty()) {
                    throw error(n, HOST, "is empty (an address, e.g. " + MetricsSettings.DEFAULT_HOST + ")");
                }
            }
            case TOKEN -> {
                if (value.length() < MetricsSettings.MIN_TOKEN_LENGTH || value.chars().anyMatch(Character::isWhitespace)) {
                    throw error(n, TOKEN, "must be at least " + MetricsSettings.MIN_TOKEN_LENGTH
                            + " characters with no spaces (leave it out on a non-loopback host and herd generates one)");
                }
            }
            default -> {
                if (parsePort(value) == null) {
                    throw error(n, PORT, "'" + value + "' is not a port number (1-65535)");
                }
            }
        }
    }

    /** A port number in 1-65535, or null. */
    static Integer parsePort(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
            return null;
        }
        int p = Integer.parseInt(text);
        return p >= 1 && p <= 65535 ? p : null;
    }

    private MetricsException error(int line, String name, String what) {
        return new MetricsException(file + ":" + line + ": " + (name != null ? name + ": " : "") + what);
    }

    /**
     * Sets the given settings, a null value removing one, keeping every other line. Refuses, writing
     * nothing, when the file has a mistake.
     *
     * @throws MetricsException when the file has a mistake or cannot be written
     */
    public void update(Map<String, String> values) throws MetricsException {
        read();
        List<String> lines = new ArrayList<>();
        try {
            if (Files.exists(file)) {
                lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new MetricsException("cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> pending = new LinkedHashMap<>(values);
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            if (!line.strip().startsWith("#") && m.matches() && pending.containsKey(m.group(1))) {
                String value = pending.remove(m.group(1));
                if (value != null) {
                    out.add(m.group(1) + " = " + value + (m.group(3) != null ? m.group(3) : ""));
                }
            } else {
                out.add(line);
            }
        }
        pending.forEach((name, value) -> {
            if (value != null) {
                out.add(name + " = " + value);
            }
        });
        try {
            Path tmp = Files.createTempFile(file.getParent(), ".daemon", ".conf",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, out, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new MetricsException("cannot write " + file + ": " + e.getMessage());
        }
    }

    /** Writes these settings, keeping every other line. */
    public void save(MetricsSettings s) throws MetricsException {
        Map<String, String> values = new LinkedHashMap<>();
        values.put(PORT, Integer.toString(s.port()));
        values.put(HOST, s.host());
        values.put(TOKEN, s.token());
        update(values);
    }
}
