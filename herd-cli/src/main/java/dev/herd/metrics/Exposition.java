package dev.herd.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;

import dev.herd.balancer.ErrorKind;
import dev.herd.cluster.TrafficTotals;
import dev.herd.supervisor.ProcessState;

/**
 * The Prometheus families, on Micrometer's Prometheus registry.
 *
 * <p>The daemon's own {@code process_cpu_seconds_total} and {@code process_resident_memory_bytes}
 * are Micrometer meters that read the figures when scraped. Per instance and per app, the
 * families are built at scrape time by a collector registered with the Prometheus registry
 * underneath: instances come and go (a reload gives new ids), and a collector built from the
 * current list never shows a gone instance, where meters would have to be removed one by one; and
 * the latency histogram is the balancer's HdrHistogram of every answered request, turned into
 * cumulative buckets when scraped, where Micrometer's {@code Timer} would record each request a
 * second time on the balancer's event loop.
 *
 * <p>Labels: {@code app}, {@code index} (the instance's index in its app, {@code HERD_APP_INSTANCE})
 * and {@code id} (herd's id, which tells apart the old and new instance of one index during a
 * reload). The index is not called {@code instance}: Prometheus gives every scraped series an
 * {@code instance} label of its own (the target), and would rename ours {@code exported_instance}.
 *
 * <p>Thread-safe: scraped on the server's thread.
 */
final class Exposition {

    /** Upper bounds of the latency buckets in seconds: Prometheus' defaults, with three below 5 ms for a proxy's fast answers. */
    static final double[] BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    Exposition(Figures figures) {
        FunctionCounter.builder("process.cpu", figures, f -> f.self().cpuSeconds()).baseUnit("seconds")
                .description("CPU time the herd daemon has used").register(registry);
        Gauge.builder("process.resident.memory", figures, f -> f.self().memoryBytes()).baseUnit("bytes")
                .description("Resident memory of the herd daemon").register(registry);
        registry.getPrometheusRegistry().register((MultiCollector) () -> collect(figures));
    }

    /** The content type answered to a scrape that sent {@code accept} (null when it sent none). */
    static String contentType(String accept) {
        return accept != null && accept.contains("application/openmetrics-text") ? OPEN_METRICS : TEXT;
    }

    /** Writes every family in {@code contentType} (one of {@link #contentType}'s). */
    void scrape(OutputStream out, String contentType) throws IOException {
        registry.scrape(out, contentType);
    }

    /** The families of the instances and the cluster apps, from the figures now. */
    static MetricSnapshots collect(Figures figures) {
        List<Figures.Instance> instances = figures.instances();
        CounterSnapshot.Builder cpu = CounterSnapshot.builder().name("herd_instance_cpu_seconds").unit(Unit.SECONDS)
                .help("CPU time of the instance's process group (its live processes, and the children they waited for)");
        GaugeSnapshot.Builder memory = GaugeSnapshot.builder().name("herd_instance_memory_bytes").unit(Unit.BYTES)
                .help("Resident memory of the instance's whole process group");
        CounterSnapshot.Builder restarts = CounterSnapshot.builder().name("herd_instance_restarts")
                .help("Times the instance was restarted");
        GaugeSnapshot.Builder state = GaugeSnapshot.builder().name("herd_instance_state")
                .help("The instance's state: 1 for the state it is in, 0 for the others");
        for (Figures.Instance i : instances) {
            Labels labels = Labels.of("app", i.app(), "index", Integer.toString(i.index()), "id", Integer.toString(i.id()));
            if (i.pid() > 0) {
                cpu.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(i.usage().cpuSeconds()).build());
                memory.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(i.usage().memoryBytes()).build());
            }
            restarts.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(i.restarts()).build());
            for (ProcessState s : ProcessState.values()) {
                state.dataPoint(GaugeDataPointSnapshot.builder().labels(labels.add("state", s.name().toLowerCase(Locale.ROOT)))
                        .value(s == i.state() ? 1 : 0).build());
            }
        }
        List<MetricSnapshot> all = new ArrayList<>(List.of(cpu.build(), memory.build(), restarts.build(), state.build()));
        all.addAll(traffic(figures.traffic()));
        return new MetricSnapshots(all);
    }

    private static List<MetricSnapshot> traffic(List<Figures.AppTraffic> apps) {
        CounterSnapshot.Builder requests = CounterSnapshot.builder().name("herd_http_requests")
                .help("Requests the app's public port took: sent to an instance (each try of a retried one), or refused for lack of one");
        CounterSnapshot.Builder errors = CounterSnapshot.builder().name("herd_http_errors")
                .help("Failed requests by kind: connect, connect_timeout, response_timeout, reset, protocol, and unavailable (503, no instance)");
        HistogramSnapshot.Builder latency = HistogramSnapshot.builder().name("herd_http_request_duration_seconds")
                .unit(Unit.SECONDS).help("Latency of the answered requests, from the balancer's histogram");
        CounterSnapshot.Builder connections = CounterSnapshot.builder().name("herd_tcp_connections")
                .help("Connections the app's public port took (tcp mode): sent to an instance, or refused for lack of one");
        CounterSnapshot.Builder tcpErrors = CounterSnapshot.builder().name("herd_tcp_errors")
                .help("Failed connections by kind (tcp mode)");
        boolean anyHttp = false;
        boolean anyTcp = false;
        for (Figures.AppTraffic a : apps) {
            Labels app = Labels.of("app", a.app());
            TrafficTotals t = a.totals();
            CounterSnapshot.Builder count = a.http() ? requests : connections;
            CounterSnapshot.Builder failed = a.http() ? errors : tcpErrors;
            anyHttp |= a.http();
            anyTcp |= !a.http();
            count.dataPoint(CounterDataPointSnapshot.builder().labels(app).value(t.requests() + t.unavailable()).build());
            for (ErrorKind k : ErrorKind.values()) {
                failed.dataPoint(CounterDataPointSnapshot.builder().labels(app.add("kind", k.name().toLowerCase(Locale.ROOT)))
                        .value(t.errors().get(k)).build());
            }
            failed.dataPoint(CounterDataPointSnapshot.builder().labels(app.add("kind", "unavailable"))
                    .value(t.unavailable()).build());
            if (a.http()) {
                latency.dataPoint(histogram(app, t.latencyMicros()));
            }
        }
        List<MetricSnapshot> out = new ArrayList<>();
        if (anyHttp) {
            out.addAll(List.of(requests.build(), errors.build(), latency.build()));
        }
        if (anyTcp) {
            out.addAll(List.of(connections.build(), tcpErrors.build()));
        }
        return out;
    }

    /**
     * One app's latency as Prometheus buckets: each bound's count is that of the values at or
     * below it, read from the histogram (exact to its precision, two significant digits), and the
     * sum is its mean times its count.
     */
    static HistogramDataPointSnapshot histogram(Labels labels, Histogram micros) {
        double[] bounds = new double[BUCKETS.length + 1];
        long[] counts = new long[BUCKETS.length + 1];
        long total = micros.getTotalCount();
        long below = 0;
        for (int b = 0; b < BUCKETS.length; b++) {
            long atOrBelow = total == 0 ? 0 : micros.getCountBetweenValues(0, Math.round(BUCKETS[b] * 1e6));
            bounds[b] = BUCKETS[b];
            counts[b] = atOrBelow - below;
            below = atOrBelow;
        }
        bounds[BUCKETS.length] = Double.POSITIVE_INFINITY;
        counts[BUCKETS.length] = total - below;
        return HistogramDataPointSnapshot.builder().labels(labels).classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
                .sum(micros.getMean() * total / 1e6).build();
    }
}
