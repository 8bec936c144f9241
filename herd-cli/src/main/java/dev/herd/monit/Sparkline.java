package dev.herd.monit;

/**
 * A row of bars, one column per sample, the newest on the right. Bars are scaled to the largest
 * value shown, but never to less than a floor, so an idle instance's noise stays at the bottom
 * rather than filling the row.
 */
public final class Sparkline {

    private static final String BARS = "▁▂▃▄▅▆▇█";
    /** For terminals whose encoding has no block elements. */
    private static final String ASCII = "_.-:=+*#";

    private Sparkline() {
    }

    /**
     * The last {@code width} of {@code values} as bars, padded on the left with spaces while there
     * are fewer samples than columns.
     *
     * @param values  oldest first; negative values count as zero
     * @param width   columns; 0 or less gives an empty string
     * @param floor   the least value that draws a full bar
     * @param unicode block elements, or ASCII
     * @return exactly {@code max(0, width)} characters, each one column wide
     */
    public static String of(double[] values, int width, double floor, boolean unicode) {
        if (width <= 0) {
            return "";
        }
        String bars = unicode ? BARS : ASCII;
        int shown = Math.min(width, values.length);
        int from = values.length - shown;
        double top = floor;
        for (int i = from; i < values.length; i++) {
            top = Math.max(top, values[i]);
        }
        StringBuilder out = new StringBuilder(width);
        out.append(" ".repeat(width - shown));
        int levels = bars.length();
        for (int i = from; i < values.length; i++) {
            double v = Math.max(0, values[i]);
            // The top value gets the full bar; the rest fall into equal slices below it.
            int level = top <= 0 ? 0 : Math.min(levels - 1, (int) (v / top * levels));
            out.append(bars.charAt(level));
        }
        return out.toString();
    }
}
