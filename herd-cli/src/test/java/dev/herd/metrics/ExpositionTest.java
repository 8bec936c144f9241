package dev.herd.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import dev.herd.balancer.ErrorKind;
import dev.herd.cluster.TrafficTotals;
import dev.herd.supervisor.ProcessState;

/** The Prometheus text for given figures: names, labels, and the histogram's buckets. */
class ExpositionTest {

    private static String scrape(Figures figures) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Exposition(figures).scrape(out, Exposition.contentType(null));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Figures figures(List<Figures.Instance> instances, List<Figures.AppTraffic> traffic) {
        return new Figures() {
            @Override
            public List<Instance> instances() {
                return instances;
            }

            @Override
            public List<AppTraffic> traffic() {
                return traffic;
            }

            @Override
            public Usage self() {
                return new Usage(0, 50_000_000, 2.5);
            }
        };
    }

    @Test
    void bucketsCountTheValuesAtOrBelowEachBound() throws Exception {
        Histogram micros = new Histogram(2);
        micros.recordValue(300);        // 0.3 ms
        micros.recordValue(800);        // 0.8 ms
        micros.recordValue(800);
        micros.recordValue(40_000);     // 40 ms
        micros.recordValue(20_000_000); // 20 s: only in +Inf
        TrafficTotals totals = new TrafficTotals(7, 2, Map.of(ErrorKind.RESET, 1L), micros);
        String text = scrape(figures(List.of(), List.of(new Figures.AppTraffic("api", true, totals))));
        assertThat(text)
                .contains("herd_http_requests_total{app=\"api\"} 9.0")
                .contains("herd_http_errors_total{app=\"api\",kind=\"reset\"} 1.0")
                .contains("herd_http_errors_total{app=\"api\",kind=\"unavailable\"} 2.0")
                .contains("herd_http_errors_total{app=\"api\",kind=\"connect_timeout\"} 0.0")
                .contains("herd_http_request_duration_seconds_bucket{app=\"api\",le=\"5.0E-4\"} 1\n")
                .contains("herd_http_request_duration_seconds_bucket{app=\"api\",le=\"0.001\"} 3\n")
                .contains("herd_http_request_duration_seconds_bucket{app=\"api\",le=\"0.025\"} 3\n")
                .contains("herd_http_request_duration_seconds_bucket{app=\"api\",le=\"0.05\"} 4\n")
                .contains("herd_http_request_duration_seconds_bucket{app=\"api\",le=\"10.0\"} 4\n")
                .contains("herd_http_request_duration_seconds_bucket{app=\"api\",le=\"+Inf\"} 5\n")
                .contains("herd_http_request_duration_seconds_count{app=\"api\"} 5\n")
                .doesNotContain("herd_tcp_");
    }

    @Test
    void instancesAndTheDaemonItself() throws Exception {
        List<Figures.Instance> instances = List.of(
                new Figures.Instance(4, "api", 1, ProcessState.ONLINE, 321, 2, new Figures.Usage(5, 4096, 1.25), null),
                new Figures.Instance(5, "job", 0, ProcessState.ERRORED, 0, 16, Figures.Usage.NONE, null));
        String text = scrape(figures(instances, List.of(new Figures.AppTraffic("raw", false, TrafficTotals.none()))));
        assertThat(text)
                .contains("herd_instance_cpu_seconds_total{app=\"api\",id=\"4\",index=\"1\"} 1.25")
                .contains("herd_instance_memory_bytes{app=\"api\",id=\"4\",index=\"1\"} 4096.0")
                .contains("herd_instance_restarts_total{app=\"job\",id=\"5\",index=\"0\"} 16.0")
                .contains("herd_instance_state{app=\"api\",id=\"4\",index=\"1\",state=\"online\"} 1.0")
                .contains("herd_instance_state{app=\"api\",id=\"4\",index=\"1\",state=\"waiting_restart\"} 0.0")
                .contains("herd_instance_state{app=\"job\",id=\"5\",index=\"0\",state=\"errored\"} 1.0")
                .contains("herd_tcp_connections_total{app=\"raw\"} 0.0")
                .contains("process_cpu_seconds_total 2.5")
                .contains("process_resident_memory_bytes 5.0E7")
                .doesNotContain("herd_http_");
        // A stopped instance has no process to measure.
        assertThat(text).doesNotContain("herd_instance_cpu_seconds_total{app=\"job\"");
    }
}
