package dev.herd.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import dev.herd.daemon.Protocol;

/**
 * Prometheus text parsed by Prometheus' own Python client ({@code prometheus_client.parser}, Debian's
 * {@code python3-prometheus-client}, which {@code .ci/run} installs): what a scrape means to a real
 * parser, not to a regular expression of ours.
 */
final class Prometheus {

    /** Debian's interpreter, where the package installs; another on the PATH may lack it. */
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private static final String PARSE = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for f in text_string_to_metric_families(sys.stdin.read()):
                out.append({"name": f.name, "type": f.type, "samples": [
                    {"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]})
            print(json.dumps(out))
            """;

    /** One sample. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    /** One family: its name as the parser gives it (a counter's without {@code _total}) and type. */
    record Family(String name, String type, List<Sample> samples) {
    }

    private Prometheus() {
    }

    /** The families of {@code text}, by name. */
    static Map<String, Family> parse(String text) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", PARSE).redirectError(ProcessBuilder.Redirect.PIPE).start();
        try (var in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("prometheus_client could not parse the scrape: " + err + "\n" + text);
        }
        Map<String, Family> families = new LinkedHashMap<>();
        for (JsonNode f : Protocol.json().readTree(out)) {
            List<Sample> samples = new ArrayList<>();
            for (JsonNode s : f.path("samples")) {
                Map<String, String> labels = new LinkedHashMap<>();
                s.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
                samples.add(new Sample(s.path("name").asText(), labels, s.path("value").asDouble()));
            }
            families.put(f.path("name").asText(), new Family(f.path("name").asText(), f.path("type").asText(), samples));
        }
        return families;
    }

    /** Whether the parser is there. */
    static boolean available() {
        return Files.isExecutable(PYTHON);
    }
}
