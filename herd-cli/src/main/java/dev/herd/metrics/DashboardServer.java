package dev.herd.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.cluster.PortOwner;

/**
 * The metrics port: {@code /metrics} (Prometheus text, or OpenMetrics when asked), {@code /} (the
 * dashboard page), its script, style and uPlot from the jar, and {@code /api/samples?after=T} (the
 * JSON the page polls, every two seconds or the sampler's period if longer: the instance table
 * and the history frames after T).
 *
 * <p>On the JDK's {@code com.sun.net.httpserver} with no executor: every request is answered on
 * its one dispatcher thread (plus the JDK's idle-connection timer), each answer a read of figures
 * already sampled. Netty's codec would be as small per request, but a daemon with no cluster app
 * has no Netty event loop nor its classes loaded, and this needs neither.
 *
 * <p>With a token, every request must carry it: {@code Authorization: Bearer T}, {@code ?token=T}
 * (which also sets a cookie, so the page's own requests carry it) or that cookie; else 401.
 * Without one (on loopback), a request must name a loopback address in its {@code Host}, else
 * 403: a web page whose name was made to resolve to 127.0.0.1 (DNS rebinding) cannot read it.
 */
final class DashboardServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DashboardServer.class);
    private static final String COOKIE = "herd_token";
    private static final Pattern LOOPBACK_HOST =
            Pattern.compile("(localhost|127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|\\[::1\\])(:\\d+)?");
    private static final String UPLOT = "/META-INF/resources/webjars/uplot/1.6.30/dist/";
    /** Path to resource and content type. */
    private static final Map<String, String[]> FILES = Map.of(
            "/", new String[]{"dashboard.html", "text/html; charset=utf-8"},
            "/dashboard.js", new String[]{"dashboard.js", "text/javascript; charset=utf-8"},
            "/dashboard.css", new String[]{"dashboard.css", "text/css; charset=utf-8"},
            "/uPlot.min.js", new String[]{UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8"},
            "/uPlot.min.css", new String[]{UPLOT + "uPlot.min.css", "text/css; charset=utf-8"});

    private final HttpServer server;
    private final MetricsSettings settings;
    private final Exposition exposition;
    private final History history;
    private final long pollMillis;
    private final JsonFactory json = new JsonFactory();

    private DashboardServer(HttpServer server, MetricsSettings settings, Exposition exposition, History history,
                            long periodMillis) {
        this.server = server;
        this.settings = settings;
        this.exposition = exposition;
        this.history = history;
        // However often the sampler runs, an open page asks at most every two seconds.
        this.pollMillis = Math.max(2000, periodMillis);
    }

    /**
     * Binds {@code settings}' address and starts answering.
     *
     * @param periodMillis how often the history gets a frame, for the page's polling
     * @throws MetricsException in one line when the address cannot be bound (naming the holder of a taken port)
     */
    static DashboardServer start(MetricsSettings settings, Exposition exposition, History history, long periodMillis)
            throws MetricsException {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 16);
        } catch (BindException e) {
            String where = settings.host() + ":" + settings.port();
            String said = String.valueOf(e.getMessage());
            throw new MetricsException(said.toLowerCase(Locale.ROOT).contains("in use")
                    ? PortOwner.bindFailure(settings.host(), settings.port(),
                            new BindException("cannot listen on " + where + ": the address is in use"))
                    : "cannot listen on " + where + ": " + said);
        } catch (IOException e) {
            throw new MetricsException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage());
        }
        DashboardServer d = new DashboardServer(server, settings, exposition, history, periodMillis);
        server.createContext("/", d::answer);
        server.start();
        return d;
    }

    private void answer(HttpExchange x) {
        try {
            String method = x.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                x.getResponseHeaders().set("Allow", "GET, HEAD");
                send(x, 405, "text/plain; charset=utf-8", "GET or HEAD only\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            Map<String, String> query = query(x.getRequestURI().getRawQuery());
            String host = x.getRequestHeaders().getFirst("Host");
            if (settings.token() == null && host != null && !LOOPBACK_HOST.matcher(host).matches()) {
                send(x, 403, "text/plain; charset=utf-8", ("the Host header must name a loopback address (127.0.0.1,"
                        + " localhost, [::1]); elsewhere, open the port with a token\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (!authorised(x, query)) {
                x.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"herd\"");
                send(x, 401, "text/plain; charset=utf-8",
                        "a token is needed: Authorization: Bearer <token>, or ?token=<token> (herd metrics shows it)\n"
                                .getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (settings.token() != null && settings.token().equals(query.get("token"))) {
                x.getResponseHeaders().add("Set-Cookie", COOKIE + "=" + settings.token() + "; Path=/; HttpOnly; SameSite=Strict");
            }
            String path = x.getRequestURI().getPath();
            x.getResponseHeaders().set("Cache-Control", "no-store");
            if (path.equals("/metrics")) {
                String type = Exposition.contentType(x.getRequestHeaders().getFirst("Accept"));
                ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
                exposition.scrape(body, type);
                send(x, 200, type, body.toByteArray());
            } else if (path.equals("/api/samples")) {
                send(x, 200, "application/json", samples(parseLong(query.get("after"))));
            } else if (FILES.containsKey(path)) {
                String[] file = FILES.get(path);
                send(x, 200, file[1], resource(file[0]));
            } else {
                send(x, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            log.debug("metrics request failed: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("metrics request failed", e);
        } finally {
            x.close();
        }
    }

    private boolean authorised(HttpExchange x, Map<String, String> query) {
        String token = settings.token();
        if (token == null) {
            return true;
        }
        String bearer = x.getRequestHeaders().getFirst("Authorization");
        if (bearer != null && bearer.startsWith("Bearer ") && same(bearer.substring(7).strip(), token)) {
            return true;
        }
        if (query.containsKey("token") && same(query.get("token"), token)) {
            return true;
        }
        List<String> cookies = x.getRequestHeaders().get("Cookie");
        if (cookies != null) {
            for (String header : cookies) {
                for (String c : header.split(";")) {
                    String kv = c.strip();
                    if (kv.startsWith(COOKIE + "=") && same(kv.substring(COOKIE.length() + 1), token)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean same(String given, String token) {
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> query(String raw) {
        if (raw == null || raw.isEmpty()) {
            return Map.of();
        }
        Map<String, String> out = new HashMap<>();
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            out.putIfAbsent(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static long parseLong(String text) {
        try {
            return text == null ? 0 : Long.parseLong(text);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private byte[] resource(String name) throws IOException {
        try (InputStream in = DashboardServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return in.readAllBytes();
        }
    }

    /** The page's poll: the instance table now, and the frames after {@code after}, as JSON. */
    private byte[] samples(long after) throws IOException {
        History.Since since = history.since(after);
        ByteArrayOutputStream buf = new ByteArrayOutputStream(4096);
        try (JsonGenerator g = json.createGenerator(buf, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeNumberField("pollMillis", pollMillis);
            g.writeArrayFieldStart("instances");
            for (Figures.Instance i : since.latest()) {
                g.writeStartObject();
                g.writeNumberField("id", i.id());
                g.writeStringField("app", i.app());
                g.writeNumberField("index", i.index());
                g.writeStringField("state", i.state().label());
                g.writeNumberField("pid", i.pid());
                g.writeNumberField("restarts", i.restarts());
                g.writeNumberField("cpuPercent", i.usage().cpuPercent());
                g.writeNumberField("memoryBytes", i.usage().memoryBytes());
                if (i.traffic() != null) {
                    g.writeNumberField("requests", i.traffic().requests());
                    g.writeNumberField("inFlight", i.traffic().inFlight());
                    g.writeNumberField("errors", i.traffic().errorCount());
                    g.writeNumberField("requestsPerSecond", i.traffic().requestsPerSecond());
                    g.writeNumberField("p99Millis", i.traffic().p99Millis());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("frames");
            for (History.Frame f : since.frames()) {
                g.writeStartObject();
                g.writeNumberField("t", f.epochMillis());
                g.writeArrayFieldStart("points");
                for (History.Point p : f.points()) {
                    g.writeStartArray();
                    g.writeNumber(p.id());
                    g.writeString(p.app());
                    g.writeNumber(p.index());
                    g.writeNumber(p.cpuPercent());
                    g.writeNumber(p.memoryBytes());
                    number(g, p.requestsPerSecond());
                    number(g, p.p99Millis());
                    g.writeEndArray();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return buf.toByteArray();
    }

    private static void number(JsonGenerator g, double v) throws IOException {
        if (Double.isNaN(v)) {
            g.writeNull();
        } else {
            g.writeNumber(v);
        }
    }

    /** The address it listens on. */
    InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops listening at once. */
    @Override
    public void close() {
        server.stop(0);
    }
}
