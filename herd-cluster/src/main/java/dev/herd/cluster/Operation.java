package dev.herd.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A reload or scale of a {@link ClusterApp} in progress; one at a time per app. The app tells it
 * how its new instances do; it acts through the app's steps (start, drain, retire).
 */
abstract class Operation {
    final ClusterApp app;
    final String what;
    final Consumer<ClusterApp.Progress> progress;
    final CompletableFuture<ClusterApp.Outcome> done = new CompletableFuture<>();

    Operation(ClusterApp app, String what, Consumer<ClusterApp.Progress> progress) {
        this.app = app;
        this.what = what;
        this.progress = progress;
    }

    /** Whether the instance is one this operation started. */
    abstract boolean owns(ClusterApp.MemberState m);

    /** A new instance of this operation was spawned. */
    void onStarting(ClusterApp.MemberState m) {
        if (owns(m)) {
            progress.accept(new ClusterApp.Progress(m.index, "starting", "instance " + m.index + ": new pid " + m.pid
                    + " starting " + app.whereItListens(m)));
        }
    }

    /** A new instance of this operation got ready (and is in the pool). */
    abstract void onReady(ClusterApp.MemberState m);

    /** A new instance of this operation failed: it exited, or never got ready. */
    abstract void onFailed(ClusterApp.MemberState m, String reason);
}
