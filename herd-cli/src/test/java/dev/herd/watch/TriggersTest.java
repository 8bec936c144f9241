package dev.herd.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.ManualScheduler;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.RestartTriggers;
import dev.herd.supervisor.StopPolicy;
import dev.herd.supervisor.WatchSpec;

/** The triggers' wiring: watchers per app, the debounce's timers, cron times, on a clock moved by hand. */
class TriggersTest {

    private static final Path CWD = Path.of("/srv/app");
    private static final Instant START = Instant.parse("2026-03-01T10:07:30Z");

    private final ManualScheduler loop = new ManualScheduler();
    private final long origin = loop.nanos();
    /** Wall time moves with the loop's ticker. */
    private final Clock clock = new Clock() {
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        public Instant instant() {
            return START.plusNanos(loop.nanos() - origin);
        }
    };

    /** One watch that a test drives: the app, its rules, where changes go, whether it was closed. */
    private static final class Watch {
        final String app;
        final WatchRules rules;
        final Consumer<Path> onChange;
        boolean closed;

        Watch(String app, WatchRules rules, Consumer<Path> onChange) {
            this.app = app;
            this.rules = rules;
            this.onChange = onChange;
        }

        void change(String relative) {
            Path p = CWD.resolve(relative);
            if (!rules.ignored(p, false)) {
                onChange.accept(p);
            }
        }
    }

    private final List<Watch> watches = new ArrayList<>();
    private final List<String> restarts = new ArrayList<>();
    private final List<CompletableFuture<Boolean>> pending = new ArrayList<>();
    private final Triggers triggers = new Triggers(loop, loop, clock, (app, rules, onChange) -> {
        Watch w = new Watch(app, rules, onChange);
        watches.add(w);
        return () -> w.closed = true;
    }, (app, why) -> {
        restarts.add(app + ": " + why);
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        pending.add(f);
        return f;
    }, Path.of("/home/me/.herd"), new WatchRules.Lookup() {
        public boolean isDirectory(Path path) {
            return path.equals(CWD) || path.getNameCount() < 2;
        }

        public boolean exists(Path path) {
            return isDirectory(path);
        }
    });

    private static AppSpec app(String name, RestartTriggers triggers) {
        LogPolicy logs = new LogPolicy(CWD.resolve(name + "-out.log"), CWD.resolve(name + "-error.log"), false, null,
                0, 0);
        return new AppSpec(name, CWD.resolve("app.js"), null, List.of(), List.of(), CWD, Map.of(), 2,
                RestartPolicy.DEFAULT, StopPolicy.DEFAULT, logs, null, null, null, null, null, null, triggers, null, true,
                null, null);
    }

    private static RestartTriggers watched(Duration delay) {
        return new RestartTriggers(new WatchSpec(true, List.of(CWD.toString()), List.of(), delay, true, -1), null);
    }

    @Test
    void oneWatcherPerAppWhateverItsInstancesAndABurstRestartsItOnce() {
        triggers.activate(app("api", watched(Duration.ofMillis(500))));
        assertThat(watches).hasSize(1);
        Watch w = watches.get(0);

        for (int i = 0; i < 200; i++) {
            w.change("src/f" + i + ".js");
            loop.advance(Duration.ofMillis(5));
        }
        // The last change was 5 ms ago: the restart comes 500 ms after it.
        loop.advance(Duration.ofMillis(494));
        assertThat(restarts).isEmpty();
        loop.advance(Duration.ofMillis(1));
        assertThat(restarts).containsExactly("api: 200 watched files changed (src/f0.js first)");

        pending.get(0).complete(true);
        loop.advance(Duration.ofSeconds(5));
        assertThat(restarts).hasSize(1);
    }

    @Test
    void theAppsOwnLogsAndNodeModulesDoNotRestartIt() {
        triggers.activate(app("api", watched(Duration.ofMillis(500))));
        Watch w = watches.get(0);

        w.change("api-out.log");
        w.change("api-error-1.log");
        w.change("node_modules/x/index.js");
        loop.advance(Duration.ofSeconds(5));

        assertThat(restarts).isEmpty();
    }

    @Test
    void aChangeDuringTheRestartBringsOneMoreAfterIt() {
        triggers.activate(app("api", watched(Duration.ofMillis(500))));
        Watch w = watches.get(0);
        w.change("a.js");
        loop.advance(Duration.ofMillis(500));
        w.change("b.js");
        loop.advance(Duration.ofSeconds(3));
        assertThat(restarts).hasSize(1);

        pending.get(0).complete(true);
        loop.advance(Duration.ofMillis(500));
        assertThat(restarts).containsExactly("api: a watched file changed: a.js", "api: a watched file changed: b.js");
    }

    @Test
    void aRestartRefusedWhileAReloadRunsIsTriedAgain() {
        triggers.activate(app("api", watched(Duration.ofMillis(500))));
        watches.get(0).change("a.js");
        loop.advance(Duration.ofMillis(500));
        pending.get(0).complete(false);
        loop.advance(Duration.ofMillis(500));

        assertThat(restarts).containsExactly("api: a watched file changed: a.js", "api: a watched file changed: a.js");
    }

    @Test
    void aDelayBelowTheMinimumStillDebounces() {
        triggers.activate(app("api", watched(Duration.ZERO)));
        Watch w = watches.get(0);
        w.change("a.js");
        loop.advance(Duration.ofMillis(50));
        w.change("b.js");
        loop.advance(Duration.ofMillis(99));
        assertThat(restarts).isEmpty();
        loop.advance(Duration.ofMillis(1));
        assertThat(restarts).hasSize(1);
    }

    @Test
    void deactivateStopsTheWatcherAndItsTimers() {
        triggers.activate(app("api", new RestartTriggers(watched(Duration.ofMillis(500)).watch(), "* * * * *")));
        watches.get(0).change("a.js");
        triggers.deactivate("api");

        loop.advance(Duration.ofMinutes(5));

        assertThat(watches.get(0).closed).isTrue();
        assertThat(restarts).isEmpty();
        assertThat(triggers.status("api")).isEmpty();
        assertThat(loop.pendingTimers()).isZero();
    }

    @Test
    void theSameDefinitionAgainKeepsTheWatcherAndAChangedOneReplacesIt() {
        AppSpec spec = app("api", watched(Duration.ofMillis(500)));
        triggers.activate(spec);
        triggers.activate(spec);
        assertThat(watches).hasSize(1);

        triggers.activate(app("api", watched(Duration.ofSeconds(2))));
        assertThat(watches).hasSize(2);
        assertThat(watches.get(0).closed).isTrue();
        assertThat(watches.get(1).closed).isFalse();
    }

    @Test
    void aWatchTurnedOffIsNotWatched() {
        RestartTriggers off = new RestartTriggers(watched(Duration.ofMillis(500)).watch().withActive(false), null);
        triggers.activate(app("api", off));
        assertThat(watches).isEmpty();
        assertThat(triggers.status("api")).isEmpty();
    }

    @Test
    void cronFiresAtEachTimeOfTheScheduleAndDescribeShowsTheNext() {
        triggers.activate(app("api", new RestartTriggers(null, "*/10 * * * *")));
        assertThat(triggers.status("api").orElseThrow().nextCron()).isEqualTo(Instant.parse("2026-03-01T10:10:00Z"));

        loop.advance(Duration.ofSeconds(149));
        assertThat(restarts).isEmpty();
        loop.advance(Duration.ofSeconds(1));
        assertThat(restarts).containsExactly("api: cron_restart '*/10 * * * *'");
        assertThat(triggers.status("api").orElseThrow().nextCron()).isEqualTo(Instant.parse("2026-03-01T10:20:00Z"));

        loop.advance(Duration.ofMinutes(30));
        assertThat(restarts).hasSize(4);
    }

    @Test
    void cronWithSecondsFiresEverySoManySeconds() {
        triggers.activate(app("api", new RestartTriggers(null, "*/2 * * * * *")));
        loop.advance(Duration.ofSeconds(10));
        assertThat(restarts).hasSize(5);
    }

    @Test
    void aCronTimerThatFiresBeforeItsWallTimeWaitsOn() {
        triggers.activate(app("api", new RestartTriggers(null, "*/10 * * * *")));
        Instant due = triggers.status("api").orElseThrow().nextCron();
        // The wall clock set back by a minute as the timer runs: it must not fire a minute early.
        Clock behind = Clock.offset(clock, Duration.ofMinutes(-1));
        Triggers late = new Triggers(loop, loop, behind, (a, r, c) -> () -> { }, (a, why) -> {
            restarts.add("late: " + why);
            return CompletableFuture.completedFuture(true);
        }, Path.of("/h"), WatchRules.Lookup.REAL);
        late.activate(app("late", new RestartTriggers(null, "*/10 * * * *")));
        assertThat(late.status("late").orElseThrow().nextCron()).isEqualTo(due);
        triggers.deactivate("api");

        loop.advance(Duration.ofSeconds(150));
        assertThat(restarts).isEmpty();
        loop.advance(Duration.ofSeconds(60));
        assertThat(restarts).containsExactly("late: cron_restart '*/10 * * * *'");
        late.close();
    }

    @Test
    void statusSaysWhatIsWatchedAndIgnored() {
        triggers.activate(app("api", watched(Duration.ofSeconds(1))));
        Triggers.Status s = triggers.status("api").orElseThrow();
        assertThat(s.watching()).containsExactly(CWD.toString());
        assertThat(s.ignored()).contains("node_modules", "api-out.log");
        assertThat(s.delay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.cron()).isNull();
    }
}
