package dev.herd.cluster;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.Supervisor;

/**
 * Carries out one rolling reload of a {@link ClusterApp}: {@link RollingReload} decides each
 * step, this does it through the app and feeds back what happened. Runs on the app's loop.
 */
final class ReloadOperation extends Operation {
    final AppSpec next;
    final AppSpec previous;
    final RollingReload machine;
    final Map<Integer, ClusterApp.MemberState> oldBySlot = new LinkedHashMap<>();

    ReloadOperation(ClusterApp app, AppSpec next, Consumer<ClusterApp.Progress> progress, Collection<Integer> oldIds) {
        this(app, "reload", next, progress, oldIds);
    }

    /** @param what what it is called in the outcome ({@code reload}, {@code replacement of instance 2}) */
    ReloadOperation(ClusterApp app, String what, AppSpec next, Consumer<ClusterApp.Progress> progress,
            Collection<Integer> oldIds) {
        super(app, what, progress);
        this.next = next;
        this.previous = app.currentSpec();
        this.machine = new RollingReload(List.copyOf(oldIds), app.cluster().reloadParallelism());
        oldIds.forEach(id -> oldBySlot.put(id, app.member(id)));
    }

    @Override
    boolean owns(ClusterApp.MemberState m) {
        return machine.slotOfNew(m.id) >= 0;
    }

    void apply(List<RollingReload.Action> actions) {
        for (RollingReload.Action a : actions) {
            act(a);
        }
    }

    private void act(RollingReload.Action a) {
        if (a instanceof RollingReload.StartNew s) {
            ClusterApp.MemberState old = oldBySlot.get(s.oldId());
            app.startNew(next, old.index, m -> apply(machine.on(new RollingReload.NewStarted(s.oldId(), m.id))))
                    .whenCompleteAsync((m, failure) -> {
                        if (failure != null) {
                            String why = "cannot start it: " + Supervisor.cause(failure).getMessage();
                            progress.accept(new ClusterApp.Progress(old.index, "failed", "instance " + old.index + ": " + why));
                            apply(machine.on(new RollingReload.NewFailed(s.oldId(), "instance " + old.index + ": "
                                    + why)));
                        }
                    }, app.loop());
        } else if (a instanceof RollingReload.Drain d) {
            ClusterApp.MemberState old = oldBySlot.get(d.oldId());
            app.drain(old).whenComplete((how, failure) -> {
                progress.accept(new ClusterApp.Progress(old.index, "drained", "instance " + old.index + ": old pid "
                        + ClusterApp.pidText(old) + " " + how));
                apply(machine.on(new RollingReload.OldDrained(d.oldId())));
            });
        } else if (a instanceof RollingReload.StopOld s) {
            ClusterApp.MemberState old = oldBySlot.get(s.oldId());
            String pid = ClusterApp.pidText(old);
            app.retire(old, what + " of " + app.name()).whenComplete((how, failure) -> {
                progress.accept(new ClusterApp.Progress(old.index, "stopped", "instance " + old.index + ": old pid " + pid
                        + " " + how));
                apply(machine.on(new RollingReload.OldStopped(s.oldId())));
            });
        } else if (a instanceof RollingReload.StopNew s) {
            ClusterApp.MemberState m = app.member(s.newId());
            CompletableFuture<String> gone = m == null ? CompletableFuture.completedFuture("gone") : app.retire(m);
            gone.whenComplete((v, failure) -> apply(machine.on(new RollingReload.NewStopped(s.oldId()))));
        } else if (a instanceof RollingReload.Finished f) {
            if (!f.succeeded()) {
                app.supervisor().redefine(previous);
            } else {
                app.adopt(next);
            }
            app.finish(this, new ClusterApp.Outcome(f.failure()));
        }
    }

    @Override
    void onReady(ClusterApp.MemberState m) {
        int slot = machine.slotOfNew(m.id);
        if (slot < 0) {
            return;
        }
        progress.accept(new ClusterApp.Progress(m.index, "ready", "instance " + m.index + ": new pid " + m.pid + " ready in "
                + ClusterApp.seconds(app.now() - m.startedNanos)));
        apply(machine.on(new RollingReload.NewReady(slot)));
    }

    @Override
    void onFailed(ClusterApp.MemberState m, String reason) {
        int slot = machine.slotOfNew(m.id);
        // Once its slot has moved on (we stop it ourselves after a failure), its end is no news.
        if (slot < 0 || machine.slots().get(slot) != RollingReload.SlotState.NEW_STARTING) {
            return;
        }
        ClusterApp.MemberState old = oldBySlot.get(slot);
        progress.accept(new ClusterApp.Progress(m.index, "failed", "instance " + m.index + ": new pid " + ClusterApp.pidText(m) + " "
                + reason + "; stopped it, old pid " + ClusterApp.pidText(old) + " still serves"));
        apply(machine.on(new RollingReload.NewFailed(slot, "instance " + m.index + ": " + reason)));
    }
}
