package dev.herd.hit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The text summary, the per-answer lines and the HTML page rendered from one summary. */
class ReportTest {

    private static final String URL = "http://127.0.0.1:8000/";

    private final HitSummary summary = new HitSummary(URL, 8, 5, 2.0, 4.0, 0,
            new HitSummary.Errors(3, 1, 0, 0, 2, 0, Map.of(500, 2L)), new HitSummary.Latency(1.5, 2, 3.25, 150, 151),
            List.of(new HitSummary.InstanceShare("4312", 4, 0.8), new HitSummary.InstanceShare("<b>", 1, 0.2)),
            List.of(new HitSummary.Second(0, 6, 3, 1.5, 3.25, Map.of("4312", 3L)),
                    new HitSummary.Second(1, 2, 0, 1.0, 2.0, Map.of("4312", 1L, "<b>", 1L))),
            false);

    @Test
    void theTextSaysCountsErrorsPercentilesAndShares() {
        String text = SummaryText.format(summary);
        assertThat(text.lines()).containsExactly(
                "8 requests in 2.00 s, 4.0 req/s, 3 failed",
                "errors: refused 1, reset 0, timeout 0, non-2xx 2 (500: 2), other 0",
                "latency: p50 1.50 ms, p90 2.00 ms, p99 3.25 ms, p99.9 150 ms, max 151 ms",
                "2 instances answered:",
                "  4312         4   80.0%",
                "  <b>          1   20.0%");
    }

    @Test
    void anOpenLoopThatDidNotReachItsRateSaysSo() {
        HitSummary behind = new HitSummary(URL, 50, 50, 2.0, 25.0, 100, new HitSummary.Errors(0, 0, 0, 0, 0, 0, Map.of()),
                new HitSummary.Latency(1, 2, 3, 4, 5), List.of(new HitSummary.InstanceShare("1", 50, 1.0)), List.of(),
                false);

        assertThat(SummaryText.format(behind)).contains("rate not reached: 25.0/s of 100.0/s");
        assertThat(SummaryText.format(summary)).doesNotContain("rate not reached");
    }

    @Test
    void eachAnswerIsOneLineAsTheSeedsClientPrintsIt() {
        assertThat(SummaryText.line(Exchange.answered(3, 1, 200, "4312", "Hello from worker 4312")))
                .isEqualTo("Response #3: Hello from worker 4312");
        assertThat(SummaryText.line(Exchange.answered(4, 1, 500, "4312", "oops"))).isEqualTo("Response #4 (500): oops");
        assertThat(SummaryText.line(Exchange.failed(5, 1, ErrorKind.REFUSED, "Connection refused")))
                .isEqualTo("Request #5 failed: refused (Connection refused)");
    }

    @Test
    void thePageNeedsNoNetworkAndShowsEveryChart() {
        String html = HtmlReport.render(summary);
        assertThat(html).startsWith("<!DOCTYPE html>");
        assertThat(html.replace(URL, "")).doesNotContain("http").doesNotContain("<script").doesNotContain("<link")
                .doesNotContain("src=").doesNotContain("href=").doesNotContain("url(");
        assertThat(html).contains("Requests per second", "Latency (ms): p50 and p99", "Errors per second",
                "Answers per second by instance", "Share by instance", "80.0%", "20.0%");
        assertThat(html).contains("&lt;b&gt;").doesNotContain("<b>");
        assertThat(html.split("<svg ", -1)).hasSize(5);
        assertThat(html).contains("<title>&lt;b&gt;: 1 in second 1</title>");
    }
}
