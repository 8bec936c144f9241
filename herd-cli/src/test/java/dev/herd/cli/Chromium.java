package dev.herd.cli;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.herd.daemon.Protocol;

/**
 * Debian's headless chromium showing one page, driven through the DevTools protocol on the
 * JDK's own WebSocket client: {@link #evaluate} runs JavaScript in the page.
 */
final class Chromium implements AutoCloseable {

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending;

    private Chromium(Process process, WebSocket socket, Map<Integer, CompletableFuture<JsonNode>> pending) {
        this.process = process;
        this.socket = socket;
        this.pending = pending;
    }

    /** The chromium binary, if installed. */
    static Optional<Path> find() {
        for (String name : List.of("chromium", "chromium-browser")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Starts chromium on {@code url} with a profile of its own in {@code profile}, and connects to the page. */
    static Chromium open(Path binary, Path profile, String url) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--no-first-run", "--remote-debugging-port=0",
                "--user-data-dir=" + profile, "--window-size=1280,1000", url)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(profile.resolveSibling("chromium.log").toFile());
        // Its singleton socket goes under TMPDIR: in the test's own directory, removed with it.
        pb.environment().put("TMPDIR", profile.toString());
        Process p = pb.start();
        try {
            Path active = profile.resolve("DevToolsActivePort");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(active) && Files.readAllLines(active).size() >= 2);
            int port = Integer.parseInt(Files.readAllLines(active).get(0).strip());
            HttpClient http = HttpClient.newHttpClient();
            String[] page = new String[1];
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                JsonNode targets = Protocol.json().readTree(http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body());
                for (JsonNode t : targets) {
                    if ("page".equals(t.path("type").asText())) {
                        page[0] = t.path("webSocketDebuggerUrl").asText();
                        return true;
                    }
                }
                return false;
            });
            Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
            WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(page[0]), new Listener(pending))
                    .get(30, TimeUnit.SECONDS);
            return new Chromium(p, ws, pending);
        } catch (Exception | AssertionError e) {
            stop(p);
            throw e;
        }
    }

    /** Collects each message's parts and completes the call its id answers. */
    private static final class Listener implements WebSocket.Listener {
        private final Map<Integer, CompletableFuture<JsonNode>> pending;
        private final StringBuilder text = new StringBuilder();

        Listener(Map<Integer, CompletableFuture<JsonNode>> pending) {
            this.pending = pending;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode message = Protocol.json().readTree(text.toString());
                    CompletableFuture<JsonNode> call = pending.remove(message.path("id").asInt(-1));
                    if (call != null) {
                        call.complete(message);
                    }
                } catch (IOException e) {
                    // Not JSON: DevTools sends nothing else, so nothing waits for it.
                }
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }

    /** The value of {@code expression} in the page, which must give a string (JSON, say). */
    String evaluate(String expression) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode call = Protocol.json().createObjectNode().put("id", id).put("method", "Runtime.evaluate");
        call.putObject("params").put("expression", expression).put("returnByValue", true).put("awaitPromise", true);
        socket.sendText(Protocol.json().writeValueAsString(call), true).get(30, TimeUnit.SECONDS);
        JsonNode result = answer.get(30, TimeUnit.SECONDS).path("result");
        if (result.has("exceptionDetails")) {
            throw new AssertionError("the page threw: " + result.path("exceptionDetails"));
        }
        return result.path("result").path("value").asText();
    }

    @Override
    public void close() {
        socket.abort();
        stop(process);
    }

    private static void stop(Process p) {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        p.onExit().join();
    }
}
