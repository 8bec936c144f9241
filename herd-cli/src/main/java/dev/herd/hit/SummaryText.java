package dev.herd.hit;

import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/** The summary as {@code herd hit} prints it for people. */
final class SummaryText {

    private SummaryText() {
    }

    /** One line per request in the sequential demo, as the seed's client prints them. */
    static String line(Exchange e) {
        if (e.status() != 0) {
            return "Response #" + e.number() + (e.ok() ? "" : " (" + e.status() + ")") + ": " + e.firstLine();
        }
        return "Request #" + e.number() + " failed: " + e.error().label() + " (" + e.detail() + ")";
    }

    static String format(HitSummary s) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s%d requests in %.2f s, %.1f req/s%s, %d failed%n",
                s.interrupted() ? "stopped: " : "", s.requests(), s.seconds(), s.requestsPerSecond(),
                s.rate() > 0 ? String.format(Locale.ROOT, " (rate %.1f/s)", s.rate()) : "", s.errors().total()));
        HitSummary.Errors e = s.errors();
        if (e.total() > 0) {
            StringJoiner statuses = new StringJoiner(", ", " (", ")").setEmptyValue("");
            for (Map.Entry<Integer, Long> st : e.statuses().entrySet()) {
                statuses.add(st.getKey() + ": " + st.getValue());
            }
            out.append(String.format(Locale.ROOT, "errors: refused %d, reset %d, timeout %d, non-2xx %d%s, other %d%n",
                    e.refused(), e.reset(), e.timeout(), e.non2xx(), statuses, e.other()));
        }
        if (s.retried() > 0) {
            out.append(String.format(Locale.ROOT, "retried %d: a kept-alive connection closed before any byte of the"
                    + " answer, so the request went again on a new one (--retry), as browsers do%n", s.retried()));
        }
        // An open loop whose connections fell behind: its figures are not the rate's, and it must say so.
        if (s.rate() > 0 && !s.interrupted() && s.requestsPerSecond() < 0.95 * s.rate()) {
            out.append(String.format(Locale.ROOT, "rate not reached: %.1f/s of %.1f/s; each connection has one"
                    + " request in flight, so add connections (-c)%n", s.requestsPerSecond(), s.rate()));
        }
        HitSummary.Latency l = s.latency();
        out.append(String.format(Locale.ROOT, "latency%s: p50 %s, p90 %s, p99 %s, p99.9 %s, max %s%n",
                s.rate() > 0 ? " (from each request's due time)" : "", ms(l.p50()), ms(l.p90()), ms(l.p99()),
                ms(l.p999()), ms(l.max())));
        if (s.instances().isEmpty()) {
            return out.append("no instance answered 2xx").append(System.lineSeparator()).toString();
        }
        out.append(s.instances().size()).append(s.instances().size() == 1 ? " instance" : " instances")
                .append(" answered:").append(System.lineSeparator());
        int width = s.instances().stream().mapToInt(i -> i.instance().length()).max().orElse(0);
        for (HitSummary.InstanceShare i : s.instances()) {
            out.append(String.format(Locale.ROOT, "  %-" + width + "s  %8d  %5.1f%%%n", i.instance(), i.requests(),
                    100 * i.share()));
        }
        return out.toString();
    }

    private static String ms(double millis) {
        return millis >= 100 ? String.format(Locale.ROOT, "%.0f ms", millis) : String.format(Locale.ROOT, "%.2f ms", millis);
    }
}
