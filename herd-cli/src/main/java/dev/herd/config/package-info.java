/**
 * Turns an ecosystem file (YAML, JSON or a PM2 {@code ecosystem.config.js}) or a
 * {@code herd start <script>} command line into validated {@link dev.herd.supervisor.AppSpec}s.
 *
 * <p>PM2's field names and meanings. Every mistake is one {@link dev.herd.config.ConfigException}
 * whose message names the file, line, column and field path; fields PM2 knows and herd does not
 * implement yet only produce warnings, so a PM2 user's file loads.
 */
package dev.herd.config;
