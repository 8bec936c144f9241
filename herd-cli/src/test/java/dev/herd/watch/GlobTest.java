package dev.herd.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Globs as picomatch reads them in PM2's watch and ignore_watch. */
class GlobTest {

    private static boolean matches(String glob, String path) {
        return Glob.compile(glob).matcher(path).matches();
    }

    @Test
    void starAndQuestionMarkStayWithinOneFolder() {
        assertThat(matches("*.log", "app.log")).isTrue();
        assertThat(matches("*.log", ".hidden.log")).isTrue();
        assertThat(matches("*.log", "logs/app.log")).isFalse();
        assertThat(matches("a?c", "abc")).isTrue();
        assertThat(matches("a?c", "a/c")).isFalse();
    }

    @Test
    void doubleStarCrossesAnyNumberOfFoldersNoneIncluded() {
        assertThat(matches("src/**/*.js", "src/a.js")).isTrue();
        assertThat(matches("src/**/*.js", "src/x/y/a.js")).isTrue();
        assertThat(matches("src/**/*.js", "lib/a.js")).isFalse();
        assertThat(matches("**", "a/b/c")).isTrue();
        assertThat(matches("src/**", "src/a/b")).isTrue();
    }

    @Test
    void classesBracesAndEscapes() {
        assertThat(matches("[ab].txt", "a.txt")).isTrue();
        assertThat(matches("[!ab].txt", "a.txt")).isFalse();
        assertThat(matches("[!ab].txt", "c.txt")).isTrue();
        assertThat(matches("*.{js,ts}", "a.ts")).isTrue();
        assertThat(matches("*.{js,ts}", "a.py")).isFalse();
        assertThat(matches("\\.git", ".git")).isTrue();
        assertThat(matches("a+b(1).txt", "a+b(1).txt")).isTrue();
    }

    @Test
    void tellsAGlobFromALiteral() {
        assertThat(Glob.isGlob("src/*.js")).isTrue();
        assertThat(Glob.isGlob("file{1,2}")).isTrue();
        assertThat(Glob.isGlob("logs")).isFalse();
        assertThat(Glob.isGlob("\\*literal")).isFalse();
        assertThat(Glob.literal("\\*literal")).isEqualTo("*literal");
    }

    @Test
    void anUnclosedBracketOrBraceIsAnError() {
        assertThatThrownBy(() -> Glob.compile("[ab")).hasMessage("'[' is not closed in '[ab'");
        assertThatThrownBy(() -> Glob.compile("{a,b")).hasMessage("'{' is not closed in '{a,b'");
    }
}
