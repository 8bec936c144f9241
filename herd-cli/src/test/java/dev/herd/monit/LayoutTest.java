package dev.herd.monit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LayoutTest {

    @Test
    void aFewInstancesLeaveMostRowsToTheLogPane() {
        assertThat(Layout.of(40, 2)).isEqualTo(new Layout(2, 4, 28));
    }

    @Test
    void manyInstancesTakeTwoFifthsAndTheListScrolls() {
        assertThat(Layout.of(40, 100)).isEqualTo(new Layout(13, 4, 17));
    }

    @Test
    void anEmptyListStillHasARowToSaySo() {
        assertThat(Layout.of(40, 0).listRows()).isEqualTo(1);
    }

    @Test
    void aShortScreenLosesTheLogPaneFirstThenTheDetails() {
        assertThat(Layout.of(11, 3)).isEqualTo(new Layout(2, 3, 0));
        assertThat(Layout.of(8, 5)).isEqualTo(new Layout(1, 1, 0));
        assertThat(Layout.of(6, 5)).isEqualTo(new Layout(0, 0, 0));
        assertThat(Layout.of(0, 5)).isEqualTo(new Layout(0, 0, 0));
    }

    @Test
    void aPageKeepsOneLineOfContext() {
        assertThat(new Layout(1, 1, 28).logPage()).isEqualTo(27);
        assertThat(new Layout(1, 1, 1).logPage()).isEqualTo(1);
        assertThat(new Layout(1, 1, 0).logPage()).isEqualTo(1);
    }
}
