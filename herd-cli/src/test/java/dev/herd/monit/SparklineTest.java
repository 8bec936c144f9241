package dev.herd.monit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SparklineTest {

    @Test
    void theLargestValueShownGetsTheFullBar() {
        assertThat(Sparkline.of(new double[]{0, 25, 50, 100}, 4, 10, true)).isEqualTo("▁▃▅█");
        assertThat(Sparkline.of(new double[]{0, 5, 10}, 3, 10, true)).isEqualTo("▁▅█");
    }

    @Test
    void valuesBelowTheFloorStayLow() {
        assertThat(Sparkline.of(new double[]{1, 2, 1}, 3, 10, true)).isEqualTo("▁▂▁");
        assertThat(Sparkline.of(new double[]{0, 0}, 2, 10, true)).isEqualTo("▁▁");
    }

    @Test
    void fewerSamplesThanColumnsArePaddedOnTheLeft() {
        assertThat(Sparkline.of(new double[]{10, 10}, 5, 1, true)).isEqualTo("   ██");
        assertThat(Sparkline.of(new double[0], 3, 1, true)).isEqualTo("   ");
    }

    @Test
    void moreSamplesThanColumnsShowTheNewestScaledToThemAlone() {
        // 1000 scrolled out: the bars are scaled to the 8 still shown.
        assertThat(Sparkline.of(new double[]{1000, 0, 8}, 2, 1, true)).isEqualTo("▁█");
    }

    @Test
    void negativeValuesCountAsZeroAndNoWidthGivesNothing() {
        assertThat(Sparkline.of(new double[]{-5, 4}, 2, 1, true)).isEqualTo("▁█");
        assertThat(Sparkline.of(new double[]{1, 2}, 0, 1, true)).isEmpty();
        assertThat(Sparkline.of(new double[]{1, 2}, -3, 1, true)).isEmpty();
    }

    @Test
    void asciiForTerminalsWithoutBlockElements() {
        assertThat(Sparkline.of(new double[]{0, 25, 50, 100}, 4, 10, false)).isEqualTo("_-=#");
    }
}
