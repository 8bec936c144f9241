package dev.herd.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.herd.balancer.TrafficStats;
import dev.herd.supervisor.ProcessState;

/** The ring of recent frames the dashboard opens with. */
class HistoryTest {

    private static Figures.Instance running(int id, double cpu, TrafficStats traffic) {
        return new Figures.Instance(id, "api", id, ProcessState.ONLINE, 100 + id, 0, new Figures.Usage(cpu, 1024, 1), traffic);
    }

    @Test
    void keepsTheLastFramesOnly() {
        History h = new History(3);
        for (int t = 1; t <= 5; t++) {
            h.record(t * 1000L, List.of(running(0, t, null)));
        }
        History.Since all = h.since(0);
        assertThat(all.frames()).extracting(History.Frame::epochMillis).containsExactly(3000L, 4000L, 5000L);
        assertThat(all.frames().get(2).points().get(0).cpuPercent()).isEqualTo(5);
        assertThat(h.since(4000).frames()).extracting(History.Frame::epochMillis).containsExactly(5000L);
        assertThat(h.since(5000).frames()).isEmpty();
    }

    @Test
    void framesHoldRunningInstancesAndTheTableHoldsAll() {
        History h = new History(10);
        Figures.Instance stopped = new Figures.Instance(7, "worker", 0, ProcessState.STOPPED, 0, 2, Figures.Usage.NONE, null);
        TrafficStats measured = new TrafficStats(40, 1, Map.of(), 10_000_000_000L, 4, 0, 1.5, 9.5);
        TrafficStats fresh = new TrafficStats(0, 0, Map.of(), 0, 0, 0, 0, 0);
        h.record(1000, List.of(running(0, 10, measured), running(1, 20, fresh), running(2, 5, null), stopped));
        History.Since s = h.since(0);
        assertThat(s.latest()).hasSize(4);
        List<History.Point> points = s.frames().get(0).points();
        assertThat(points).extracting(History.Point::id).containsExactly(0, 1, 2);
        assertThat(points.get(0).requestsPerSecond()).isEqualTo(4);
        assertThat(points.get(0).p99Millis()).isEqualTo(9.5);
        // Not measured yet, or not in a pool: no figure rather than a false zero.
        assertThat(points.get(1).requestsPerSecond()).isNaN();
        assertThat(points.get(2).requestsPerSecond()).isNaN();
        assertThat(points.get(2).p99Millis()).isNaN();
    }
}
