package dev.herd.metrics;

import java.security.SecureRandom;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's metrics port: opened at start when the settings file turns it on, changed by
 * {@code herd metrics}, fed a history frame by the sampler, closed with the daemon. Until it is
 * on, it holds no thread, no history, and has loaded none of the server's or Micrometer's classes.
 *
 * <p>Thread-safe: changes are serialised; the sampler's {@link #sampled} reads a volatile.
 */
public final class Metrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Metrics.class);
    /** How far back the page's charts reach when it opens. */
    private static final long HISTORY_MILLIS = 300_000;

    /**
     * What {@code herd metrics} asks for.
     *
     * @param port  {@code --port}, or null
     * @param host  {@code --host}, or null
     * @param token {@code --token}, or null
     * @param off   {@code --off}
     */
    public record Change(Integer port, String host, String token, boolean off) {

        /** Whether it asks for nothing but the status. */
        public boolean isQuery() {
            return port == null && host == null && token == null && !off;
        }
    }

    /** The open port and what it serves. */
    private record Open(MetricsSettings settings, DashboardServer server, History history) {
    }

    private final SettingsFile file;
    private final Figures figures;
    private final long periodMillis;
    private final LongSupplier clock;
    private final SecureRandom random = new SecureRandom();
    private volatile Open open;
    private String problem;

    /**
     * @param file         the daemon settings file
     * @param figures      what is measured
     * @param periodMillis how often {@link #sampled} is called
     * @param clock        epoch milliseconds, for the history's frames
     */
    public Metrics(SettingsFile file, Figures figures, long periodMillis, LongSupplier clock) {
        this.file = file;
        this.figures = figures;
        this.periodMillis = periodMillis;
        this.clock = clock;
    }

    /**
     * Opens the port the settings file names, if any, generating and storing a token a
     * non-loopback host needs. A mistake or a taken port is logged, kept for {@link #status}, and
     * leaves metrics off: the daemon runs on without them.
     */
    public synchronized void openFromFile() {
        try {
            SettingsFile.Stored stored = file.read();
            if (stored.settings().isEmpty()) {
                return;
            }
            MetricsSettings s = stored.settings().get();
            MetricsSettings withToken = s.withTokenIfNeeded(random);
            if (withToken != s) {
                file.update(Map.of(SettingsFile.TOKEN, withToken.token()));
                log.info("metrics on {} need a token: generated one and stored it in {}", s.host(), file.path());
            }
            open = start(withToken);
            log.info("metrics on {}, dashboard on {}", withToken.metricsUrl(), withToken.dashboardUrl());
        } catch (MetricsException e) {
            problem = e.getMessage();
            log.error("metrics stay off: {}", problem);
        }
    }

    /**
     * Applies {@code herd metrics}: turns the port on, moves it, or turns it off, and writes the
     * settings file so the next daemon does the same. The file is read first: with a mistake in
     * it, nothing changes and nothing is written.
     *
     * @throws MetricsException in one line: a mistake in the file or the options, or a port that cannot be bound
     */
    public synchronized MetricsStatus change(Change c) throws MetricsException {
        if (c.isQuery()) {
            return status(false);
        }
        SettingsFile.Stored stored = file.read();
        MetricsSettings next = decide(stored, c, random);
        Open current = open;
        if (next == null) {
            if (current != null) {
                current.server().close();
                open = null;
            }
            file.update(Collections.singletonMap(SettingsFile.PORT, null));
            problem = null;
            return status(false);
        }
        boolean generated = next.token() != null && c.token() == null && !next.token().equals(stored.token());
        if (current == null || !current.settings().equals(next)) {
            boolean sameAddress = current != null && current.settings().port() == next.port()
                    && current.settings().host().equals(next.host());
            if (sameAddress) {
                current.server().close();
                open = null;
            }
            try {
                open = start(next);
            } catch (MetricsException e) {
                if (sameAddress) {
                    open = start(current.settings());
                }
                throw e;
            }
            if (current != null && !sameAddress) {
                current.server().close();
            }
        }
        file.save(next);
        problem = null;
        return status(generated);
    }

    /**
     * The settings {@code c} leads to from what the file holds, or null for off.
     *
     * @throws MetricsException when the options contradict each other or the token is too short
     */
    static MetricsSettings decide(SettingsFile.Stored stored, Change c, SecureRandom random) throws MetricsException {
        if (c.off()) {
            if (c.port() != null || c.host() != null || c.token() != null) {
                throw new MetricsException("--off takes no other option");
            }
            return null;
        }
        if (c.port() != null && (c.port() < 1 || c.port() > 65535)) {
            throw new MetricsException("--port: " + c.port() + " is not a port number (1-65535)");
        }
        if (c.host() != null && c.host().isBlank()) {
            throw new MetricsException("--host: empty");
        }
        if (c.token() != null && (c.token().length() < MetricsSettings.MIN_TOKEN_LENGTH
                || c.token().chars().anyMatch(Character::isWhitespace))) {
            throw new MetricsException("--token: must be at least " + MetricsSettings.MIN_TOKEN_LENGTH
                    + " characters with no spaces (leave it out and herd generates one)");
        }
        Integer port = c.port() != null ? c.port() : stored.port();
        if (port == null) {
            throw new MetricsException("metrics are off: give --port to turn them on");
        }
        String host;
        String token;
        if (c.host() != null) {
            host = c.host();
            MetricsSettings probe = new MetricsSettings(host, port, null);
            token = c.token() != null ? c.token() : probe.needsToken() ? stored.token() : null;
        } else if (c.port() != null) {
            // --port alone means loopback, as its help says: running the README's line again must
            // not leave the port open to the network where an earlier --host put it.
            host = MetricsSettings.DEFAULT_HOST;
            token = c.token();
        } else {
            host = Objects.requireNonNullElse(stored.host(), MetricsSettings.DEFAULT_HOST);
            token = c.token() != null ? c.token() : stored.token();
        }
        return new MetricsSettings(host, port, token).withTokenIfNeeded(random);
    }

    private Open start(MetricsSettings s) throws MetricsException {
        History history = new History((int) Math.max(1, HISTORY_MILLIS / periodMillis));
        DashboardServer server = DashboardServer.start(s, new Exposition(figures), history, periodMillis);
        history.record(clock.getAsLong(), figures.instances());
        return new Open(s, server, history);
    }

    /** Where the port is, or why it is not open. */
    public synchronized MetricsStatus status() {
        return status(false);
    }

    private MetricsStatus status(boolean generated) {
        Open o = open;
        if (o == null) {
            return new MetricsStatus(false, null, null, null, false, file.path().toString(), problem);
        }
        MetricsSettings s = o.settings();
        return new MetricsStatus(true, s.metricsUrl(), s.dashboardUrl(), s.token(), generated, file.path().toString(), null);
    }

    /** The sampler took a sample: a frame for the page's history, when the port is open. */
    public void sampled() {
        Open o = open;
        if (o != null) {
            o.history().record(clock.getAsLong(), figures.instances());
        }
    }

    /** Closes the port. */
    @Override
    public synchronized void close() {
        Open o = open;
        open = null;
        if (o != null) {
            o.server().close();
        }
    }
}
