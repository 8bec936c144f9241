package dev.herd.hit;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.herd.config.Durations;
import dev.herd.daemon.HerdException;

/** {@code herd hit}: sends HTTP requests to a URL and tells who answered, how fast, and what failed. */
@Command(name = "hit", sortOptions = false,
        description = {"Send HTTP/1.1 requests to a URL and count who answered, how fast, and what failed.",
            "On one connection without --rate or -d (default: -n 10) the requests go one after the other and each"
                + " answer is printed (Response #3: Hello from worker 4312); every run ends with a summary: requests,"
                + " errors by kind, latency percentiles, and how many each instance served.",
            "Who answered: the X-Herd-Instance header, else the body's first line: its \"instance\", \"worker\","
                + " \"pid\" or \"id\" field, else its last number, else the line itself.",
            "Errors are counted by kind: refused, reset (or closed before the response ended), timeout, non-2xx"
                + " (by status), other. Ctrl-C stops and prints the summary so far."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:every request was answered 2xx", "1:a request failed (see the summary), or a bad value",
            "2:an unknown option or a missing URL", "130:stopped by Ctrl-C"})
public final class HitCommand implements Callable<Integer> {

    /** Connections a run may hold open; more only exhausts file descriptors. */
    private static final int MAX_CONNECTIONS = 10_000;

    @Parameters(index = "0", paramLabel = "URL", description = "An http:// URL, e.g. http://127.0.0.1:8000/.")
    String url;
    @Option(names = {"-n", "--requests"}, paramLabel = "N", description = "Requests to send at most (default 10 without -d).")
    Long count;
    @Option(names = {"-d", "--duration"}, paramLabel = "DURATION", description = "How long to send at most, e.g. 20s or 2m.")
    String duration;
    @Option(names = {"-c", "--connections"}, paramLabel = "N", defaultValue = "1",
            description = "Connections at once, each with one request in flight (default ${DEFAULT-VALUE}).")
    int connections;
    @Option(names = "--rate", paramLabel = "R", description = {"Open loop: R requests per second in total, sent on"
            + " schedule whether or not earlier ones were answered; latency counts from each request's scheduled time,"
            + " so a stall shows in every request it delayed (coordinated omission corrected, as wrk2 does)."})
    Double rate;
    @Option(names = "--keep-alive", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Reuse connections (default); --no-keep-alive opens a new one per request.")
    boolean keepAlive;
    @Option(names = "--retry", description = {"When a kept-alive connection closes before any byte of an answer (the"
            + " server closed it as idle just as the request went out), send an idempotent request once more on a new"
            + " one, as browsers and the JDK's HttpClient do (RFC 9110, 9.2.2), and count it as retried; without it,"
            + " such a request counts as failed (reset), as wrk counts it."})
    boolean retry;
    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long a request may take, connecting included (default ${DEFAULT-VALUE}).")
    String timeout;
    @Option(names = {"-X", "--method"}, paramLabel = "METHOD", defaultValue = "GET", description = "Default ${DEFAULT-VALUE}.")
    String method;
    @Option(names = {"-H", "--header"}, paramLabel = "'NAME: VALUE'", description = "A request header; repeat for more.")
    List<String> headers = new ArrayList<>();
    @Option(names = "--body", paramLabel = "TEXT", description = "The request body.")
    String body;
    @Option(names = {"-q", "--quiet"}, description = "Print no line per answer, only the summary.")
    boolean quiet;
    @Option(names = "--json", description = "Print the summary as one JSON object, and nothing else.")
    boolean json;
    @Option(names = "--report", paramLabel = "FILE",
            description = "Write an HTML page (self-contained, no network needed) with requests/s, p50/p99 latency and"
                    + " errors per second, and each instance's share.")
    Path report;

    @Override
    public Integer call() throws Exception {
        HitPlan plan = plan();
        HitClient client = new HitClient(plan);
        boolean perAnswer = !quiet && !json && connections == 1 && rate == null && duration == null;
        Consumer<Exchange> listener = perAnswer ? e -> System.out.println(SummaryText.line(e)) : e -> { };
        AtomicBoolean printed = new AtomicBoolean();
        AtomicBoolean stopping = new AtomicBoolean();
        Thread onCtrlC = new Thread(() -> {
            stopping.set(true);
            client.stop();
            HitSummary sofar = client.summary();
            if (sofar != null && printed.compareAndSet(false, true)) {
                print(sofar);
            }
        }, "herd-hit-interrupt");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        HitSummary summary;
        try {
            summary = client.run(listener);
        } catch (IOException e) {
            throw new HerdException(url + ": " + e.getMessage());
        }
        // Stopped by a signal: the hook prints what was counted; taking its turn here would print nothing.
        if (stopping.get() || !printed.compareAndSet(false, true)) {
            return 130;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onCtrlC);
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C came after the end: the hook finds the summary printed and does nothing.
        }
        print(summary);
        return summary.errors().total() > 0 ? 1 : 0;
    }

    private void print(HitSummary summary) {
        try {
            if (json) {
                System.out.println(new ObjectMapper().writeValueAsString(summary));
            } else {
                System.out.print(SummaryText.format(summary));
            }
            if (report != null) {
                Files.writeString(report, HtmlReport.render(summary));
                System.err.println("herd: report written to " + report);
            }
        } catch (IOException e) {
            System.err.println("herd: cannot write " + report + ": " + e.getMessage());
        }
        System.out.flush();
    }

    private HitPlan plan() throws HerdException {
        URI target;
        try {
            target = new URI(url);
        } catch (URISyntaxException e) {
            target = null;
        }
        if (target == null || !"http".equalsIgnoreCase(target.getScheme()) || target.getHost() == null) {
            throw new HerdException("URL: expected http://HOST[:PORT]/PATH (no https), got '" + url + "'");
        }
        if (count != null && count < 1) {
            throw new HerdException("-n: expected 1 or more, got " + count);
        }
        if (connections < 1 || connections > MAX_CONNECTIONS) {
            throw new HerdException("-c: expected 1 to " + MAX_CONNECTIONS + ", got " + connections);
        }
        if (rate != null && (!(rate > 0) || rate.isInfinite())) {
            throw new HerdException("--rate: expected requests per second, more than 0, got " + rate);
        }
        Duration d = duration == null ? null : positive("-d", duration);
        long n = count != null ? count : d == null ? 10 : 0;
        List<HitPlan.Header> parsed = new ArrayList<>();
        for (String h : headers) {
            int colon = h.indexOf(':');
            if (colon <= 0 || !h.substring(0, colon).strip().matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw new HerdException("-H: expected 'NAME: VALUE', got '" + h + "'");
            }
            parsed.add(new HitPlan.Header(h.substring(0, colon).strip(), h.substring(colon + 1).strip()));
        }
        if (!method.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            throw new HerdException("-X: '" + method + "' is not a method name");
        }
        return new HitPlan(target, connections, n, d, rate == null ? 0 : rate, keepAlive, positive("--timeout", timeout),
                method, parsed, body, retry);
    }

    /** A duration with a unit (20s, 500ms): a bare number would read as milliseconds, not what -d 20 means elsewhere. */
    private static Duration positive(String option, String text) throws HerdException {
        Duration d = text.strip().chars().allMatch(Character::isDigit) ? null : Durations.parse(text).orElse(null);
        if (d == null) {
            throw new HerdException(option + ": expected a duration with a unit such as 500ms, 20s or 2m, got '" + text + "'");
        }
        if (d.isZero()) {
            throw new HerdException(option + ": must be more than 0");
        }
        return d;
    }
}
