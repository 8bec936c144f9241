package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.daemon.Protocol;

/**
 * {@code herd metrics} as a user drives it: a real daemon with a cluster app under {@code herd hit}
 * traffic, scraped and parsed by Prometheus' own parser; the settings kept across daemons and
 * written by hand; a taken port; the token rule; and no metrics class in a daemon without them.
 */
class MetricsIT {

    static final String SERVER = """
            const http = require('http');
            http.createServer((req, res) => { res.writeHead(200); res.end('Hello from worker ' + process.pid + '\\n'); })
              .listen(process.env.PORT, '127.0.0.1');
            """;

    @TempDir
    Path tmp;

    private Herd herd;
    private final List<Process> background = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void setUp() throws IOException {
        herd = new Herd(tmp);
        herd.script("server.js", SERVER);
    }

    @AfterEach
    void tearDown() throws Exception {
        background.forEach(Process::destroyForcibly);
        herd.close();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts a cluster app of {@code instances} node servers behind a free loopback port; returns the port. */
    static int startCluster(Herd herd, int instances) throws Exception {
        int port = freePort();
        Path eco = herd.script("eco.yml", """
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    instances: %d
                    port: %d
                    balancer: {host: 127.0.0.1, instance_header: true}
                """.formatted(instances, port));
        herd.run("start", eco.toString()).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            int ready = 0;
            for (JsonNode i : herd.list()) {
                ready += "ready".equals(i.path("cluster").path("pool").asText()) ? 1 : 0;
            }
            return ready == instances;
        });
        return port;
    }

    private HttpResponse<String> get(String url, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode metricsStatus(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("metrics", "--json"));
        argv.addAll(List.of(args));
        return Protocol.json().readTree(herd.run(argv.toArray(String[]::new)).ok().out());
    }

    @Test
    void aScrapeParsesAndCountsWhatHerdHitSent() throws Exception {
        assertThat(Prometheus.available()).as("%s with python3-prometheus-client (.ci/run installs it)", Prometheus.PYTHON).isTrue();
        int appPort = startCluster(herd, 2);
        herd.script("sleeper.sh", "exec sleep 300\n");
        herd.run("start", "sleeper.sh", "--name", "sleeper").ok();
        int port = freePort();
        Herd.Result on = herd.run("metrics", "--port", Integer.toString(port)).ok();
        assertThat(on.out()).contains("herd: metrics on http://127.0.0.1:" + port + "/metrics")
                .contains("herd: dashboard on http://127.0.0.1:" + port + "/");

        JsonNode hit = Protocol.json().readTree(herd.run("hit", "http://127.0.0.1:" + appPort + "/", "-n", "300", "-c", "4",
                "--json").ok().out());
        assertThat(hit.path("ok").asLong()).isEqualTo(300);

        String url = "http://127.0.0.1:" + port + "/metrics";
        // The app's totals are those of the sampler's last pass (every second).
        await().atMost(Duration.ofSeconds(30)).until(() ->
                value(Prometheus.parse(get(url).body()), "herd_http_requests", "herd_http_requests_total", Map.of("app", "api")) == 300);
        HttpResponse<String> scrape = get(url);
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
        Map<String, Prometheus.Family> families = Prometheus.parse(scrape.body());

        assertThat(families).containsKeys("herd_instance_cpu_seconds", "herd_instance_memory_bytes", "herd_instance_restarts",
                "herd_instance_state", "herd_http_requests", "herd_http_errors", "herd_http_request_duration_seconds",
                "process_cpu_seconds", "process_resident_memory_bytes");
        assertThat(families.get("herd_instance_cpu_seconds").type()).isEqualTo("counter");
        assertThat(families.get("herd_instance_memory_bytes").type()).isEqualTo("gauge");
        assertThat(families.get("herd_instance_restarts").type()).isEqualTo("counter");
        assertThat(families.get("herd_instance_state").type()).isEqualTo("gauge");
        assertThat(families.get("herd_http_requests").type()).isEqualTo("counter");
        assertThat(families.get("herd_http_errors").type()).isEqualTo("counter");
        assertThat(families.get("herd_http_request_duration_seconds").type()).isEqualTo("histogram");
        assertThat(families.get("process_cpu_seconds").type()).isEqualTo("counter");
        assertThat(families.get("process_resident_memory_bytes").type()).isEqualTo("gauge");
        assertThat(value(families, "process_resident_memory_bytes", "process_resident_memory_bytes", Map.of())).isPositive();
        assertThat(value(families, "process_cpu_seconds", "process_cpu_seconds_total", Map.of())).isPositive();

        // Per instance: app, index and id; memory of each running one; one state at 1 each.
        Set<String> ids = new HashSet<>();
        for (JsonNode i : herd.list()) {
            ids.add(i.path("id").asText());
        }
        assertThat(ids).hasSize(3);
        for (Prometheus.Sample s : families.get("herd_instance_memory_bytes").samples()) {
            assertThat(s.labels()).containsOnlyKeys("app", "index", "id");
            assertThat(s.value()).as("memory of %s", s.labels()).isPositive();
        }
        assertThat(families.get("herd_instance_memory_bytes").samples()).extracting(s -> s.labels().get("id"))
                .containsExactlyInAnyOrderElementsOf(ids);
        assertThat(families.get("herd_instance_state").samples()).filteredOn(s -> s.value() == 1)
                .extracting(s -> s.labels().get("id") + "=" + s.labels().get("state"))
                .containsExactlyInAnyOrderElementsOf(ids.stream().map(id -> id + "=online").toList());
        assertThat(families.get("herd_instance_state").samples()).filteredOn(s -> s.labels().get("id").equals(ids.iterator().next()))
                .extracting(s -> s.labels().get("state"))
                .containsExactlyInAnyOrder("starting", "online", "stopping", "stopped", "waiting_restart", "errored");

        // Per app: errors of every kind, none here; the histogram cumulative, ending in +Inf = count = 300.
        assertThat(families.get("herd_http_errors").samples()).extracting(s -> s.labels().get("kind"))
                .containsExactlyInAnyOrder("connect", "connect_timeout", "response_timeout", "reset", "protocol", "unavailable");
        assertThat(families.get("herd_http_errors").samples()).allSatisfy(s -> assertThat(s.value()).isZero());
        List<Prometheus.Sample> buckets = families.get("herd_http_request_duration_seconds").samples().stream()
                .filter(s -> s.name().endsWith("_bucket")).toList();
        assertThat(buckets).hasSizeGreaterThan(5);
        double previousBound = Double.NEGATIVE_INFINITY;
        double previousCount = 0;
        for (Prometheus.Sample b : buckets) {
            double bound = b.labels().get("le").equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(b.labels().get("le"));
            assertThat(bound).isGreaterThan(previousBound);
            assertThat(b.value()).isGreaterThanOrEqualTo(previousCount);
            previousBound = bound;
            previousCount = b.value();
        }
        assertThat(buckets.get(buckets.size() - 1).labels().get("le")).isEqualTo("+Inf");
        double count = value(families, "herd_http_request_duration_seconds", "herd_http_request_duration_seconds_count",
                Map.of("app", "api"));
        assertThat(previousCount).isEqualTo(count).isEqualTo(300);
        assertThat(value(families, "herd_http_request_duration_seconds", "herd_http_request_duration_seconds_sum",
                Map.of("app", "api"))).isPositive();

        // OpenMetrics for a scraper that asks for it.
        HttpResponse<String> open = get(url, "Accept", "application/openmetrics-text; version=1.0.0");
        assertThat(open.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/openmetrics-text"));
        assertThat(open.body()).endsWith("# EOF\n");
    }

    private static double value(Map<String, Prometheus.Family> families, String family, String sample, Map<String, String> labels) {
        Prometheus.Family f = families.get(family);
        assertThat(f).as("family %s", family).isNotNull();
        return f.samples().stream().filter(s -> s.name().equals(sample) && s.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Prometheus.Sample::value).findFirst()
                .orElseThrow(() -> new AssertionError("no " + sample + labels + " in " + f));
    }

    @Test
    void theSettingsFileOpensThePortInEveryNewDaemonAndABadOneIsKeptAndNamed() throws Exception {
        int port = freePort();
        herd.run("metrics", "--port", Integer.toString(port)).ok();
        Path file = herd.home.resolve("daemon.conf");
        assertThat(Files.readString(file)).contains("metrics.port = " + port);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        long first = herd.daemonPid();
        herd.run("kill").ok();
        herd.run("ping").ok();
        assertThat(herd.daemonPid()).isNotEqualTo(first);
        assertThat(get("http://127.0.0.1:" + port + "/metrics").statusCode()).isEqualTo(200);
        assertThat(metricsStatus().path("metricsUrl").asText()).isEqualTo("http://127.0.0.1:" + port + "/metrics");

        // Off stays off for the next daemon too.
        herd.run("metrics", "--off").ok();
        assertThat(refused("127.0.0.1", port)).isTrue();
        herd.run("kill").ok();
        herd.run("ping").ok();
        assertThat(herd.run("metrics").ok().out()).startsWith("herd: metrics are off");

        // Written by hand with a mistake: the daemon runs without metrics, says where the mistake is, and keeps the file.
        herd.run("kill").ok();
        String mine = "# for the ops team\nmetrics.port = " + port + "\nmetrics.hots = 0.0.0.0\n";
        Files.writeString(file, mine);
        herd.run("ping").ok();
        Herd.Result bad = herd.run("metrics");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err().strip()).isEqualTo("herd: metrics are off: " + file
                + ":3: metrics.hots: unknown setting (known: metrics.port, metrics.host, metrics.token)");
        Herd.Result refusedChange = herd.run("metrics", "--port", Integer.toString(port));
        assertThat(refusedChange.code()).isEqualTo(1);
        assertThat(refusedChange.err()).contains(file + ":3: metrics.hots: unknown setting");
        assertThat(Files.readString(file)).isEqualTo(mine);

        // Corrected by hand: its comment stays through herd's own update.
        Files.writeString(file, "# for the ops team\nmetrics.port = " + port + "\n");
        int other = freePort();
        herd.run("metrics", "--port", Integer.toString(other)).ok();
        assertThat(Files.readString(file)).startsWith("# for the ops team\nmetrics.port = " + other + "\n");
        assertThat(get("http://127.0.0.1:" + other + "/metrics").statusCode()).isEqualTo(200);
        assertThat(refused("127.0.0.1", port)).isTrue();
    }

    @Test
    void aTakenPortIsOneLineNamingItsHolder() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            Herd.Result r = herd.run("metrics", "--port", Integer.toString(taken.getLocalPort()));
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("herd: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": the port is held by pid " + ProcessHandle.current().pid() + " (java)\n");
        }
        assertThat(herd.run("metrics").ok().out()).startsWith("herd: metrics are off");
    }

    @Test
    void aHostOtherThanLoopbackNeedsTheTokenOnEveryRequest() throws Exception {
        int port = freePort();
        JsonNode on = metricsStatus("--port", Integer.toString(port), "--host", "127.0.0.2");
        String token = on.path("token").asText();
        assertThat(on.path("tokenGenerated").asBoolean()).isTrue();
        assertThat(token).hasSizeGreaterThanOrEqualTo(16);
        assertThat(on.path("dashboardUrl").asText()).isEqualTo("http://127.0.0.2:" + port + "/?token=" + token);
        assertThat(Files.readString(herd.home.resolve("daemon.conf"))).contains("metrics.token = " + token);

        String base = "http://127.0.0.2:" + port;
        for (String path : List.of("/", "/metrics", "/api/samples", "/dashboard.js", "/uPlot.min.js")) {
            HttpResponse<String> r = get(base + path);
            assertThat(r.statusCode()).as(path).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).as(path).contains("Bearer realm=\"herd\"");
            assertThat(get(base + path, "Authorization", "Bearer " + token + "x").statusCode()).as(path).isEqualTo(401);
            assertThat(get(base + path + "?token=nope").statusCode()).as(path).isEqualTo(401);
        }
        assertThat(get(base + "/metrics", "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);
        HttpResponse<String> page = get(base + "/?token=" + token);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("uPlot.min.js");
        String cookie = page.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        assertThat(cookie).isEqualTo("herd_token=" + token);
        assertThat(get(base + "/api/samples", "Cookie", cookie).statusCode()).isEqualTo(200);
        // Bound to 127.0.0.2 only.
        assertThat(refused("127.0.0.1", port)).isTrue();

        // The next daemon keeps the token rather than making a new one.
        herd.run("kill").ok();
        herd.run("ping").ok();
        assertThat(get(base + "/metrics").statusCode()).isEqualTo(401);
        assertThat(get(base + "/metrics", "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);
        assertThat(metricsStatus().path("token").asText()).isEqualTo(token);
    }

    @Test
    void onLoopbackARequestMustNameLoopbackInItsHost() throws Exception {
        int port = freePort();
        herd.run("metrics", "--port", Integer.toString(port)).ok();
        assertThat(statusLine(port, "127.0.0.1:" + port)).isEqualTo("HTTP/1.1 200 OK");
        assertThat(statusLine(port, "localhost:" + port)).isEqualTo("HTTP/1.1 200 OK");
        // A page on a name rebound to 127.0.0.1 sends its own name.
        assertThat(statusLine(port, "rebound.example:" + port)).isEqualTo("HTTP/1.1 403 Forbidden");
        assertThat(statusLine(port, "127.0.0.1.rebound.example")).isEqualTo("HTTP/1.1 403 Forbidden");
    }

    private static String statusLine(int port, String hostHeader) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: " + hostHeader + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
        }
    }

    private static boolean refused(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aDaemonWithoutMetricsLoadsNoneOfTheirClasses() throws Exception {
        Files.createDirectories(herd.home.getParent());
        Files.createDirectory(herd.home, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path classes = tmp.resolve("classes.log");
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.add(1, "-Xlog:class+load=info:file=" + classes);
        argv.add("daemon");
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(tmp.resolve("daemon.out").toFile()).redirectErrorStream(true);
        pb.environment().put("HERD_HOME", herd.home.toString());
        Process daemon = pb.start();
        background.add(daemon);
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(herd.home.resolve("daemon.pid")));
        herd.run("start", "server.js", "--name", "plain").ok();
        herd.run("list").ok();
        assertThat(metricClasses(classes)).isEmpty();

        herd.run("metrics", "--port", Integer.toString(freePort())).ok();
        String url = metricsStatus().path("metricsUrl").asText();
        assertThat(get(url).body()).contains("herd_instance_memory_bytes{app=\"plain\"");
        assertThat(metricClasses(classes)).anyMatch(c -> c.startsWith("io.micrometer."))
                .anyMatch(c -> c.startsWith("sun.net.httpserver."));
        herd.run("kill").ok();
        assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    private static List<String> metricClasses(Path log) throws IOException {
        List<String> found = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            String[] words = line.split(" ");
            for (String w : words) {
                if (w.startsWith("io.micrometer.") || w.startsWith("io.prometheus.") || w.startsWith("sun.net.httpserver.")
                        || w.startsWith("com.sun.net.httpserver.") || w.startsWith("dev.herd.metrics.Exposition")
                        || w.startsWith("dev.herd.metrics.DashboardServer")) {
                    found.add(w);
                }
            }
        }
        return found;
    }
}
