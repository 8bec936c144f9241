package dev.herd.watch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import dev.herd.supervisor.WatchSpec;

/**
 * Which changes under an app's watched folders restart it: the folders to watch, and for each
 * path whether it is ignored. Decided from the app's {@link WatchSpec}, its cwd and its own log
 * files, with the file system reached only through {@link Lookup} at construction.
 *
 * <p>What is never watched unless a watched path names it (or lies inside it): {@code node_modules},
 * {@code .git}, {@code .hg} and {@code .svn} at any depth (PM2 watches them as soon as an
 * {@code ignore_watch} replaces its default), herd's own folder ({@code HERD_HOME}, its logs
 * included), and the folder of the app's log files when it is a subfolder of what is watched.
 * The app's log files themselves (each instance's, and their rotated copies) are ignored
 * always: an app that logs would otherwise restart itself forever, PM2's best-known watch bug.
 * Without an {@code ignore_watch}, names starting with a dot are ignored too, as PM2's default.
 *
 * <p>{@code ignore_watch} patterns read as in a {@code .gitignore}: one without a slash (a name or
 * a glob, {@code tmp}, {@code *.log}) matches that name at any depth below a watched folder; one
 * with a slash ({@code client/img}, {@code /var/cache/app}, {@code dist/*.map}) is a path from the
 * app's cwd (or from {@code /}), and ignores what it matches and everything below. Where PM2 (its
 * chokidar) matches {@code *.log} and {@code tmp} in the cwd only, these match at any depth.
 *
 * <p>Immutable and thread-safe.
 */
public final class WatchRules {

    /** What the rules need to know of the file system when they are made. */
    public interface Lookup {
        /** Whether {@code path} is a directory (following links). */
        boolean isDirectory(Path path);

        /** Whether {@code path} exists. */
        boolean exists(Path path);

        /** The real file system. */
        Lookup REAL = new Lookup() {
            public boolean isDirectory(Path path) {
                return java.nio.file.Files.isDirectory(path);
            }

            public boolean exists(Path path) {
                return java.nio.file.Files.exists(path);
            }
        };
    }

    /** Folders never watched unless asked for by a watched path. */
    static final List<String> NEVER = List.of("node_modules", ".git", ".hg", ".svn");

    /**
     * One folder watched.
     *
     * @param dir     the folder, absolute
     * @param include what below it counts (a watched file, a glob, a path that does not exist
     *                yet), or null for everything
     */
    record Root(Path dir, Pattern include) {
    }

    /** An app's log file (each instance's numbered copy and each rotated one with it). */
    private record OwnFile(Path folder, Pattern name) {
    }

    private final List<Root> roots;
    private final List<Pattern> anchored = new ArrayList<>();
    private final List<Pattern> names = new ArrayList<>();
    private final boolean dotsIgnored;
    private final List<OwnFile> ownFiles = new ArrayList<>();
    private final List<Path> ignoredFolders = new ArrayList<>();
    private final boolean followSymlinks;
    private final int depth;
    private final List<String> described;

    /**
     * @param watch    what the app's definition asks to watch (paths absolute)
     * @param cwd      the app's cwd, which relative patterns start from
     * @param logFiles the files herd writes for the app, named as for one instance: its log files, as
     *                 its {@link dev.herd.supervisor.LogPolicy} names them, and its pid file
     * @param herdHome herd's folder, never watched unless a watched path lies inside it
     * @param lookup   the file system, to tell folders from files and what exists
     * @throws IllegalArgumentException for a pattern that is not a glob (an unclosed bracket)
     */
    public WatchRules(WatchSpec watch, Path cwd, List<Path> logFiles, Path herdHome, Lookup lookup) {
        this.followSymlinks = watch.followSymlinks();
        this.depth = watch.depth();
        this.roots = roots(watch.paths(), lookup);
        for (String raw : watch.ignore()) {
            String p = raw.trim();
            while (p.startsWith("./")) {
                p = p.substring(2);
            }
            while (p.length() > 1 && p.endsWith("/")) {
                p = p.substring(0, p.length() - 1);
            }
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.contains("/")) {
                anchored.add(anchoredPattern(p, cwd));
            } else {
                names.add(Glob.compile(p));
            }
        }
        this.dotsIgnored = watch.ignore().isEmpty();
        for (Path f : logFiles) {
            ownFiles.add(ownFile(f.toAbsolutePath().normalize()));
            Path folder = f.toAbsolutePath().normalize().getParent();
            if (folder != null && isStrictlyBelowARoot(folder) && !asked(folder)) {
                ignoredFolders.add(folder);
            }
        }
        Path home = herdHome.toAbsolutePath().normalize();
        if (!asked(home)) {
            ignoredFolders.add(home);
        }
        List<String> d = new ArrayList<>(NEVER);
        d.addAll(watch.ignore());
        if (dotsIgnored) {
            d.add(".*");
        }
        ignoredFolders.forEach(f -> d.add(f.toString()));
        logFiles.forEach(f -> d.add(f.getFileName().toString()));
        this.described = List.copyOf(new LinkedHashSet<>(d));
    }

    /** The folders to watch, each once: one inside another watched wholly is left to that one. */
    public List<Path> folders() {
        List<Path> out = new ArrayList<>();
        for (Root r : roots) {
            boolean covered = roots.stream().anyMatch(o -> o != r && o.include() == null && depth < 0
                    && r.dir().startsWith(o.dir()) && !r.dir().equals(o.dir()));
            if (!covered && !out.contains(r.dir())) {
                out.add(r.dir());
            }
        }
        return out;
    }

    /** Whether folders reached through a symbolic link are watched. */
    public boolean followSymlinks() {
        return followSymlinks;
    }

    /** What is ignored, for {@code describe}: the built-in names, the patterns, the folders and log files. */
    public List<String> describeIgnored() {
        return described;
    }

    /** Whether a change of {@code path} (absolute) leaves the app alone. */
    public boolean ignored(Path path, boolean directory) {
        Path p = path.toAbsolutePath().normalize();
        for (OwnFile f : ownFiles) {
            if (f.folder().equals(p.getParent()) && f.name().matcher(p.getFileName().toString()).matches()) {
                return true;
            }
        }
        for (Root r : roots) {
            if (!p.startsWith(r.dir())) {
                continue;
            }
            Path rel = r.dir().relativize(p);
            if (rel.toString().isEmpty()) {
                return false;
            }
            if (depth >= 0 && rel.getNameCount() - 1 > depth) {
                continue;
            }
            if (!directory && r.include() != null && !r.include().matcher(p.toString()).matches()) {
                continue;
            }
            if (!ignoredBelow(r, p, rel)) {
                return false;
            }
        }
        return true;
    }

    /** Whether nothing in folder {@code dir} (absolute) can restart the app, so it need not be watched. */
    public boolean prunes(Path dir) {
        Path p = dir.toAbsolutePath().normalize();
        for (Root r : roots) {
            if (r.dir().startsWith(p)) {
                // On the way to a watched folder, or the folder itself.
                return false;
            }
            if (!p.startsWith(r.dir())) {
                continue;
            }
            Path rel = r.dir().relativize(p);
            if (depth >= 0 && rel.getNameCount() > depth) {
                continue;
            }
            if (!ignoredBelow(r, p, rel)) {
                return false;
            }
        }
        return true;
    }

    /** The rules that apply below a root: built-in names, dot names, patterns, log and herd folders. */
    private boolean ignoredBelow(Root r, Path p, Path rel) {
        for (Path name : rel) {
            String n = name.toString();
            if (NEVER.contains(n) || dotsIgnored && n.startsWith(".")) {
                return true;
            }
            for (Pattern g : names) {
                if (g.matcher(n).matches()) {
                    return true;
                }
            }
        }
        for (Path folder : ignoredFolders) {
            if (p.startsWith(folder) && !r.dir().startsWith(folder)) {
                return true;
            }
        }
        for (Path a = p; a != null && a.startsWith(r.dir()) && !a.equals(r.dir()); a = a.getParent()) {
            String text = a.toString();
            for (Pattern g : anchored) {
                if (g.matcher(text).matches()) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean isStrictlyBelowARoot(Path folder) {
        return roots.stream().anyMatch(r -> folder.startsWith(r.dir()) && !folder.equals(r.dir()));
    }

    /** Whether a watched path is this folder or lies inside it: then it was asked for. */
    private boolean asked(Path folder) {
        return roots.stream().anyMatch(r -> r.dir().startsWith(folder));
    }

    private static List<Root> roots(List<String> paths, Lookup lookup) {
        List<Root> roots = new ArrayList<>();
        for (String raw : paths) {
            if (Glob.isGlob(raw)) {
                // The folders before the first glob character are watched; the whole glob filters.
                List<String> literal = new ArrayList<>();
                for (String segment : raw.split("/")) {
                    if (Glob.isGlob(segment)) {
                        break;
                    }
                    literal.add(Glob.literal(segment));
                }
                Path dir = existing(Path.of("/" + String.join("/", literal)).normalize(), lookup);
                roots.add(new Root(dir, Pattern.compile(Glob.regex(raw) + "(?:/.*)?")));
                continue;
            }
            Path p = Path.of(raw).toAbsolutePath().normalize();
            if (lookup.isDirectory(p)) {
                roots.add(new Root(p, null));
            } else {
                // A file, or a path not there yet: its folder (the nearest that exists) is watched.
                Path dir = existing(p.getParent() == null ? p : p.getParent(), lookup);
                roots.add(new Root(dir, Pattern.compile(Pattern.quote(p.toString()) + "(?:/.*)?")));
            }
        }
        return roots;
    }

    private static Path existing(Path dir, Lookup lookup) {
        Path d = dir;
        while (d.getParent() != null && !lookup.isDirectory(d)) {
            d = d.getParent();
        }
        return d;
    }

    /** An anchored pattern: the literal folders before its first glob are resolved against cwd. */
    private static Pattern anchoredPattern(String pattern, Path cwd) {
        List<String> literal = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (String segment : pattern.split("/", -1)) {
            if (!rest.isEmpty() || Glob.isGlob(segment)) {
                rest.add(segment);
            } else {
                literal.add(Glob.literal(segment));
            }
        }
        String joined = String.join("/", literal);
        Path base = pattern.startsWith("/") ? Path.of("/" + joined) : cwd.resolve(joined);
        String prefix = Pattern.quote(base.toAbsolutePath().normalize().toString());
        return Pattern.compile(rest.isEmpty() ? prefix : prefix + "/" + Glob.regex(String.join("/", rest)));
    }

    /** {@code out.log} also stands for {@code out-3.log} (an instance's), {@code out.log.2} (rotated) and its index. */
    private static OwnFile ownFile(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = dot > 0 ? name.substring(0, dot) : name;
        String ext = dot > 0 ? name.substring(dot) : "";
        // Each instance's file (-<n>), rotated ones (.<n>), a rotation's .tmp, and the line-time index
        // herd writes beside a log (.<name>.times), which changes with every line.
        return new OwnFile(file.getParent(), Pattern.compile("\\.?" + Pattern.quote(base) + "(?:-\\d+)?"
                + Pattern.quote(ext) + "(?:\\.\\d+)?(?:\\.tmp)?(?:\\.times)?"));
    }
}
