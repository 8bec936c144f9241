package dev.herd.watch;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.methvin.watcher.DirectoryChangeEvent;
import io.methvin.watcher.DirectoryChangeListener;
import io.methvin.watcher.DirectoryWatcher;
import io.methvin.watcher.visitor.FileTreeVisitor;

/**
 * Watches folders with directory-watcher, which on Linux registers every folder below them with
 * the JDK's inotify {@code WatchService} (one inotify instance per app) and each folder created
 * later. Ignored folders ({@code node_modules}, the log folder) are never walked nor registered, so
 * a large {@code node_modules} costs nothing; files are not hashed (a write is a change, as in
 * chokidar). A folder's own change of contents is not reported: the entries that changed are.
 *
 * <p>Each app's watcher runs on one daemon thread of its own, {@code herd-watch-<app>}.
 */
public final class DirectoryChanges implements Triggers.ChangeSource {

    private static final Logger log = LoggerFactory.getLogger(DirectoryChanges.class);

    @Override
    public AutoCloseable watch(String app, WatchRules rules, Consumer<Path> onChange) throws IOException {
        DirectoryWatcher watcher = DirectoryWatcher.builder()
                .paths(rules.folders())
                .fileHashing(false)
                .fileTreeVisitor(new Pruning(rules))
                .logger(LoggerFactory.getLogger(DirectoryWatcher.class))
                .listener(new DirectoryChangeListener() {
                    @Override
                    public void onEvent(DirectoryChangeEvent e) {
                        if (e.eventType() == DirectoryChangeEvent.EventType.OVERFLOW) {
                            // The kernel dropped events: something changed, but not said what.
                            onChange.accept(e.rootPath() != null ? e.rootPath() : rules.folders().get(0));
                        } else if (e.path() != null && !(e.isDirectory()
                                && e.eventType() == DirectoryChangeEvent.EventType.MODIFY)
                                && !rules.ignored(e.path(), e.isDirectory())) {
                            onChange.accept(e.path());
                        }
                    }

                    @Override
                    public void onException(Exception e) {
                        log.warn("{}: watching: {}", app, e.toString());
                    }
                })
                .build();
        var executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "herd-watch-" + app);
            t.setDaemon(true);
            return t;
        });
        // Registers every folder before it returns, so a change right after is seen.
        var running = watcher.watchAsync(executor);
        if (running.isCompletedExceptionally()) {
            executor.shutdown();
            try {
                running.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw new IOException(e.getCause().getMessage(), e.getCause());
            }
        }
        running.whenComplete((v, failure) -> {
            executor.shutdown();
            if (failure != null && !watcher.isClosed()) {
                log.error("{}: watching stopped: {}", app, failure.toString());
            }
        });
        return watcher::close;
    }

    /** Walks a folder as directory-watcher asks, skipping what the rules prune. */
    private static final class Pruning implements FileTreeVisitor {
        private final WatchRules rules;
        private final Set<FileVisitOption> options;

        Pruning(WatchRules rules) {
            this.rules = rules;
            this.options = rules.followSymlinks() ? EnumSet.of(FileVisitOption.FOLLOW_LINKS)
                    : EnumSet.noneOf(FileVisitOption.class);
        }

        @Override
        public void recursiveVisitFiles(Path start, Callback onDirectory, Callback onFile) throws IOException {
            if (rules.prunes(start)) {
                return;
            }
            Files.walkFileTree(start, options, Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    if (!dir.equals(start) && rules.prunes(dir)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    onDirectory.call(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    onFile.call(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    // Gone meanwhile, unreadable, or a loop of links: nothing to watch there.
                    return FileVisitResult.CONTINUE;
                }
            });
        }
    }
}
