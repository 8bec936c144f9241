package dev.herd.supervisor;

import java.util.Objects;

/**
 * One instance as a daemon that died left it, for {@link Supervisor#restore}: which id and index it
 * had, and the state it was in, so that it comes back as it was.
 *
 * @param id     its id, kept so that what the user typed before ({@code herd stop 15}) still names it
 * @param index  its index within its app ({@code HERD_APP_INSTANCE})
 * @param state  the state it was in; see {@link Supervisor#restore} for what each one becomes
 * @param reason why it comes back in that state, shown by {@code describe}
 * @param plan   how it ran (a cluster instance's port among it), or {@code null} for its app's
 *               fork-mode plan
 */
public record RestoredInstance(int id, int index, ProcessState state, String reason, InstancePlan plan) {

    /** An instance that runs by its app's fork-mode plan. */
    public RestoredInstance(int id, int index, ProcessState state, String reason) {
        this(id, index, state, reason, null);
    }

    public RestoredInstance {
        if (plan != null && plan.index() != index) {
            throw new IllegalArgumentException("index " + index + " and the plan's " + plan.index() + " differ");
        }
        if (id < 0) {
            throw new IllegalArgumentException("id must not be negative, was " + id);
        }
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
    }
}
