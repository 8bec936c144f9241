package dev.herd.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.herd.supervisor.WatchSpec;

/** Which changes restart a watched app, on a file system described by hand. */
class WatchRulesTest {

    private static final Path CWD = Path.of("/srv/app");
    private static final Path HOME = Path.of("/home/me/.herd");
    private static final List<Path> LOGS = List.of(Path.of("/home/me/.herd/logs/app-out.log"),
            Path.of("/home/me/.herd/logs/app-error.log"));

    /** Folders that exist; anything else is a file or missing. */
    private static final Set<Path> DIRS = Set.of(Path.of("/"), Path.of("/srv"), CWD, CWD.resolve("src"),
            CWD.resolve("logs"), CWD.resolve("node_modules"), CWD.resolve("node_modules/mylib"), Path.of("/srv/shared"),
            HOME, HOME.resolve("logs"));

    private static final WatchRules.Lookup FS = new WatchRules.Lookup() {
        public boolean isDirectory(Path path) {
            return DIRS.contains(path);
        }

        public boolean exists(Path path) {
            return DIRS.contains(path);
        }
    };

    private static WatchRules rules(List<String> paths, List<String> ignore, List<Path> logs, int depth) {
        return new WatchRules(new WatchSpec(true, paths, ignore, Duration.ofMillis(500), true, depth), CWD, logs, HOME, FS);
    }

    private static WatchRules rules(List<String> ignore) {
        return rules(List.of(CWD.toString()), ignore, LOGS, -1);
    }

    private static boolean ignored(WatchRules r, String relative) {
        return r.ignored(CWD.resolve(relative), false);
    }

    @Test
    void aChangeAnywhereBelowTheCwdCounts() {
        WatchRules r = rules(List.of());
        assertThat(ignored(r, "app.js")).isFalse();
        assertThat(ignored(r, "src/deep/er/x.json")).isFalse();
        assertThat(r.folders()).containsExactly(CWD);
    }

    @Test
    void nodeModulesAndVcsFoldersNeverCountEvenWhenIgnoreWatchReplacesPm2sDefault() {
        for (WatchRules r : List.of(rules(List.of()), rules(List.of("tmp")))) {
            assertThat(ignored(r, "node_modules/express/index.js")).isTrue();
            assertThat(ignored(r, "packages/web/node_modules/x.js")).isTrue();
            assertThat(ignored(r, ".git/index")).isTrue();
            assertThat(r.prunes(CWD.resolve("node_modules"))).isTrue();
            assertThat(r.prunes(CWD.resolve("src"))).isFalse();
        }
    }

    @Test
    void dotNamesAreIgnoredAsPm2sDefaultOnlyWithoutIgnoreWatch() {
        assertThat(ignored(rules(List.of()), ".env")).isTrue();
        assertThat(ignored(rules(List.of()), "src/.cache/x")).isTrue();
        assertThat(ignored(rules(List.of("tmp")), ".env")).isFalse();
    }

    @Test
    void aWatchedPathInsideNodeModulesIsAskedForExplicitly() {
        WatchRules r = rules(List.of(CWD.resolve("node_modules/mylib").toString()), List.of(), LOGS, -1);
        assertThat(ignored(r, "node_modules/mylib/index.js")).isFalse();
        assertThat(ignored(r, "node_modules/mylib/node_modules/dep/x.js")).isTrue();
        assertThat(r.prunes(CWD.resolve("node_modules"))).isFalse();
    }

    @Test
    void theAppsLogFilesNeverCountWhereverTheyAre() {
        Path out = CWD.resolve("out.log");
        WatchRules r = rules(List.of(CWD.toString()), List.of(), List.of(out, CWD.resolve("logs/err.log")), -1);
        assertThat(ignored(r, "out.log")).isTrue();
        assertThat(ignored(r, "out-3.log")).isTrue();
        assertThat(ignored(r, "out.log.2")).isTrue();
        assertThat(ignored(r, "outside.log")).isFalse();
        // A log folder below the watched one is left alone whole; the cwd itself is not.
        assertThat(ignored(r, "logs/other.txt")).isTrue();
        assertThat(r.prunes(CWD.resolve("logs"))).isTrue();
        assertThat(r.prunes(CWD)).isFalse();
    }

    @Test
    void theLineIndexBesideALogAndThePidFileNeverCountEvenWhenDotFilesDo() {
        // ignore_watch set: names starting with a dot are watched, as in PM2.
        WatchRules r = rules(List.of(CWD.toString()), List.of("tmp"), List.of(CWD.resolve("out.log"),
                CWD.resolve("api.pid")), -1);
        assertThat(ignored(r, ".env")).isFalse();
        assertThat(ignored(r, ".out.log.times")).isTrue();
        assertThat(ignored(r, ".out-1.log.times")).isTrue();
        assertThat(ignored(r, "api-0.pid")).isTrue();
        assertThat(ignored(r, "api.pidx")).isFalse();
    }

    @Test
    void herdsOwnFolderIsNeverWatched() {
        WatchRules r = rules(List.of("/home/me"), List.of(), LOGS, -1);
        assertThat(r.ignored(HOME.resolve("dump.json"), false)).isTrue();
        assertThat(r.ignored(HOME.resolve("logs/app-out.log"), false)).isTrue();
        assertThat(r.ignored(Path.of("/home/me/notes.txt"), false)).isFalse();
        assertThat(r.prunes(HOME)).isTrue();
    }

    @Test
    void aNameOrGlobWithoutASlashMatchesAtAnyDepthAsInGitignore() {
        WatchRules r = rules(List.of("*.log", "tmp", "./build/"));
        assertThat(ignored(r, "debug.log")).isTrue();
        assertThat(ignored(r, "src/deep/debug.log")).isTrue();
        assertThat(ignored(r, "tmp/a")).isTrue();
        assertThat(ignored(r, "src/tmp/a")).isTrue();
        assertThat(ignored(r, "build/out.js")).isTrue();
        assertThat(ignored(r, "src/app.js")).isFalse();
    }

    @Test
    void aPatternWithASlashIsAPathFromTheCwd() {
        WatchRules r = rules(List.of("client/img", "dist/**/*.map", "/srv/app/cache", "../shared/tmp"));
        assertThat(ignored(r, "client/img/logo.png")).isTrue();
        assertThat(ignored(r, "other/client/img/logo.png")).isFalse();
        assertThat(ignored(r, "dist/a/b.js.map")).isTrue();
        assertThat(ignored(r, "dist/a/b.js")).isFalse();
        assertThat(ignored(r, "cache/x")).isTrue();
        WatchRules shared = rules(List.of("/srv/shared"), List.of("../shared/tmp"), LOGS, -1);
        assertThat(shared.ignored(Path.of("/srv/shared/tmp/x"), false)).isTrue();
        assertThat(shared.ignored(Path.of("/srv/shared/lib.js"), false)).isFalse();
    }

    @Test
    void aWatchedFileOrGlobWatchesItsFolderAndFiltersTheRest() {
        WatchRules r = rules(List.of(CWD.resolve("config.json").toString(), CWD.resolve("src/**/*.ts").toString()),
                List.of(), LOGS, -1);
        assertThat(r.folders()).containsExactly(CWD, CWD.resolve("src"));
        assertThat(ignored(r, "config.json")).isFalse();
        assertThat(ignored(r, "package.json")).isTrue();
        assertThat(ignored(r, "src/a/b.ts")).isFalse();
        assertThat(ignored(r, "src/a/b.js")).isTrue();
        // Folders are walked to reach what the glob may match.
        assertThat(r.prunes(CWD.resolve("src/a"))).isFalse();
    }

    @Test
    void aPathNotThereYetIsWatchedFromItsNearestFolder() {
        WatchRules r = rules(List.of(CWD.resolve("config/local").toString()), List.of(), LOGS, -1);
        assertThat(r.folders()).containsExactly(CWD);
        assertThat(ignored(r, "config/local/db.json")).isFalse();
        assertThat(ignored(r, "app.js")).isTrue();
    }

    @Test
    void aFolderInsideAnotherWatchedOneIsWatchedOnce() {
        WatchRules r = rules(List.of(CWD.toString(), CWD.resolve("src").toString()), List.of(), LOGS, -1);
        assertThat(r.folders()).containsExactly(CWD);
    }

    @Test
    void depthLimitsHowManyFolderLevelsCountAsChokidarsDepth() {
        WatchRules r = rules(List.of(CWD.toString()), List.of(), LOGS, 1);
        assertThat(ignored(r, "app.js")).isFalse();
        assertThat(ignored(r, "src/a.js")).isFalse();
        assertThat(ignored(r, "src/x/a.js")).isTrue();
        assertThat(r.prunes(CWD.resolve("src"))).isFalse();
        assertThat(r.prunes(CWD.resolve("src/x"))).isTrue();
    }

    @Test
    void describesWhatItIgnores() {
        WatchRules r = rules(List.of("tmp"));
        assertThat(r.describeIgnored()).containsExactly("node_modules", ".git", ".hg", ".svn", "tmp",
                HOME.toString(), "app-out.log", "app-error.log");
    }
}
