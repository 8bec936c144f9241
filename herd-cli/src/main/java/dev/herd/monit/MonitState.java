package dev.herd.monit;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.herd.daemon.InstanceView;

/**
 * Everything the screen shows, as of the last event. Immutable: {@link MonitModel#step} makes
 * the next one.
 *
 * @param width         the terminal's columns
 * @param height        the terminal's rows
 * @param instances     the daemon's last list
 * @param selectedId    the selected instance's id, or -1 when there is none
 * @param history       each listed instance's samples since monit opened, by id
 * @param scope         whether the log pane follows the selected instance or its whole app
 * @param logs          the log pane
 * @param status        the last thing an action said, or null
 * @param daemonProblem why the last list could not be read, or null when it was
 * @param epochMillis   when the last list was sampled (0 before the first)
 * @param unicode       whether the terminal can show block elements and arrows
 */
public record MonitState(int width, int height, List<InstanceView> instances, int selectedId,
                         Map<Integer, Samples> history, Scope scope, LogPane logs, Notice status,
                         String daemonProblem, long epochMillis, boolean unicode) {

    /** What the log pane follows. */
    public enum Scope {
        /** The selected instance's log files. */
        INSTANCE,
        /** Every instance of the selected instance's app. */
        APP
    }

    /** A line for the status bar; {@code failed} shows it as an error. */
    public record Notice(String text, boolean failed) {
    }

    public MonitState {
        instances = List.copyOf(instances);
        history = Map.copyOf(history);
    }

    /** Before anything is known: no list yet, an empty log pane. */
    public static MonitState initial(int width, int height, boolean unicode) {
        return new MonitState(width, height, List.of(), -1, Map.of(), Scope.INSTANCE, LogPane.none(), null, null, 0,
                unicode);
    }

    /** The selected instance, if any. */
    public Optional<InstanceView> selected() {
        return instances.stream().filter(i -> i.id() == selectedId).findFirst();
    }

    /** The selected instance's row in {@link #instances}, or -1. */
    public int selectedIndex() {
        for (int i = 0; i < instances.size(); i++) {
            if (instances.get(i).id() == selectedId) {
                return i;
            }
        }
        return -1;
    }

    /** The rows of this screen, as {@link Layout#of} shares them. */
    public Layout layout() {
        return Layout.of(height, instances.size());
    }

    /** The log pane's farthest scroll back: its oldest line at the top of the pane. */
    public int maxScroll() {
        return Math.max(0, logs.lines().size() - layout().logRows());
    }

    MonitState with(List<InstanceView> newInstances, int newSelected, Map<Integer, Samples> newHistory,
                    LogPane newLogs, String newProblem, long newMillis) {
        return new MonitState(width, height, newInstances, newSelected, newHistory, scope, newLogs, status, newProblem,
                newMillis, unicode);
    }

    MonitState withSelection(int id, LogPane newLogs) {
        return new MonitState(width, height, instances, id, history, scope, newLogs, status, daemonProblem,
                epochMillis, unicode);
    }

    MonitState withLogs(LogPane newLogs) {
        return new MonitState(width, height, instances, selectedId, history, scope, newLogs, status, daemonProblem,
                epochMillis, unicode);
    }

    MonitState withScope(Scope newScope, LogPane newLogs) {
        return new MonitState(width, height, instances, selectedId, history, newScope, newLogs, status, daemonProblem,
                epochMillis, unicode);
    }

    MonitState withStatus(Notice newStatus) {
        return new MonitState(width, height, instances, selectedId, history, scope, logs, newStatus, daemonProblem,
                epochMillis, unicode);
    }

    MonitState withProblem(String problem) {
        return new MonitState(width, height, instances, selectedId, history, scope, logs, status, problem, epochMillis,
                unicode);
    }

    MonitState withSize(int newWidth, int newHeight) {
        return new MonitState(newWidth, newHeight, instances, selectedId, history, scope, logs, status, daemonProblem,
                epochMillis, unicode);
    }
}
