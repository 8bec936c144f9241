package dev.herd.metrics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last few minutes of samples, one frame per sampler period, that the dashboard opens with:
 * a bounded ring, so an open page costs the daemon a read of it and nothing more.
 *
 * <p>Thread-safe: recorded on the sampler's thread, read on the server's.
 */
public final class History {

    /**
     * One instance in one frame.
     *
     * @param id                its id
     * @param app               its app
     * @param index             its index in the app
     * @param cpuPercent        CPU, 100 per core
     * @param memoryBytes       resident memory
     * @param requestsPerSecond requests per second, NaN outside a cluster app's pool
     * @param p99Millis         99th percentile latency, NaN outside a cluster app's pool or with no answered request
     */
    public record Point(int id, String app, int index, double cpuPercent, long memoryBytes, double requestsPerSecond,
                        double p99Millis) {
    }

    /**
     * Every running instance at one sample.
     *
     * @param epochMillis when
     * @param points      the instances, in id order
     */
    public record Frame(long epochMillis, List<Point> points) {
    }

    /**
     * What the page asks for: the latest state and the frames it has not seen.
     *
     * @param latest    every instance at the last sample (empty before the first)
     * @param frames    the frames after the time asked for, oldest first
     */
    public record Since(List<Figures.Instance> latest, List<Frame> frames) {
    }

    private final int capacity;
    private final ArrayDeque<Frame> frames;
    private List<Figures.Instance> latest = List.of();

    /** @param capacity how many frames are kept; older ones are dropped */
    public History(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
        this.frames = new ArrayDeque<>(capacity);
    }

    /** Records one sample of every instance; the running ones become a frame. */
    public synchronized void record(long epochMillis, List<Figures.Instance> instances) {
        List<Point> points = new ArrayList<>();
        for (Figures.Instance i : instances) {
            if (i.pid() <= 0) {
                continue;
            }
            boolean measured = i.traffic() != null && i.traffic().windowNanos() > 0;
            points.add(new Point(i.id(), i.app(), i.index(), i.usage().cpuPercent(), i.usage().memoryBytes(),
                    measured ? i.traffic().requestsPerSecond() : Double.NaN,
                    measured && i.traffic().p99Millis() > 0 ? i.traffic().p99Millis() : Double.NaN));
        }
        if (frames.size() == capacity) {
            frames.removeFirst();
        }
        frames.addLast(new Frame(epochMillis, List.copyOf(points)));
        latest = List.copyOf(instances);
    }

    /** The latest instances, and the frames recorded after {@code afterEpochMillis} (all of them for 0). */
    public synchronized Since since(long afterEpochMillis) {
        List<Frame> after = new ArrayList<>();
        for (Frame f : frames) {
            if (f.epochMillis() > afterEpochMillis) {
                after.add(f);
            }
        }
        return new Since(latest, after);
    }
}
