package dev.herd.monit;

import java.util.ArrayList;
import java.util.List;

import dev.herd.daemon.StreamItem;

/**
 * The log pane: which stream it follows and the lines it holds.
 *
 * @param generation which opening of a stream its lines come from; items of an older one are
 *                   dropped (they can still arrive after a switch)
 * @param target     the id or app name it follows, or null when nothing is selected
 * @param lines      the lines, oldest first, at most {@link #CAPACITY}
 * @param scroll     how many lines up from the newest the view stands; 0 follows new lines
 * @param ended      why the stream ended, or null while it runs
 */
public record LogPane(int generation, String target, List<StreamItem> lines, int scroll, String ended) {

    /** Lines kept for scrolling back. */
    public static final int CAPACITY = 2000;
    /** Past lines asked for per log file when a stream opens. */
    public static final int HISTORY = 200;

    public LogPane {
        lines = List.copyOf(lines);
    }

    static LogPane none() {
        return new LogPane(0, null, List.of(), 0, null);
    }

    /** A new, empty pane following {@code newTarget}. */
    LogPane reopen(String newTarget) {
        return new LogPane(generation + 1, newTarget, List.of(), 0, null);
    }

    /** One more line; a view scrolled back stays on the lines it shows. */
    LogPane plus(StreamItem item) {
        List<StreamItem> next = new ArrayList<>(lines.size() + 1);
        int drop = lines.size() + 1 > CAPACITY ? lines.size() + 1 - CAPACITY : 0;
        next.addAll(lines.subList(drop, lines.size()));
        next.add(item);
        int nextScroll = scroll == 0 ? 0 : Math.min(scroll + 1, next.size());
        return new LogPane(generation, target, next, nextScroll, ended);
    }

    LogPane scrolledTo(int newScroll) {
        return new LogPane(generation, target, lines, newScroll, ended);
    }

    LogPane endedWith(String why) {
        return new LogPane(generation, target, lines, scroll, why);
    }
}
