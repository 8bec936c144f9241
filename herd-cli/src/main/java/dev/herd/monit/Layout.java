package dev.herd.monit;

/**
 * How the screen's rows are shared, from the top: a title; the list's header and rows; the
 * details' header and rows; the log pane's header and rows; a status line; the key bar. The list
 * takes up to two fifths of what is left after the fixed lines, the details up to
 * {@link #DETAIL_ROWS}, and the log pane the rest. As the screen gets smaller the log pane goes
 * first, then the details, and the list keeps one row; a screen shorter than the fixed lines shows
 * its top lines only.
 *
 * @param listRows   instance rows shown
 * @param detailRows details rows shown
 * @param logRows    log lines shown
 */
public record Layout(int listRows, int detailRows, int logRows) {

    /** The title, the three section headers, the status line and the key bar. */
    public static final int FIXED_LINES = 6;
    /** The details' rows when there is room. */
    public static final int DETAIL_ROWS = 4;

    /** The layout of a {@code height}-row screen listing {@code instances} rows. */
    public static Layout of(int height, int instances) {
        int free = Math.max(0, height - FIXED_LINES);
        int list = Math.min(Math.max(1, instances), Math.max(1, free * 2 / 5));
        list = Math.min(list, free);
        int details = Math.min(DETAIL_ROWS, free - list);
        return new Layout(list, details, free - list - details);
    }

    /** How far PgUp and PgDn move: a page, less one line kept for context. */
    public int logPage() {
        return Math.max(1, logRows - 1);
    }
}
