package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SuggestionsTest {

    private static final List<String> KNOWN = Pm2Fields.spellings();

    @ParameterizedTest
    @CsvSource({
            "kil_timeout, kill_timeout",
            "scirpt, script",
            "Script, script",
            "maxRestrats, maxRestarts",
            "killTimout, killTimeout",
            "maxrestarts, maxRestarts",
            "ports, port",
            "evn, env",
            "cdw, cwd",
            "nmae, name",
            "autorestrat, autorestart",
    })
    void suggestsTheNearestKnownName(String typo, String known) {
        assertThat(Suggestions.nearest(typo, KNOWN)).contains(known);
    }

    @ParameterizedTest
    @CsvSource({"colour", "ab", "x", "kafka", "host", "type", "id"})
    void suggestsNothingWhenNothingIsClose(String word) {
        assertThat(Suggestions.nearest(word, KNOWN)).isEmpty();
    }

    @Test
    void prefersTheFirstCandidateOnATie() {
        assertThat(Suggestions.nearest("cat", List.of("bat", "hat"))).contains("bat");
    }

    @ParameterizedTest
    @CsvSource({
            "'', '', 0",
            "abc, abc, 0",
            "abc, acb, 1",
            "kitten, sitting, 3",
            "ca, abc, 3",
            "'', abc, 3",
    })
    void distanceIsOptimalStringAlignment(String a, String b, int expected) {
        assertThat(Suggestions.distance(a, b)).isEqualTo(expected);
    }
}
