package dev.herd.watch;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.RestartTriggers;
import dev.herd.supervisor.Scheduler;
import dev.herd.supervisor.Ticker;
import dev.herd.supervisor.WatchSpec;

/**
 * The restart triggers of one daemon's apps: for each running app whose definition asks for
 * them, one watcher of its files (one per app, not per instance, as PM2 has) with its
 * {@link ChangeDebounce}, and its {@link CronSchedule}'s next time. Each fires through the
 * {@link Restarter}, which restarts a fork-mode app and reloads a cluster app, rolling.
 *
 * <p>{@link #activate} when an app starts (or its definition changes), {@link #deactivate} when
 * it is stopped or deleted: a stopped app is neither watched nor restarted on schedule (PM2
 * restarts a stopped app on both).
 *
 * <p>Thread-safe: the decisions run on one loop and under this object's lock; the clocks, the
 * loop, the file watching and the restarts are injected, so a test drives it all by hand.
 */
public final class Triggers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Triggers.class);

    /** Restarts an app for a trigger. */
    public interface Restarter {
        /**
         * Restarts a fork-mode app's instances or reloads a cluster app, rolling; never blocks.
         *
         * @return completes with true once done (well or not: the outcome is logged), false when
         *         it could not begin (a reload of the app is under way), to be tried again
         */
        CompletableFuture<Boolean> restart(String app, String why);
    }

    /** Watches an app's folders. */
    public interface ChangeSource {
        /**
         * Starts watching the folders of {@code rules}; returns once watching, so that a change
         * right after is seen.
         *
         * @param onChange told of each change that {@code rules} does not ignore, from any thread
         * @return stops the watching
         * @throws IOException when the folders cannot be watched
         */
        AutoCloseable watch(String app, WatchRules rules, Consumer<Path> onChange) throws IOException;
    }

    /**
     * What {@code describe} shows of an app's triggers.
     *
     * @param watching the folders watched now, empty when none
     * @param ignored  what is ignored in them
     * @param delay    the quiet time after the last change, or null when not watched
     * @param cron     the cron expression, or null
     * @param nextCron when it fires next, or null
     */
    public record Status(List<String> watching, List<String> ignored, Duration delay, String cron, Instant nextCron) {
    }

    private final Scheduler loop;
    private final Ticker ticker;
    private final Clock clock;
    private final ChangeSource source;
    private final Restarter restarter;
    private final Path herdHome;
    private final WatchRules.Lookup lookup;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /**
     * @param loop      where the decisions and timers run
     * @param ticker    the monotonic clock of the debounce, the loop's
     * @param clock     the wall clock and zone the cron schedules read
     * @param source    watches folders
     * @param restarter acts on a trigger
     * @param herdHome  herd's folder, never watched unless asked
     * @param lookup    the file system, for the watch rules
     */
    public Triggers(Scheduler loop, Ticker ticker, Clock clock, ChangeSource source, Restarter restarter,
                    Path herdHome, WatchRules.Lookup lookup) {
        this.loop = loop;
        this.ticker = ticker;
        this.clock = clock;
        this.source = source;
        this.restarter = restarter;
        this.herdHome = herdHome;
        this.lookup = lookup;
    }

    /** One running app's triggers. */
    private final class Entry {
        final String app;
        final AppSpec spec;
        WatchRules rules;
        AutoCloseable watcher;
        ChangeDebounce debounce;
        Scheduler.Timer watchTimer;
        CronSchedule cron;
        Scheduler.Timer cronTimer;
        volatile Instant nextCron;
        boolean closed;

        Entry(AppSpec spec) {
            this.app = spec.name();
            this.spec = spec;
        }
    }

    /**
     * Starts an app's triggers, or changes them to its new definition; nothing when they are the
     * same, or it has none. Returns once its folders are watched.
     */
    public synchronized void activate(AppSpec spec) {
        Entry old = entries.get(spec.name());
        if (old != null && sameTriggers(old.spec, spec)) {
            return;
        }
        deactivate(spec.name());
        RestartTriggers t = spec.triggers();
        WatchSpec watch = t.watch() != null && t.watch().active() ? t.watch() : null;
        if (watch == null && t.cron() == null) {
            return;
        }
        Entry e = new Entry(spec);
        if (watch != null) {
            startWatching(e, watch);
        }
        if (t.cron() != null) {
            try {
                e.cron = CronSchedule.parse(t.cron());
                scheduleCron(e, clock.instant());
            } catch (IllegalArgumentException ex) {
                // Checked when the file was read; only a saved list edited by hand gets here.
                e.cron = null;
                log.error("{}: cron_restart '{}' {}: no restart on a schedule", e.app, t.cron(), ex.getMessage());
            }
        }
        entries.put(e.app, e);
    }

    /** Stops an app's triggers (it was stopped or deleted); nothing when it has none. */
    public synchronized void deactivate(String app) {
        Entry e = entries.remove(app);
        if (e == null) {
            return;
        }
        e.closed = true;
        if (e.watchTimer != null) {
            e.watchTimer.cancel();
        }
        if (e.cronTimer != null) {
            e.cronTimer.cancel();
        }
        if (e.watcher != null) {
            try {
                e.watcher.close();
            } catch (Exception ex) {
                log.warn("{}: cannot stop watching: {}", app, ex.getMessage());
            }
            log.info("{}: not watched any more", app);
        }
    }

    /** What {@code describe} shows of an app's triggers, if they run. */
    public Optional<Status> status(String app) {
        Entry e = entries.get(app);
        if (e == null) {
            return Optional.empty();
        }
        boolean watched = e.watcher != null;
        return Optional.of(new Status(watched ? e.rules.folders().stream().map(Path::toString).toList() : List.of(),
                watched ? e.rules.describeIgnored() : List.of(), watched ? e.spec.triggers().watch().delay() : null,
                e.cron == null ? null : e.cron.expression(), e.nextCron));
    }

    /** The apps whose triggers run. */
    public java.util.Set<String> activeApps() {
        return java.util.Set.copyOf(entries.keySet());
    }

    /** Stops every app's triggers. */
    @Override
    public synchronized void close() {
        List.copyOf(entries.keySet()).forEach(this::deactivate);
    }

    private static boolean sameTriggers(AppSpec a, AppSpec b) {
        return a.triggers().equals(b.triggers()) && a.cwd().equals(b.cwd()) && ownFiles(a).equals(ownFiles(b));
    }

    /** What herd writes for the app, which must never restart it: a pid file in a watched folder would loop. */
    private static List<Path> ownFiles(AppSpec spec) {
        List<Path> files = new ArrayList<>(List.of(spec.logs().outFile(), spec.logs().errorFile()));
        if (spec.logs().logFile() != null) {
            files.add(spec.logs().logFile());
        }
        if (spec.pidFile() != null) {
            files.add(spec.pidFile());
        }
        return files;
    }

    private void startWatching(Entry e, WatchSpec watch) {
        Duration quiet = watch.delay().compareTo(WatchSpec.MIN_DELAY) < 0 ? WatchSpec.MIN_DELAY : watch.delay();
        e.debounce = new ChangeDebounce(quiet, ChangeDebounce.maxWaitFor(quiet));
        try {
            e.rules = new WatchRules(watch, e.spec.cwd(), ownFiles(e.spec), herdHome, lookup);
            e.watcher = source.watch(e.app, e.rules, path -> loop.execute(() -> changed(e, path)));
            log.info("{}: watching {} (restart {} ms after the changes stop; ignoring {})", e.app, e.rules.folders(),
                    quiet.toMillis(), String.join(", ", e.rules.describeIgnored()));
        } catch (IOException | RuntimeException ex) {
            e.rules = null;
            e.watcher = null;
            log.error("{}: cannot watch {}: {}", e.app, watch.paths(), ex.getMessage());
        }
    }

    private synchronized void changed(Entry e, Path path) {
        if (e.closed) {
            return;
        }
        Path rel = e.spec.cwd().relativize(path);
        String shown = rel.startsWith("..") ? path.toString() : rel.toString();
        log.debug("{}: changed: {}", e.app, shown);
        follow(e, e.debounce.changed(ticker.nanos(), shown));
    }

    private synchronized void due(Entry e) {
        if (!e.closed) {
            e.watchTimer = null;
            follow(e, e.debounce.due(ticker.nanos()));
        }
    }

    private void follow(Entry e, ChangeDebounce.Decision d) {
        if (d instanceof ChangeDebounce.Decision.WaitUntil w) {
            if (e.watchTimer != null) {
                e.watchTimer.cancel();
            }
            e.watchTimer = loop.schedule(() -> due(e), Duration.ofNanos(Math.max(0, w.nanos() - ticker.nanos())));
        } else if (d instanceof ChangeDebounce.Decision.Restart r) {
            log.info("{}: {}: restarting", e.app, r.why());
            restarter.restart(e.app, r.why()).whenComplete((done, failure) -> loop.execute(() -> restarted(e,
                    failure == null && done)));
        }
    }

    private synchronized void restarted(Entry e, boolean done) {
        if (!e.closed) {
            if (!done) {
                log.info("{}: a reload runs; restarting for the changes after it", e.app);
            }
            follow(e, e.debounce.restarted(ticker.nanos(), done));
        }
    }

    /** Sets the timer for the first time of the schedule after {@code after}. */
    private void scheduleCron(Entry e, Instant after) {
        Optional<ZonedDateTime> next = e.cron.next(after.atZone(clock.getZone()));
        if (next.isEmpty()) {
            e.nextCron = null;
            log.warn("{}: cron_restart '{}' has no time after {}", e.app, e.cron, after);
            return;
        }
        Instant at = next.get().toInstant();
        e.nextCron = at;
        e.cronTimer = loop.schedule(() -> cronDue(e, at), Duration.between(clock.instant(), at));
    }

    /** The timer runs on the monotonic clock: if the wall clock was set back meanwhile, it waits on. */
    private synchronized void cronDue(Entry e, Instant at) {
        if (e.closed) {
            return;
        }
        Instant now = clock.instant();
        if (now.isBefore(at)) {
            e.cronTimer = loop.schedule(() -> cronDue(e, at), Duration.between(now, at));
            return;
        }
        String why = "cron_restart '" + e.cron + "'";
        log.info("{}: {}: restarting", e.app, why);
        restarter.restart(e.app, why).whenComplete((done, failure) -> {
            if (failure == null && !done) {
                log.info("{}: a reload runs already, which replaces the instances: the {} restart is left out",
                        e.app, why);
            }
        });
        scheduleCron(e, now.isAfter(at) ? now : at);
    }
}
