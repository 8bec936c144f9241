/**
 * What restarts an app besides its exits: PM2's {@code watch} (a change to its files, debounced)
 * and {@code cron_restart} (a cron schedule). The decisions ({@link dev.herd.watch.WatchRules},
 * the debounce, {@link dev.herd.watch.CronSchedule}) are pure; {@link dev.herd.watch.Triggers}
 * drives them on an injected loop and clocks, and {@link dev.herd.watch.DirectoryChanges} is the
 * file watching.
 */
package dev.herd.watch;
