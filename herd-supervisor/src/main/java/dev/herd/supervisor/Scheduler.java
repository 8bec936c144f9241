package dev.herd.supervisor;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The supervisor's loop: runs tasks one at a time, and timers after a delay. Injected so that a
 * test can run the state machine on its own thread and move time by hand.
 */
public interface Scheduler extends Executor {

    /** Runs {@code task} on the loop after {@code delay}; the returned handle cancels it. */
    Timer schedule(Runnable task, Duration delay);

    /** Ends the loop; tasks already queued may still run. */
    void shutdown();

    /** A pending {@link #schedule} task. */
    @FunctionalInterface
    interface Timer {
        /** Keeps the task from running if it has not started; does nothing otherwise. */
        void cancel();
    }

    /** A loop on one daemon thread of the given name. */
    static Scheduler singleThread(String threadName) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        return new Scheduler() {
            @Override
            public void execute(Runnable command) {
                executor.execute(command);
            }

            @Override
            public Timer schedule(Runnable task, Duration delay) {
                ScheduledFuture<?> f = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
                return () -> f.cancel(false);
            }

            @Override
            public void shutdown() {
                executor.shutdown();
            }
        };
    }
}
