package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.daemon.Protocol;

/**
 * The dashboard in a real browser: headless chromium opens the page of a daemon whose cluster
 * app is under {@code herd hit} load, and the test reads the page through DevTools: four uPlot
 * charts with history from before the page opened, the instance table with live values, and both
 * updating without a reload.
 */
class DashboardIT {

    /** What the test reads of the page, as JSON. */
    private static final String READ = """
            JSON.stringify({
              canvases: document.querySelectorAll('.chart .uplot canvas').length,
              titles: [...document.querySelectorAll('.chart .u-title')].map(t => t.textContent),
              rows: [...document.querySelectorAll('#instances tbody tr')].map(tr => [...tr.cells].map(td => td.textContent)),
              polls: window.herd ? window.herd.polls : 0,
              points: window.herd ? window.herd.plots().map(p => p.data[0].length) : [],
              firstPointBeforeOpen: window.herd && window.herd.plots().length > 0
                  && window.herd.plots()[0].data[0][0] * 1000 < performance.timeOrigin,
              requestsPerSecond: !!window.herd && window.herd.plots().length > 0
                  && window.herd.plots()[0].data.slice(1).some(s => s.some(v => v > 0))
            })""";

    @TempDir
    Path tmp;

    private Herd herd;
    private final List<Process> background = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        herd = new Herd(tmp);
        herd.script("server.js", MetricsIT.SERVER);
    }

    @AfterEach
    void tearDown() throws Exception {
        background.forEach(Process::destroyForcibly);
        herd.close();
    }

    @Test
    void chartsAndTableRenderWithLiveValues() throws Exception {
        Optional<Path> binary = Chromium.find();
        Assumptions.assumeTrue(binary.isPresent(), "chromium is not installed (.ci/run installs it: apt-get install chromium)");
        int appPort = MetricsIT.startCluster(herd, 2);
        int port = MetricsIT.freePort();
        herd.run("metrics", "--port", Integer.toString(port)).ok();
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.addAll(List.of("hit", "http://127.0.0.1:" + appPort + "/", "--rate", "40", "-c", "2", "-d", "120s"));
        background.add(new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start());

        // A few frames with traffic before the page opens: it must show them as history.
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            JsonNode s = Protocol.json().readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/samples")).build(), HttpResponse.BodyHandlers.ofString()).body());
            int withTraffic = 0;
            for (JsonNode f : s.path("frames")) {
                for (JsonNode p : f.path("points")) {
                    withTraffic += p.get(5).isNumber() && p.get(5).asDouble() > 0 ? 1 : 0;
                }
            }
            return withTraffic >= 4;
        });

        Path profile = Files.createDirectories(tmp.resolve("chromium-profile"));
        try (Chromium page = Chromium.open(binary.get(), profile, "http://127.0.0.1:" + port + "/")) {
            JsonNode[] seen = new JsonNode[1];
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode s = Protocol.json().readTree(page.evaluate(READ));
                seen[0] = s;
                assertThat(s.path("canvases").asInt()).as("%s", s).isEqualTo(4);
                assertThat(s.path("rows")).as("%s", s).hasSize(2);
                for (JsonNode row : s.path("rows")) {
                    assertThat(row.get(1).asText()).isEqualTo("api");
                    assertThat(row.get(3).asText()).isEqualTo("online");
                    assertThat(row.get(7).asText()).as("memory").endsWith(" MiB");
                    assertThat(Double.parseDouble(row.get(8).asText())).as("requests/s of %s", row).isPositive();
                }
            });
            JsonNode first = seen[0];
            assertThat(first.path("titles")).extracting(JsonNode::asText)
                    .containsExactly("Requests/s", "p99 latency (ms)", "CPU (% of a core)", "Memory (MiB)");
            assertThat(first.path("firstPointBeforeOpen").asBoolean()).as("history from before the page opened: %s", first).isTrue();
            assertThat(first.path("requestsPerSecond").asBoolean()).as("%s", first).isTrue();
            int polls = first.path("polls").asInt();
            int points = first.path("points").get(0).asInt();
            assertThat(points).isGreaterThan(1);

            // Live: new answers and new points, without a reload.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode s = Protocol.json().readTree(page.evaluate(READ));
                assertThat(s.path("polls").asInt()).isGreaterThan(polls + 1);
                assertThat(s.path("points").get(0).asInt()).isGreaterThan(points);
                assertThat(s.path("points")).allSatisfy(n -> assertThat(n.asInt()).isEqualTo(s.path("points").get(0).asInt()));
            });
        }
    }
}
