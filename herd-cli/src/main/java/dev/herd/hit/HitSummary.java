package dev.herd.hit;

import java.util.List;
import java.util.Map;

/**
 * What a run did, the model behind the text summary, {@code --json} and the HTML report.
 * Latencies are in milliseconds, measured from each request's due time ({@link Schedule}).
 *
 * @param url               the target
 * @param requests          requests that ended (answered or failed)
 * @param ok                those answered 2xx
 * @param seconds           from the start to the summary
 * @param requestsPerSecond {@code requests / seconds}
 * @param rate              the open loop's rate in requests per second, or 0 for a closed loop
 * @param errors            failures by kind
 * @param latency           latency percentiles over every request that ended
 * @param instances         requests answered 2xx per instance, most first
 * @param timeline          one entry per second of the run, from second 0
 * @param interrupted       whether the run was stopped (Ctrl-C) before its end
 * @param retried           requests sent a second time because their kept-alive connection closed before any
 *                          byte of an answer ({@link HitPlan#retry}); each counts once in {@code requests}
 */
public record HitSummary(String url, long requests, long ok, double seconds, double requestsPerSecond, double rate,
                         Errors errors, Latency latency, List<InstanceShare> instances, List<Second> timeline,
                         boolean interrupted, long retried) {

    /** A summary with no request retried. */
    public HitSummary(String url, long requests, long ok, double seconds, double requestsPerSecond, double rate,
                      Errors errors, Latency latency, List<InstanceShare> instances, List<Second> timeline,
                      boolean interrupted) {
        this(url, requests, ok, seconds, requestsPerSecond, rate, errors, latency, instances, timeline, interrupted, 0);
    }

    /**
     * Failures by kind; {@code statuses} counts the non-2xx answers by status.
     */
    public record Errors(long total, long refused, long reset, long timeout, long non2xx, long other,
                         Map<Integer, Long> statuses) {
    }

    /** Latency percentiles in milliseconds; all 0 when no request ended. */
    public record Latency(double p50, double p90, double p99, double p999, double max) {
    }

    /** One instance's 2xx answers and their share of all 2xx answers (0 to 1). */
    public record InstanceShare(String instance, long requests, double share) {
    }

    /**
     * One second of the run, by the time requests ended: how many ended, how many of them failed,
     * their median and 99th percentile latency (ms), and the 2xx answers per instance. The
     * timeline runs from second 0 to the last second in which a request ended; with a duration,
     * requests still in flight at its end count in its last second.
     */
    public record Second(long second, long requests, long errors, double p50, double p99, Map<String, Long> instances) {
    }
}
