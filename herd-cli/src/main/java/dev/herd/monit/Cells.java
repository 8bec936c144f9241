package dev.herd.monit;

import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;
import org.jline.utils.WCWidth;

/**
 * Text measured in terminal columns rather than chars: a CJK character takes two, a combining
 * accent none. Every cut keeps whole characters, so a wide one never straddles a column edge.
 */
public final class Cells {

    private static final int TAB = 8;

    private Cells() {
    }

    /** How many columns {@code text} takes (control characters count as none). */
    public static int width(String text) {
        int w = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            w += Math.max(0, WCWidth.wcwidth(cp));
            i += Character.charCount(cp);
        }
        return w;
    }

    /**
     * {@code text} in at most {@code width} columns: as is when it fits, else cut with an ellipsis
     * in the last column.
     */
    public static AttributedString fit(AttributedString text, int width, boolean unicode) {
        if (width <= 0) {
            return AttributedString.EMPTY;
        }
        if (text.columnLength() <= width) {
            return text;
        }
        AttributedString head = text.columnSubSequence(0, width);
        if (text.subSequence(head.length(), text.length()).toString().isBlank()) {
            return head;
        }
        AttributedStringBuilder b = new AttributedStringBuilder();
        b.append(text.columnSubSequence(0, width - 1));
        b.append(unicode ? "…" : "~", AttributedStyle.DEFAULT.faint());
        return b.toAttributedString();
    }

    /** {@code text} cut to {@code width} columns if needed, then padded with spaces on the right to exactly that. */
    public static String padRight(String text, int width, boolean unicode) {
        String cut = fit(new AttributedString(text), width, unicode).toString();
        return cut + " ".repeat(Math.max(0, width - width(cut)));
    }

    /** {@code text} cut to {@code width} columns if needed, then padded with spaces on the left to exactly that. */
    public static String padLeft(String text, int width, boolean unicode) {
        String cut = fit(new AttributedString(text), width, unicode).toString();
        return " ".repeat(Math.max(0, width - width(cut))) + cut;
    }

    /**
     * A line an app wrote, safe to put on the screen: its colours (SGR escapes) kept, tabs expanded,
     * and every other control character or escape dropped, so it cannot move the cursor or break
     * the columns.
     */
    public static AttributedString clean(String line) {
        StringBuilder plain = new StringBuilder(line.length());
        int column = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\t') {
                int spaces = TAB - column % TAB;
                plain.append(" ".repeat(spaces));
                column += spaces;
            } else if (c == '\u001b' || !Character.isISOControl(c)) {
                plain.append(c);
                column++;
            }
        }
        AttributedString parsed = AttributedString.fromAnsi(plain.toString());
        if (parsed.toString().indexOf('\u001b') < 0) {
            return parsed;
        }
        // An escape that is not a colour (cursor moves, titles): drop the escape characters themselves.
        AttributedStringBuilder b = new AttributedStringBuilder();
        for (int i = 0; i < parsed.length(); i++) {
            if (parsed.charAt(i) != '\u001b') {
                b.append(parsed.subSequence(i, i + 1));
            }
        }
        return b.toAttributedString();
    }
}
