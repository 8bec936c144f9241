/**
 * The daemon's metrics: Prometheus text on a loopback port and, on the same port, a live web
 * dashboard, off until {@code herd metrics --port} or the daemon settings file turns them on.
 *
 * <p>{@link dev.herd.metrics.Metrics} is the one entry point the daemon composes: it reads and
 * writes the {@link dev.herd.metrics.SettingsFile}, starts and stops the
 * {@link dev.herd.metrics.DashboardServer}, and keeps the {@link dev.herd.metrics.History} of
 * recent samples the page opens with. The figures come from the daemon through
 * {@link dev.herd.metrics.Figures}; {@link dev.herd.metrics.Exposition} turns them into Prometheus
 * families with Micrometer's registry. Micrometer and the JDK's HTTP server are loaded only once
 * metrics are on: a daemon without them loads no class of either.
 */
package dev.herd.metrics;
