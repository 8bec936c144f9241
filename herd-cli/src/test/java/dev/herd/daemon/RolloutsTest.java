package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What {@code herd scale <app> <count>} reads its count as. */
class RolloutsTest {

    @Test
    void aCountIsAbsoluteRelativeOrTheCores() throws HerdException {
        assertThat(Rollouts.scaleTarget("4", 2, 8, "api")).isEqualTo(4);
        assertThat(Rollouts.scaleTarget("+3", 2, 8, "api")).isEqualTo(5);
        assertThat(Rollouts.scaleTarget("-1", 2, 8, "api")).isEqualTo(1);
        assertThat(Rollouts.scaleTarget(" max ", 2, 8, "api")).isEqualTo(8);
    }

    @Test
    void noInstanceLeftOrNotANumberIsRefusedInOneLine() {
        assertThatThrownBy(() -> Rollouts.scaleTarget("0", 2, 8, "api"))
                .hasMessage("cannot scale api to 0: at least 1 instance (herd stop api stops it)");
        assertThatThrownBy(() -> Rollouts.scaleTarget("-2", 2, 8, "api")).hasMessageContaining("to 0");
        assertThatThrownBy(() -> Rollouts.scaleTarget("many", 2, 8, "api"))
                .hasMessage("scale api: expected a number, +N, -N or max, got 'many'");
    }
}
