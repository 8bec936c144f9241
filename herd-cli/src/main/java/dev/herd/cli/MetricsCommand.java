package dev.herd.cli;

import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.herd.daemon.HerdException;
import dev.herd.daemon.Request;
import dev.herd.daemon.Response;

/** {@code herd metrics}: shows, opens, moves or closes the daemon's metrics port and dashboard. */
@Command(name = "metrics", description = {"Prometheus metrics (/metrics) and a live dashboard (/) on a port of the"
        + " daemon: --port opens it (127.0.0.1 unless --host), --off closes it, alone it shows where it is.",
        "Kept in $HERD_HOME/daemon.conf, so every new daemon opens it again. A host other than 127.0.0.1, localhost"
                + " or ::1 needs a token (--token, or one is generated): without it every request gets 401."})
final class MetricsCommand implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "PORT", description = "Open the metrics port here.")
    Integer port;
    @Option(names = "--host", paramLabel = "ADDRESS", description = "The address to bind (default 127.0.0.1).")
    String host;
    @Option(names = "--token", paramLabel = "TOKEN",
            description = "What every request must carry (Authorization: Bearer, or ?token= for the page).")
    String token;
    @Option(names = "--off", description = "Close the port, and keep it closed for the next daemon.")
    boolean off;
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Response r = Main.client().call(new Request.MetricsPort(port, host, token, off), true);
        JsonNode s = r.body();
        if (json) {
            System.out.println(s.toPrettyString());
            return 0;
        }
        String file = s.path("settingsFile").asText();
        if (!s.path("on").asBoolean()) {
            if (!s.path("problem").isNull()) {
                throw new HerdException("metrics are off: " + s.path("problem").asText());
            }
            System.out.println("herd: metrics are off (herd metrics --port 9209 opens them; settings: " + file + ")");
            return 0;
        }
        System.out.println("herd: metrics on " + s.path("metricsUrl").asText());
        System.out.println("herd: dashboard on " + s.path("dashboardUrl").asText());
        if (!s.path("token").isNull()) {
            System.out.println("herd: token " + s.path("token").asText()
                    + (s.path("tokenGenerated").asBoolean() ? " (generated)" : "")
                    + ": send it as Authorization: Bearer <token>");
        }
        try {
            new dev.herd.metrics.SettingsFile(java.nio.file.Path.of(file)).read();
            System.out.println("herd: settings in " + file + ": the next daemon opens the same port");
        } catch (dev.herd.metrics.MetricsException e) {
            // Edited by hand since this daemon read it: say so now, not when the next daemon starts.
            System.err.println("herd: warning: " + e.getMessage() + "; the next daemon opens no metrics port until"
                    + " it is fixed");
        }
        return 0;
    }
}
