package dev.herd.supervisor;

/** When a started instance counts as ready (its state moves from STARTING to ONLINE). */
public enum Readiness {
    /** As soon as its process is spawned: fork mode, where nothing routes traffic to it. */
    AT_SPAWN,
    /**
     * When its owner says so through {@link Supervisor#markReady}: a cluster instance is ready once
     * its port answers (or its health path, or its own notification), and only then joins the pool.
     */
    WHEN_MARKED,
    /**
     * When its process says so itself ({@code process.send('ready')} over its
     * {@link InstanceChannels channel}), or when its app's {@link AppSpec#waitReady()} has passed
     * without a word: fork mode's {@code wait_ready}, where nothing routes traffic to it and PM2
     * puts it online at that timeout too.
     */
    WHEN_SAID
}
