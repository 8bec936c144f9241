package dev.herd.supervisor;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} and {@link Ticker} for tests: tasks run on the calling thread, one at a
 * time, as soon as nothing else runs; timers run only when the test moves time with
 * {@link #advance}. So a test drives the supervisor's state machine step by step, never sleeping.
 */
public final class ManualScheduler implements Scheduler, Ticker {

    private record Pending(long dueNanos, long seq, Runnable task) {
    }

    private final Deque<Runnable> ready = new ArrayDeque<>();
    private final PriorityQueue<Pending> timers = new PriorityQueue<>(
            Comparator.comparingLong(Pending::dueNanos).thenComparingLong(Pending::seq));
    private long now = 1_000_000_000L;
    private long seq;
    private boolean running;

    @Override
    public synchronized void execute(Runnable command) {
        ready.add(command);
        drain();
    }

    @Override
    public synchronized Timer schedule(Runnable task, Duration delay) {
        Pending p = new Pending(now + Math.max(0, delay.toNanos()), seq++, task);
        timers.add(p);
        return () -> {
            synchronized (this) {
                timers.remove(p);
            }
        };
    }

    @Override
    public void shutdown() {
    }

    @Override
    public synchronized long nanos() {
        return now;
    }

    /** Moves time on by {@code d}, running every timer that falls due on the way, in order. */
    public synchronized void advance(Duration d) {
        long target = now + d.toNanos();
        while (!timers.isEmpty() && timers.peek().dueNanos() <= target) {
            Pending p = timers.poll();
            now = p.dueNanos();
            execute(p.task());
        }
        now = target;
        drain();
    }

    /** How many timers are waiting. */
    public synchronized int pendingTimers() {
        return timers.size();
    }

    private void drain() {
        if (running) {
            return;
        }
        running = true;
        try {
            Runnable r;
            while ((r = ready.poll()) != null) {
                r.run();
            }
        } finally {
            running = false;
        }
    }
}
