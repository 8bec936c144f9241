package dev.herd.hit;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which instance served a response:
 * <ol>
 *   <li>the {@code X-Herd-Instance} response header, when present and not blank (herd's cluster
 *       mode adds it with {@code instance_header: true});</li>
 *   <li>otherwise, in the body's first line (trimmed), the value of a JSON-style field named
 *       {@code instance}, {@code worker}, {@code pid} or {@code id} (the first of them in the line,
 *       any case): {@code {"pid": 4312, "uptime": 12}} is {@code 4312};</li>
 *   <li>otherwise the last whole number in that line: {@code Hello from worker 4312} is
 *       {@code 4312};</li>
 *   <li>otherwise the line itself, cut at {@value #MAX_LENGTH} characters, or {@code (empty)}.</li>
 * </ol>
 */
public final class InstanceRule {

    /** The response header herd's balancer sets to the instance's id. */
    public static final String HEADER = "X-Herd-Instance";
    /** Longest identity kept: bodies without a number would otherwise make long keys. */
    static final int MAX_LENGTH = 64;

    private static final Pattern FIELD = Pattern.compile(
            "\"(instance|worker|pid|id)\"\\s*:\\s*(?:\"([^\"]{0," + MAX_LENGTH + "})\"|(-?\\d+))", Pattern.CASE_INSENSITIVE);
    private static final Pattern LAST_NUMBER = Pattern.compile("(\\d+)\\D*$");

    private InstanceRule() {
    }

    /**
     * The identity of the instance that answered.
     *
     * @param header    the {@value #HEADER} header's value, or null when absent
     * @param firstLine the body's first line, or null or empty when the body was empty
     */
    public static String identify(String header, String firstLine) {
        if (header != null && !header.isBlank()) {
            return cut(header.strip());
        }
        String line = firstLine == null ? "" : firstLine.strip();
        Matcher field = FIELD.matcher(line);
        if (field.find()) {
            return field.group(2) != null ? field.group(2) : field.group(3);
        }
        Matcher number = LAST_NUMBER.matcher(line);
        if (number.find()) {
            return cut(number.group(1));
        }
        return line.isEmpty() ? "(empty)" : cut(line);
    }

    private static String cut(String s) {
        return s.length() <= MAX_LENGTH ? s : s.substring(0, MAX_LENGTH);
    }
}
