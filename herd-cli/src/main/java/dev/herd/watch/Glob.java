package dev.herd.watch;

import java.util.regex.Pattern;

/**
 * Globs as chokidar (picomatch) reads them in PM2's {@code watch} and {@code ignore_watch}, turned
 * into regular expressions over {@code /}-separated paths: {@code *} and {@code ?} stay within one
 * folder, {@code **} crosses any number of folders (none included), {@code [abc]}, {@code [!abc]}
 * and {@code {a,b}} as in a shell, and {@code \} makes the next character literal. Names starting
 * with a dot match like any other (picomatch's {@code dot: true}, which chokidar sets).
 */
final class Glob {

    private static final String SPECIAL = "*?[{";

    private Glob() {
    }

    /** Whether {@code text} has a glob character that is not escaped. */
    static boolean isGlob(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (SPECIAL.indexOf(c) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** The glob with its escapes removed, for a {@code text} that is not a glob. */
    static String literal(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                c = text.charAt(++i);
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * A pattern that matches a whole path written as {@code glob}.
     *
     * @throws IllegalArgumentException for an unclosed {@code [} or {@code {}
     */
    static Pattern compile(String glob) {
        return Pattern.compile(regex(glob));
    }

    static String regex(String glob) {
        StringBuilder re = new StringBuilder();
        int braces = 0;
        int n = glob.length();
        for (int i = 0; i < n; i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '\\' -> {
                    if (i + 1 < n) {
                        quote(re, glob.charAt(++i));
                    } else {
                        quote(re, c);
                    }
                }
                case '*' -> {
                    boolean twice = i + 1 < n && glob.charAt(i + 1) == '*';
                    boolean wholeSegment = twice && (i == 0 || glob.charAt(i - 1) == '/')
                            && (i + 2 == n || glob.charAt(i + 2) == '/');
                    if (wholeSegment) {
                        i++;
                        if (i + 1 < n) {
                            // "**/": any number of folders, none included.
                            re.append("(?:[^/]*/)*");
                            i++;
                        } else {
                            re.append(".*");
                        }
                    } else {
                        while (i + 1 < n && glob.charAt(i + 1) == '*') {
                            i++;
                        }
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '[' -> i = charClass(glob, i, re);
                case '{' -> {
                    braces++;
                    re.append("(?:");
                }
                case '}' -> {
                    if (braces > 0) {
                        braces--;
                        re.append(')');
                    } else {
                        quote(re, c);
                    }
                }
                case ',' -> {
                    if (braces > 0) {
                        re.append('|');
                    } else {
                        quote(re, c);
                    }
                }
                default -> quote(re, c);
            }
        }
        if (braces > 0) {
            throw new IllegalArgumentException("'{' is not closed in '" + glob + "'");
        }
        return re.toString();
    }

    private static int charClass(String glob, int open, StringBuilder re) {
        int i = open + 1;
        StringBuilder cls = new StringBuilder("[");
        if (i < glob.length() && (glob.charAt(i) == '!' || glob.charAt(i) == '^')) {
            cls.append('^');
            i++;
        }
        int first = i;
        for (; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == ']' && i > first) {
                re.append(cls).append(']');
                return i;
            }
            if (c == '\\' && i + 1 < glob.length()) {
                c = glob.charAt(++i);
            }
            // Within a class, only these mean something to Java's regex but not to a glob.
            if (c == '[' || c == ']' || c == '&' || c == '\\' || c == '^') {
                cls.append('\\');
            }
            cls.append(c);
        }
        throw new IllegalArgumentException("'[' is not closed in '" + glob + "'");
    }

    private static void quote(StringBuilder re, char c) {
        if ("\\.[]{}()<>*+-=!?^$|".indexOf(c) >= 0) {
            re.append('\\');
        }
        re.append(c);
    }
}
