package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class ShellWordsTest {

    @Test
    void splitsOnBlanks() {
        assertThat(ShellWords.split("  --port 3000\t-v\n")).containsExactly("--port", "3000", "-v");
    }

    @Test
    void emptyTextHasNoWords() {
        assertThat(ShellWords.split("   ")).isEmpty();
    }

    @Test
    void singleQuotesKeepEverything() {
        assertThat(ShellWords.split("--msg 'a \"b\" \\c'")).containsExactly("--msg", "a \"b\" \\c");
    }

    @Test
    void doubleQuotesUnescapeOnlyQuoteBackslashDollarAndBacktick() {
        assertThat(ShellWords.split("\"a \\\"b\\\" \\\\ \\$x \\n\"")).containsExactly("a \"b\" \\ $x \\n");
    }

    @Test
    void quotedPartsJoinTheirWord() {
        assertThat(ShellWords.split("--name='my app' x\"y\"z")).containsExactly("--name=my app", "xyz");
    }

    @Test
    void emptyQuotesAreAnEmptyWord() {
        assertThat(ShellWords.split("a '' \"\" b")).containsExactly("a", "", "", "b");
    }

    @Test
    void backslashKeepsTheNextCharacter() {
        assertThat(ShellWords.split("my\\ file.txt \\'")).containsExactly("my file.txt", "'");
    }

    @Test
    void unclosedQuotesAreErrors() {
        assertThatThrownBy(() -> ShellWords.split("--msg 'oops"))
                .hasMessage("unclosed single quote in \"--msg 'oops\"");
        assertThatThrownBy(() -> ShellWords.split("\"oops"))
                .hasMessage("unclosed double quote in \"\"oops\"");
        assertThatThrownBy(() -> ShellWords.split("oops\\"))
                .hasMessage("lone backslash at the end of \"oops\\\"");
    }

    @Test
    void joinQuotesOnlyTheWordsAShellWouldReadOtherwise() {
        assertThat(ShellWords.join(List.of("a", "b c", "d$e"))).isEqualTo("a 'b c' 'd$e'");
        assertThat(ShellWords.join(List.of("--port=3000", "/srv/app.js", "x,y@z%"))).isEqualTo("--port=3000 /srv/app.js x,y@z%");
        assertThat(ShellWords.join(List.of("", "it's"))).isEqualTo("'' 'it'\\''s'");
    }

    @Test
    void whatJoinWritesSplitsBackIntoTheSameWords() {
        List<String> words = List.of("a", "b c", "d$e", "", "it's", "\\", "\"q\"", "tab\there", "café-日本", "`x`", "*", "~");
        assertThat(ShellWords.split(ShellWords.join(words))).isEqualTo(words);
    }
}
