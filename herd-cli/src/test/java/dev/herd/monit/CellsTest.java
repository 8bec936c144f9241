package dev.herd.monit;

import static org.assertj.core.api.Assertions.assertThat;

import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.junit.jupiter.api.Test;

class CellsTest {

    @Test
    void wideCharactersTakeTwoColumnsAndCombiningAccentsNone() {
        assertThat(Cells.width("café-日本")).isEqualTo(9);
        assertThat(Cells.width("cafe\u0301")).isEqualTo(4);
        assertThat(Cells.width("")).isZero();
    }

    @Test
    void paddingCountsColumnsNotChars() {
        assertThat(Cells.padRight("café-日本", 11, true)).isEqualTo("café-日本  ");
        assertThat(Cells.padLeft("日本", 6, true)).isEqualTo("  日本");
        assertThat(Cells.width(Cells.padRight("café-日本", 11, true))).isEqualTo(11);
    }

    @Test
    void aCutNeverSplitsAWideCharacter() {
        // 5 columns: "日本" (4) and the ellipsis would make 5, a third wide char cannot fit.
        assertThat(Cells.fit(new AttributedString("日本語"), 5, true).toString()).isEqualTo("日本…");
        // 4 columns: "日" and the ellipsis (3); "本" would straddle the edge.
        AttributedString four = Cells.fit(new AttributedString("日本語"), 4, true);
        assertThat(four.toString()).isEqualTo("日…");
        assertThat(four.columnLength()).isLessThanOrEqualTo(4);
        assertThat(Cells.padRight("café-日本", 7, true)).isEqualTo("café-… ");
    }

    @Test
    void textThatFitsIsLeftAloneAndTrailingSpacesAreCutWithoutAnEllipsis() {
        assertThat(Cells.fit(new AttributedString("café"), 4, true).toString()).isEqualTo("café");
        assertThat(Cells.fit(new AttributedString("ab    "), 3, true).toString()).isEqualTo("ab ");
        assertThat(Cells.fit(new AttributedString("abc"), 0, true).toString()).isEmpty();
        assertThat(Cells.fit(new AttributedString("abcdef"), 3, false).toString()).isEqualTo("ab~");
    }

    @Test
    void aCleanLineKeepsColoursAndLosesEverythingThatWouldMoveTheCursor() {
        AttributedString red = Cells.clean("\u001b[31mred\u001b[0m plain");
        assertThat(red.toString()).isEqualTo("red plain");
        assertThat(red.styleAt(0)).isEqualTo(AttributedStyle.DEFAULT.foreground(AttributedStyle.RED));
        assertThat(Cells.clean("a\u001b[2Jb\u001b[10;3Hc\rd\u0007e").toString()).isEqualTo("abcde");
        assertThat(Cells.clean("a\tb").toString()).isEqualTo("a       b");
        assertThat(Cells.clean("\u001b]0;title\u0007x").toString()).doesNotContain("\u001b");
    }
}
