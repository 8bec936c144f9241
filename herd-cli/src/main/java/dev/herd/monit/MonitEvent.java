package dev.herd.monit;

import java.util.List;

import dev.herd.daemon.InstanceView;
import dev.herd.daemon.StreamItem;

/** Something that happened, for {@link MonitModel#step} to decide on. */
public sealed interface MonitEvent {

    /** A key was pressed. */
    record Pressed(Key key) implements MonitEvent {
    }

    /** The terminal now has this size, in columns and rows. */
    record Resized(int width, int height) implements MonitEvent {
    }

    /**
     * The daemon's list, sampled at {@code epochMillis}.
     *
     * @param instances every instance, in the daemon's order
     */
    record Listed(List<InstanceView> instances, long epochMillis) implements MonitEvent {
        public Listed {
            instances = List.copyOf(instances);
        }
    }

    /** The list could not be read: the daemon went away, or answered with an error. */
    record ListFailed(String message) implements MonitEvent {
    }

    /** A line (or change of state) of the log stream opened as {@code generation}. */
    record LogLine(int generation, StreamItem item) implements MonitEvent {
    }

    /** The log stream opened as {@code generation} ended, with why. */
    record LogEnded(int generation, String message) implements MonitEvent {
    }

    /** What an action said: a step, its result, or its failure; or a warning the client printed. */
    record Outcome(String text, boolean failed) implements MonitEvent {
    }
}
