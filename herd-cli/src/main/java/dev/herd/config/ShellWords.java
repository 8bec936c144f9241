package dev.herd.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a string into words as a POSIX shell would, without expanding anything: blanks separate
 * words, single quotes keep everything literally, double quotes keep everything but a backslash
 * before {@code "}, {@code \}, {@code $} or {@code `}, and a backslash outside quotes keeps the
 * next character. {@code ""} is an empty word. {@link #join} is the other way: words a shell (and
 * {@link #split}) reads back as they are.
 */
public final class ShellWords {

    private ShellWords() {
    }

    /**
     * @throws IllegalArgumentException with the reason when a quote is not closed or the text ends
     *                                  with a lone backslash
     */
    public static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                int close = text.indexOf('\'', i + 1);
                if (close < 0) {
                    throw new IllegalArgumentException("unclosed single quote in \"" + text + "\"");
                }
                word.append(text, i + 1, close);
                i = close;
                inWord = true;
            } else if (c == '"') {
                i = doubleQuoted(text, i + 1, word);
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 == text.length()) {
                    throw new IllegalArgumentException("lone backslash at the end of \"" + text + "\"");
                }
                word.append(text.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    /** Appends the double-quoted part starting at {@code from}; returns the index of the closing quote. */
    /**
     * The words as one line a POSIX shell reads back as these words: each is left as it is when
     * it holds only characters no shell treats specially, else put in single quotes (a quote
     * inside as {@code '\''}); an empty word is {@code ''}. What {@code describe} shows for a
     * command, so that {@code b c} and {@code d$e} read as the single arguments they are.
     */
    public static String join(List<String> words) {
        StringBuilder line = new StringBuilder();
        for (String w : words) {
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(plain(w) ? w : "'" + w.replace("'", "'\\''") + "'");
        }
        return line.toString();
    }

    private static boolean plain(String word) {
        if (word.isEmpty()) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "_@%+=:,./-".indexOf(c) >= 0;
            if (!safe) {
                return false;
            }
        }
        return true;
    }

    private static int doubleQuoted(String text, int from, StringBuilder word) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                return i;
            }
            if (c == '\\' && i + 1 < text.length() && "\"\\$`".indexOf(text.charAt(i + 1)) >= 0) {
                c = text.charAt(++i);
            }
            word.append(c);
        }
        throw new IllegalArgumentException("unclosed double quote in \"" + text + "\"");
    }
}
