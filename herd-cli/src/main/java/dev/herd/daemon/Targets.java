package dev.herd.daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.herd.cluster.ClusterSpec;
import dev.herd.config.ConfigException;
import dev.herd.config.EcosystemLoader;
import dev.herd.config.LoadedApps;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.InstanceInfo;

/**
 * Resolves what users type as the targets of a command, as PM2 reads them: an id, an app name, a
 * namespace, {@code all}, an ecosystem file (the apps it names) or a script (the apps that run
 * it). Every target of a command is resolved before the command acts on any, so that a typo in
 * the third one stops nothing.
 *
 * <p>Thread-safe: it reads the apps' snapshots and loads files, and changes nothing.
 */
final class Targets {

    private final Apps apps;
    private final EcosystemLoader loader;

    /**
     * @param apps   what the targets name
     * @param loader reads the ecosystem files among them
     */
    Targets(Apps apps, EcosystemLoader loader) {
        this.apps = apps;
        this.loader = loader;
    }

    /**
     * An app's definition as an ecosystem file (or a new environment) has it.
     *
     * @param spec    the app
     * @param cluster its public port and rules, or null in fork mode
     */
    record Definition(AppSpec spec, ClusterSpec cluster) {
    }

    /**
     * What a command's targets name.
     *
     * @param ids      the instances that ids, names, namespaces, {@code all} and scripts name, in the
     *                 order typed, each once
     * @param files    the apps of the ecosystem files named, by app name, as the files define them now
     *                 (those herd does not run included)
     * @param warnings what reading the files had to say
     */
    record Selection(List<Integer> ids, Map<String, Definition> files, List<String> warnings) {

        /** The instances of the files' apps that herd runs, after {@link #ids}, each once. */
        List<Integer> allIds(Apps apps) {
            Set<Integer> all = new LinkedHashSet<>(ids);
            files.keySet().forEach(name -> all.addAll(apps.idsOf(name)));
            return List.copyOf(all);
        }
    }

    /**
     * Resolves every target, or fails on the first that names nothing, before anything is done.
     *
     * @param cwd     the client's working directory, for files and scripts (null: ids, names, namespaces only)
     * @param env     the client's environment, the base of a file's apps
     * @param envName {@code --env} for the files, or null
     * @param only    {@code --only a,b}: of the files, only these apps; or null
     * @throws HerdException naming the target that names nothing, with what is known
     */
    Selection select(List<String> targets, String cwd, Map<String, String> env, String envName, String only)
            throws HerdException, ConfigException {
        if (targets.isEmpty()) {
            throw new HerdException("no target: name an app, an id, a namespace, all or an ecosystem file");
        }
        Set<Integer> ids = new LinkedHashSet<>();
        Map<String, Definition> files = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        Set<String> onlyNames = only == null ? null : onlyNames(only);
        Set<String> inFiles = new LinkedHashSet<>();
        boolean anyFile = false;
        for (String target : targets) {
            Path file = file(target, cwd);
            if (file == null || !EcosystemLoader.isEcosystemFile(target)) {
                ids.addAll(ids(target, cwd));
                continue;
            }
            anyFile = true;
            LoadedApps loaded = loader.load(file, env, envName, null);
            warnings.addAll(loaded.warnings());
            for (AppSpec spec : loaded.apps()) {
                inFiles.add(spec.name());
                if (onlyNames == null || onlyNames.contains(spec.name())) {
                    files.put(spec.name(), new Definition(spec, loaded.clusterOf(spec.name())));
                }
            }
        }
        if (onlyNames != null) {
            if (!anyFile) {
                throw new HerdException("--only picks apps of an ecosystem file, and no target is one");
            }
            Set<String> missing = new LinkedHashSet<>(onlyNames);
            missing.removeAll(inFiles);
            if (!missing.isEmpty()) {
                throw new HerdException("--only " + String.join(",", missing) + ": no such app in the file"
                        + " (its apps: " + String.join(", ", inFiles) + ")");
            }
        }
        return new Selection(List.copyOf(ids), files, warnings);
    }

    /** {@code --only}'s names, split as PM2 splits them: on commas and spaces. */
    static Set<String> onlyNames(String only) throws HerdException {
        Set<String> names = new LinkedHashSet<>();
        for (String name : only.split("[, ]")) {
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        if (names.isEmpty()) {
            throw new HerdException("--only: name at least one app");
        }
        return names;
    }

    /** The existing file a target names, relative to {@code cwd}, when it names no app, id or namespace. */
    private Path file(String target, String cwd) {
        if (cwd == null || target.isEmpty() || isKnown(target)) {
            return null;
        }
        Path file = Path.of(cwd).resolve(target).normalize();
        return Files.isRegularFile(file) ? file : null;
    }

    /** Whether the target names an app, an id, a namespace or all. */
    boolean isKnown(String target) {
        try {
            ids(target);
            return true;
        } catch (HerdException e) {
            return false;
        }
    }

    /**
     * As {@link #ids(String)}, and also a script path (the apps that run it) relative to the
     * client's {@code cwd}.
     */
    private List<Integer> ids(String target, String cwd) throws HerdException {
        try {
            return ids(target);
        } catch (HerdException unknown) {
            Path file = cwd == null || target.isEmpty() ? null : Path.of(cwd).resolve(target).normalize();
            if (file == null || !Files.isRegularFile(file)) {
                throw unknown;
            }
            Set<String> names = new LinkedHashSet<>();
            apps.supervisor().apps().stream().filter(a -> a.script().equals(file)).forEach(a -> names.add(a.name()));
            List<Integer> ids = apps.list().stream().filter(i -> names.contains(i.app())).map(InstanceInfo::id).toList();
            if (ids.isEmpty()) {
                throw new HerdException("no app of " + file + " runs here (" + unknown.getMessage() + ")");
            }
            return ids;
        }
    }

    /**
     * An id, an app name, a namespace (its apps; a name goes first, as in PM2) or {@code all};
     * anything else is an error that lists what is known.
     */
    List<Integer> ids(String target) throws HerdException {
        List<InstanceInfo> all = apps.list();
        if ("all".equals(target)) {
            return all.stream().map(InstanceInfo::id).toList();
        }
        List<Integer> byName = all.stream().filter(i -> i.app().equals(target)).map(InstanceInfo::id).toList();
        if (!byName.isEmpty()) {
            return byName;
        }
        List<Integer> byNamespace = all.stream().filter(i -> i.spec().namespace().equals(target))
                .map(InstanceInfo::id).toList();
        if (!byNamespace.isEmpty()) {
            return byNamespace;
        }
        if (!target.isEmpty() && target.chars().allMatch(Character::isDigit)) {
            try {
                int id = Integer.parseInt(target);
                if (all.stream().anyMatch(i -> i.id() == id)) {
                    return List.of(id);
                }
            } catch (NumberFormatException tooLong) {
                // Not an id herd could have given: unknown, as any other.
            }
        }
        Set<String> names = new LinkedHashSet<>(all.stream().map(InstanceInfo::app).toList());
        Set<String> namespaces = new LinkedHashSet<>(all.stream().map(i -> i.spec().namespace())
                .filter(n -> !n.equals(AppSpec.DEFAULT_NAMESPACE)).toList());
        throw new HerdException(names.isEmpty()
                ? "no app or id '" + target + "': herd runs no apps"
                : "no app or id '" + target + "' (known apps: " + String.join(", ", names) + "; ids: "
                        + all.stream().map(i -> Integer.toString(i.id())).collect(Collectors.joining(", "))
                        + (namespaces.isEmpty() ? "" : "; namespaces: " + String.join(", ", namespaces))
                        + "; or all)");
    }
}
