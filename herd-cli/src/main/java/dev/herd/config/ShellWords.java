package dev.herd.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a string into words as a POSIX shell would, without expanding anything: blanks separate
 * words, single quotes keep everything literally, double quotes keep everything but a backslash
 * before {@code "}, {@code \}, {@code $} or {@code `}, and a backslash outside quotes keeps the
 * next character. {@code ""} is an empty word.
 */
final class ShellWords {

    private ShellWords() {
    }

    /**
     * @throws IllegalArgumentException with the reason when a quote is not closed or the text ends
     *                                  with a lone backslash
     */
    static List<String> split(String text) {
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
