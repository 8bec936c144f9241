package dev.herd.monit;

/** What {@link MonitModel#step} asks the dashboard's loop to carry out. */
public sealed interface Effect {

    /**
     * Stop following the current log stream and follow {@code target}'s, from its last
     * {@code lines} lines per file; its items carry {@code generation}.
     */
    record FollowLogs(int generation, String target, int lines) implements Effect {
    }

    /** Stop following any log stream: nothing is selected. */
    record StopLogs() implements Effect {
    }

    /**
     * Run {@code action} on {@code target} (an id or an app name) in the background; {@code label}
     * names it in the status line.
     */
    record Act(Action action, String target, String label) implements Effect {
    }

    /** Leave: restore the terminal and exit. */
    record Quit() implements Effect {
    }
}
