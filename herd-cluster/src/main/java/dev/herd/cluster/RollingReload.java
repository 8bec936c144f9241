package dev.herd.cluster;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The decisions of one rolling reload, and nothing else: given what happened, it says what to do
 * next. No I/O, no clock, no threads; {@link ClusterApp} carries out the actions and reports
 * back.
 *
 * <p>Each old instance is a slot, replaced in turn, at most {@code parallelism} at a time:
 *
 * <pre>
 *   PENDING ─▶ NEW_STARTING ─ready─▶ OLD_DRAINING ─drained─▶ OLD_STOPPING ─stopped─▶ DONE
 *                  │ the new one exits or never gets ready
 *                  ▼
 *              NEW_STOPPING ─stopped─▶ ROLLED_BACK (the old one never stopped serving)
 * </pre>
 *
 * A failure ends the reload: slots still waiting are {@code CANCELLED}, slots whose new instance
 * is not ready yet are rolled back too, and those already past readiness finish, so that every
 * slot keeps exactly one serving instance. The end comes once every failed new instance is gone. The old instance of a slot leaves the pool only once
 * its new one is in it; PM2 stops it anyway (its #3078, #1155), herd never does.
 */
public final class RollingReload {

    /** Where one slot is. */
    public enum SlotState {
        /** Not begun. */
        PENDING,
        /** Its new instance is starting; the old one serves. */
        NEW_STARTING,
        /** The new one is in the pool; the old one takes no new requests and finishes its own. */
        OLD_DRAINING,
        /** The old one is being stopped by its stop policy. */
        OLD_STOPPING,
        /** Replaced. */
        DONE,
        /** The new one failed and is being stopped; the old one serves. */
        NEW_STOPPING,
        /** The new one failed and is gone; the old one still serves. */
        ROLLED_BACK,
        /** Never begun, because another slot failed. */
        CANCELLED;

        private static final Map<SlotState, Set<SlotState>> ALLOWED = new EnumMap<>(Map.of(
                PENDING, EnumSet.of(NEW_STARTING, CANCELLED),
                NEW_STARTING, EnumSet.of(OLD_DRAINING, NEW_STOPPING, ROLLED_BACK),
                NEW_STOPPING, EnumSet.of(ROLLED_BACK),
                OLD_DRAINING, EnumSet.of(OLD_STOPPING),
                OLD_STOPPING, EnumSet.of(DONE),
                DONE, EnumSet.noneOf(SlotState.class),
                ROLLED_BACK, EnumSet.noneOf(SlotState.class),
                CANCELLED, EnumSet.noneOf(SlotState.class)));

        /** Whether a slot in this state may move to {@code next}. */
        public boolean canMoveTo(SlotState next) {
            return ALLOWED.get(this).contains(next);
        }

        /** Whether the slot is between its start and its end. */
        public boolean inProgress() {
            return this == NEW_STARTING || this == OLD_DRAINING || this == OLD_STOPPING || this == NEW_STOPPING;
        }

        /** Whether nothing more happens to the slot. */
        public boolean isFinal() {
            return this == DONE || this == ROLLED_BACK || this == CANCELLED;
        }
    }

    /** What happened, as {@link ClusterApp} reports it. */
    public sealed interface Event {
    }

    /** The new instance of slot {@code oldId} was created with id {@code newId}. */
    public record NewStarted(int oldId, int newId) implements Event {
    }

    /** The new instance of slot {@code oldId} is ready and in the pool. */
    public record NewReady(int oldId) implements Event {
    }

    /**
     * The new instance of slot {@code oldId} could not be created, exited, or did not get ready
     * in time.
     */
    public record NewFailed(int oldId, String reason) implements Event {
    }

    /** The failed new instance of slot {@code oldId} is gone. */
    public record NewStopped(int oldId) implements Event {
    }

    /** The old instance has nothing in flight any more (or its drain timed out). */
    public record OldDrained(int oldId) implements Event {
    }

    /** The old instance's process tree is gone. */
    public record OldStopped(int oldId) implements Event {
    }

    /** What to do. */
    public sealed interface Action {
    }

    /** Start a new instance to replace {@code oldId} (same index, the new version). */
    public record StartNew(int oldId) implements Action {
    }

    /** Take the old instance out of the pool and wait for its requests in flight. */
    public record Drain(int oldId) implements Action {
    }

    /** Stop and forget the old instance. */
    public record StopOld(int oldId) implements Action {
    }

    /** Stop and forget the new instance of slot {@code oldId}, which failed or was called off. */
    public record StopNew(int oldId, int newId, String reason) implements Action {
    }

    /**
     * The reload is over.
     *
     * @param failure why it stopped, or {@code null} when every slot was replaced
     */
    public record Finished(String failure) implements Action {
        public boolean succeeded() {
            return failure == null;
        }
    }

    private static final class Slot {
        final int oldId;
        int newId = -1;
        SlotState state = SlotState.PENDING;

        Slot(int oldId) {
            this.oldId = oldId;
        }
    }

    private final Map<Integer, Slot> slots = new LinkedHashMap<>();
    private final int parallelism;
    private String failure;
    private boolean finished;

    /**
     * @param oldIds      the instances to replace, in the order to replace them
     * @param parallelism how many slots may be in progress at once, at least 1
     */
    public RollingReload(List<Integer> oldIds, int parallelism) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
        }
        for (int id : oldIds) {
            if (slots.put(id, new Slot(id)) != null) {
                throw new IllegalArgumentException("instance " + id + " given twice");
            }
        }
        this.parallelism = parallelism;
    }

    /** The first actions: the first slots' new instances (or the end, when there is nothing to replace). */
    public List<Action> begin() {
        List<Action> out = new ArrayList<>();
        fill(out);
        return out;
    }

    /** The next actions after {@code event}. An event about an unknown or finished slot changes nothing. */
    public List<Action> on(Event event) {
        Objects.requireNonNull(event, "event");
        List<Action> out = new ArrayList<>();
        if (finished) {
            return out;
        }
        if (event instanceof NewStarted e) {
            Slot s = slots.get(e.oldId());
            if (s != null && s.state == SlotState.NEW_STARTING && s.newId < 0) {
                s.newId = e.newId();
            }
        } else if (event instanceof NewReady e) {
            Slot s = slots.get(e.oldId());
            if (s != null && s.state == SlotState.NEW_STARTING) {
                move(s, SlotState.OLD_DRAINING);
                out.add(new Drain(s.oldId));
            }
        } else if (event instanceof NewFailed e) {
            Slot s = slots.get(e.oldId());
            if (s != null && s.state == SlotState.NEW_STARTING) {
                failure = e.reason();
                rollBack(s, e.reason(), out);
                for (Slot other : slots.values()) {
                    if (other.state == SlotState.NEW_STARTING) {
                        rollBack(other, "called off: another instance failed", out);
                    } else if (other.state == SlotState.PENDING) {
                        move(other, SlotState.CANCELLED);
                    }
                }
            }
        } else if (event instanceof NewStopped e) {
            Slot s = slots.get(e.oldId());
            if (s != null && s.state == SlotState.NEW_STOPPING) {
                move(s, SlotState.ROLLED_BACK);
            }
        } else if (event instanceof OldDrained e) {
            Slot s = slots.get(e.oldId());
            if (s != null && s.state == SlotState.OLD_DRAINING) {
                move(s, SlotState.OLD_STOPPING);
                out.add(new StopOld(s.oldId));
            }
        } else if (event instanceof OldStopped e) {
            Slot s = slots.get(e.oldId());
            if (s != null && s.state == SlotState.OLD_STOPPING) {
                move(s, SlotState.DONE);
            }
        }
        fill(out);
        return out;
    }

    /** Each slot's state, by old instance id, in order. */
    public Map<Integer, SlotState> slots() {
        Map<Integer, SlotState> out = new LinkedHashMap<>();
        slots.values().forEach(s -> out.put(s.oldId, s.state));
        return out;
    }

    /** The new instance of a slot, or -1 before it is known. */
    public int newIdOf(int oldId) {
        Slot s = slots.get(oldId);
        return s == null ? -1 : s.newId;
    }

    /** The slot (old instance id) whose new instance is {@code newId}, or -1 if none. */
    public int slotOfNew(int newId) {
        return slots.values().stream().filter(s -> s.newId == newId).mapToInt(s -> s.oldId).findFirst().orElse(-1);
    }

    /** Whether {@link Finished} was given. */
    public boolean isFinished() {
        return finished;
    }

    private void rollBack(Slot s, String reason, List<Action> out) {
        if (s.newId >= 0) {
            move(s, SlotState.NEW_STOPPING);
            out.add(new StopNew(s.oldId, s.newId, reason));
        } else {
            move(s, SlotState.ROLLED_BACK);
        }
    }

    /** Starts slots up to the parallelism, or ends the reload when nothing is left in progress. */
    private void fill(List<Action> out) {
        long inProgress = slots.values().stream().filter(s -> s.state.inProgress()).count();
        if (failure == null) {
            for (Slot s : slots.values()) {
                if (inProgress >= parallelism) {
                    break;
                }
                if (s.state == SlotState.PENDING) {
                    move(s, SlotState.NEW_STARTING);
                    out.add(new StartNew(s.oldId));
                    inProgress++;
                }
            }
        }
        if (inProgress == 0 && slots.values().stream().allMatch(s -> s.state.isFinal())) {
            finished = true;
            out.add(new Finished(failure));
        }
    }


    private static void move(Slot s, SlotState next) {
        if (!s.state.canMoveTo(next)) {
            throw new IllegalStateException("slot of instance " + s.oldId + ": " + s.state + " -> " + next
                    + " is not an allowed move");
        }
        s.state = next;
    }
}
