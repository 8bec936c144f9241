package dev.herd.metrics;

/**
 * Where the metrics are, as {@code herd metrics} shows it.
 *
 * @param on             whether the port is open
 * @param metricsUrl     where Prometheus scrapes, null when off
 * @param dashboardUrl   the page, with the token when there is one; null when off
 * @param token          what requests must carry, null for none
 * @param tokenGenerated whether herd made the token just now (a non-loopback host given without {@code --token})
 * @param settingsFile   the daemon settings file, which the next daemon reads
 * @param problem        why metrics that the file turns on are not open (a mistake in it, a taken port), or null
 */
public record MetricsStatus(boolean on, String metricsUrl, String dashboardUrl, String token, boolean tokenGenerated,
                            String settingsFile, String problem) {
}
