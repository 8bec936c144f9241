package dev.herd.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AlgorithmTest {

    @Test
    void parsesEveryCliNameBackToItsAlgorithm() {
        for (Algorithm a : Algorithm.values()) {
            assertThat(Algorithm.parse(a.cliName())).isEqualTo(a);
        }
        assertThat(Algorithm.parse("Least-Conn")).isEqualTo(Algorithm.LEAST_CONN);
    }

    @Test
    void cliNamesAreThoseOfTheCommandLine() {
        assertThat(Algorithm.values()).extracting(Algorithm::cliName)
                .containsExactly("round-robin", "least-conn", "ip-hash", "weighted", "random", "p2c");
    }

    @Test
    void unknownNameListsTheAcceptedOnes() {
        assertThatThrownBy(() -> Algorithm.parse("leastconn"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown algorithm 'leastconn': expected one of "
                        + "round-robin, least-conn, ip-hash, weighted, random, p2c");
        assertThatThrownBy(() -> Algorithm.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
