package dev.herd.config;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.AppSpec;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Loads the apps of an ecosystem file or a {@code herd start} command into validated
 * {@link AppSpec}s, PM2's way: same file formats, field names, defaults and environment merge.
 *
 * <p>Runs in the daemon on behalf of a client, so everything that depends on the client (its
 * environment, its cwd) is passed in, and nothing of the daemon's own environment leaks into an
 * app. Either every app of a file is valid and all are returned, or the first mistake is thrown as
 * a {@link ConfigException}. Stateless and thread-safe.
 */
public final class EcosystemLoader {

    private static final List<String> TOP_LEVEL = List.of("apps", "deploy");

    private final AppResolver resolver;
    private final int cores;

    /**
     * @param herdHome herd's folder; an app's default log files are
     *                 {@code herdHome/logs/<name>-out.log} and {@code <name>-error.log}, PM2's naming
     * @param cores    what {@code "max"} instances means; injected so that tests are exact
     */
    public EcosystemLoader(Path herdHome, int cores) {
        if (cores < 1) {
            throw new IllegalArgumentException("cores must be at least 1, was " + cores);
        }
        this.resolver = new AppResolver(herdHome.toAbsolutePath().normalize());
        this.cores = cores;
    }

    /**
     * Whether {@code target} names an ecosystem file rather than a script: {@code *.yml},
     * {@code *.yaml}, {@code *.json}, {@code *.config.js}, {@code *.config.cjs} or {@code *.config.mjs}.
     */
    public static boolean isEcosystemFile(String target) {
        String t = target.toLowerCase(Locale.ROOT);
        return t.endsWith(".yml") || t.endsWith(".yaml") || t.endsWith(".json")
                || t.endsWith(".config.js") || t.endsWith(".config.cjs") || t.endsWith(".config.mjs");
    }

    /**
     * Parses and validates an ecosystem file: YAML, JSON, or JavaScript evaluated by the client's
     * {@code node}. Relative paths in it resolve against its folder.
     *
     * @param file              the file, absolute (a relative one resolves against the daemon's cwd)
     * @param clientEnv         the environment of {@code herd start}: the base of each app's
     *                          environment, and the PATH interpreters are found on
     * @param envName           {@code --env NAME}: merges {@code env_NAME} over {@code env}; or
     *                          {@code null}. A name no app defines is an error.
     * @param instancesOverride {@code -i} for every app ({@code "4"}, {@code "max"}, {@code "-1"}), or {@code null}
     * @throws ConfigException on the first mistake found, with file, line, column and field
     */
    public LoadedApps load(Path file, Map<String, String> clientEnv, String envName, String instancesOverride)
            throws ConfigException {
        Path path = file.toAbsolutePath().normalize();
        Objects.requireNonNull(clientEnv, "clientEnv");
        Integer override = null;
        if (instancesOverride != null) {
            override = Instances.parse(instancesOverride, cores).orElseThrow(() -> ConfigException.at(null, null, "-i",
                    "expected " + Instances.EXPECTED + ", got '" + instancesOverride + "'"));
        }

        List<String> warnings = new ArrayList<>();
        Node root = read(path, clientEnv);
        if (root == null) {
            throw ConfigException.at(path, null, "", "empty file: no apps");
        }
        AppParser parser = new AppParser(path, cores, envName, warnings);
        Map<String, AppDefinition> definitions = new LinkedHashMap<>();
        for (Map.Entry<String, Node.Mapping> app : apps(path, root, warnings).entrySet()) {
            AppDefinition definition = parser.parse(app.getValue(), app.getKey());
            definitions.put(app.getKey(), override == null ? definition : definition.withInstances(override));
        }
        if (envName != null && !parser.envNames().contains(envName)) {
            throw ConfigException.at(path, null, "--env " + envName, "no app defines env_" + envName
                    + (parser.envNames().isEmpty() ? "" : " (defined: env_" + String.join(", env_", parser.envNames()) + ")"));
        }

        Map<String, String> names = new HashMap<>();
        List<AppSpec> specs = new ArrayList<>();
        Map<String, ClusterSpec> clusters = new LinkedHashMap<>();
        Path folder = path.getParent();
        for (Map.Entry<String, AppDefinition> app : definitions.entrySet()) {
            AppDefinition definition = app.getValue();
            AppSpec spec = resolver.resolve(definition, folder, clientEnv, path);
            String first = names.putIfAbsent(spec.name(), app.getKey());
            if (first != null) {
                throw definition.blame().error("name", "'" + spec.name() + "' is also the name of " + first
                        + ": app names must be unique");
            }
            specs.add(spec);
            if (definition.cluster() != null) {
                clusters.put(spec.name(), definition.cluster());
            }
        }
        return new LoadedApps(specs, clusters, warnings);
    }

    /**
     * Validates {@code herd start <script or command line>}; relative paths resolve against the
     * command's cwd.
     *
     * @throws ConfigException naming the option at fault, such as {@code start: script 'x.js' not found in /srv}
     */
    public LoadedApps fromCommand(StartCommand command) throws ConfigException {
        Path cwd = command.cwd().toAbsolutePath().normalize();
        AppDefinition definition = CommandReader.read(command, cwd, cores);
        AppSpec spec = resolver.resolve(definition, cwd, command.env(), null);
        return new LoadedApps(List.of(spec), definition.cluster() == null ? Map.of()
                : Map.of(spec.name(), definition.cluster()), List.of());
    }

    private static Node read(Path file, Map<String, String> clientEnv) throws ConfigException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".js") || name.endsWith(".cjs") || name.endsWith(".mjs")) {
            if (!Files.isRegularFile(file)) {
                throw ConfigException.at(file, null, "", Files.isDirectory(file) ? "is a directory" : "no such file");
            }
            return new TreeReader(file, false).read(JsConfigReader.read(file, clientEnv), TreeReader.Syntax.JSON);
        }
        TreeReader.Syntax syntax;
        if (name.endsWith(".yml") || name.endsWith(".yaml")) {
            syntax = TreeReader.Syntax.YAML;
        } else if (name.endsWith(".json")) {
            syntax = TreeReader.Syntax.JSON;
        } else {
            throw ConfigException.at(file, null, "",
                    "not an ecosystem file: expected .yml, .yaml, .json, .js, .cjs or .mjs");
        }
        return new TreeReader(file, true).read(text(file), syntax);
    }

    private static String text(Path file) throws ConfigException {
        if (Files.isDirectory(file)) {
            throw ConfigException.at(file, null, "", "is a directory");
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw ConfigException.at(file, null, "", "no such file");
        } catch (AccessDeniedException e) {
            throw ConfigException.at(file, null, "", "cannot read: permission denied");
        } catch (CharacterCodingException e) {
            throw ConfigException.at(file, null, "", "cannot read: not UTF-8 text");
        } catch (IOException e) {
            throw ConfigException.at(file, null, "", "cannot read: " + e.getMessage());
        }
    }

    /**
     * The app objects by field path. PM2 accepts {@code {apps: [...]}}, a bare list of apps, and a
     * single app object; only its {@code deploy} section is ignored.
     */
    private static Map<String, Node.Mapping> apps(Path file, Node root, List<String> warnings) throws ConfigException {
        Map<String, Node.Mapping> apps = new LinkedHashMap<>();
        Node list = root;
        if (root instanceof Node.Mapping top) {
            if (!top.entries().containsKey("apps")) {
                apps.put("", top);
                return apps;
            }
            for (Node.Entry entry : top.entries().values()) {
                if (entry.key().equals("deploy")) {
                    warnings.add("deploy: not supported by herd, ignored");
                } else if (!entry.key().equals("apps")) {
                    String hint = Suggestions.nearest(entry.key(), TOP_LEVEL)
                            .map(known -> " (did you mean '" + known + "'?)").orElse("");
                    throw ConfigException.at(file, entry.keyAt(), entry.key(), "unknown field" + hint);
                }
            }
            list = top.entries().get("apps").value();
            if (!(list instanceof Node.Sequence)) {
                throw ConfigException.at(file, list.at(), "apps", "expected a list of apps, got " + list.describe());
            }
        }
        if (!(list instanceof Node.Sequence sequence)) {
            throw ConfigException.at(file, root.at(), "",
                    "expected an object with 'apps', a list of apps, or one app, got " + root.describe());
        }
        if (sequence.items().isEmpty()) {
            throw ConfigException.at(file, sequence.at(), "apps", "no apps in the list");
        }
        for (Node item : sequence.items()) {
            String path = FieldPath.index("apps", apps.size());
            if (!(item instanceof Node.Mapping app)) {
                throw ConfigException.at(file, item.at(), path, "expected an app object, got " + item.describe());
            }
            apps.put(path, app);
        }
        return apps;
    }
}
