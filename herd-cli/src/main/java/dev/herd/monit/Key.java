package dev.herd.monit;

/** The keys monit understands, once the terminal's byte sequences are decoded. */
public enum Key {
    /** Select the previous row (up arrow, k). */
    UP,
    /** Select the next row (down arrow, j). */
    DOWN,
    /** Scroll the log pane back a page (PgUp, b). */
    PAGE_UP,
    /** Scroll the log pane forward a page (PgDn, space). */
    PAGE_DOWN,
    /** Scroll the log pane to its oldest line (Home, g). */
    LOG_TOP,
    /** Follow the log pane's newest lines again (End, G). */
    LOG_BOTTOM,
    /** Switch the log pane between the selected instance and its whole app (a). */
    SCOPE,
    /** Restart the selected instance, or app (r). */
    RESTART,
    /** Reload the selected instance's app (R, l). */
    RELOAD,
    /** Stop the selected instance, or app (s). */
    STOP,
    /** Leave monit (q, Ctrl-C). */
    QUIT,
    /** Any other key: ignored. */
    OTHER
}
