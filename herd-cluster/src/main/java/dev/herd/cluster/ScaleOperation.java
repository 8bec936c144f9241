package dev.herd.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.Supervisor;

/**
 * Carries out one scale of a {@link ClusterApp}: {@link ScalePlan} says which instances to add or
 * retire; new ones count once ready (or failed), retired ones once drained and stopped. Runs on
 * the app's loop.
 */
final class ScaleOperation extends Operation {
    final int target;
    int pending;
    String failure;
    final List<Integer> added = new ArrayList<>();

    ScaleOperation(ClusterApp app, int target, Consumer<ClusterApp.Progress> progress) {
        super(app, "scale", progress);
        this.target = target;
    }

    @Override
    boolean owns(ClusterApp.MemberState m) {
        return added.contains(m.id);
    }

    void begin() {
        ScalePlan plan = ScalePlan.of(app.memberStates().stream().map(m -> m.view(true)).toList(), target);
        AppSpec resized = app.currentSpec().withInstances(target);
        if (plan.isEmpty()) {
            app.finish(this, new ClusterApp.Outcome(null));
            return;
        }
        pending = plan.add().size() + plan.retire().size();
        if (!plan.add().isEmpty()) {
            app.openPool();
        }
        app.adopt(resized);
        app.supervisor().redefine(resized);
        for (int index : plan.add()) {
            app.startNew(resized, index, m -> added.add(m.id)).whenCompleteAsync((m, failure) -> {
                if (failure != null) {
                    failed(index, "cannot start it: " + Supervisor.cause(failure).getMessage());
                }
            }, app.loop());
        }
        for (int id : plan.retire()) {
            ClusterApp.MemberState m = app.member(id);
            String pid = ClusterApp.pidText(m);
            app.drain(m).thenCompose(how -> {
                progress.accept(new ClusterApp.Progress(m.index, "drained", "instance " + m.index + ": pid " + pid + " " + how));
                return app.retire(m);
            }).whenComplete((how, f) -> {
                progress.accept(new ClusterApp.Progress(m.index, "stopped", "instance " + m.index + ": pid " + pid + " "
                        + how));
                oneDone();
            });
        }
    }

    @Override
    void onReady(ClusterApp.MemberState m) {
        if (added.contains(m.id)) {
            progress.accept(new ClusterApp.Progress(m.index, "ready", "instance " + m.index + ": pid " + m.pid + " ready in "
                    + ClusterApp.seconds(app.now() - m.startedNanos)));
            added.remove(Integer.valueOf(m.id));
            oneDone();
        }
    }

    @Override
    void onFailed(ClusterApp.MemberState m, String reason) {
        if (added.remove(Integer.valueOf(m.id))) {
            app.retire(m);
            failed(m.index, reason);
        }
    }

    private void failed(int index, String reason) {
        progress.accept(new ClusterApp.Progress(index, "failed", "instance " + index + ": " + reason + "; stopped it"));
        failure = failure == null ? "instance " + index + ": " + reason : failure;
        oneDone();
    }

    private void oneDone() {
        if (--pending == 0) {
            if (failure != null) {
                int left = (int) app.memberStates().stream().filter(x -> x.place != ClusterApp.Place.OUT).count();
                AppSpec actual = app.currentSpec().withInstances(Math.max(1, left));
                app.adopt(actual);
                app.supervisor().redefine(actual);
            }
            app.finish(this, new ClusterApp.Outcome(failure));
        }
    }
}
