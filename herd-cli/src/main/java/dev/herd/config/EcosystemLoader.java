package dev.herd.config;

import dev.herd.cluster.ClusterSpec;
import dev.herd.cluster.PortSharing;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.Posix;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

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

    /** The keys that hold the list of apps: PM2 reads {@code pm2} when there is no {@code apps}. */
    private static final List<String> APP_LISTS = List.of("apps", "pm2");

    /** PM2's other top-level sections, to what herd does instead. */
    private static final Map<String, String> IGNORED_SECTIONS = Map.of(
            "deploy", "herd does not deploy (PM2's pm2 deploy), ignored",
            "static", "herd does not serve static folders (PM2's pm2 serve), ignored");

    private static final List<String> TOP_LEVEL = List.of("apps", "deploy", "static", "pm2");

    private final AppResolver resolver;
    private final int cores;

    /**
     * @param herdHome herd's folder; an app's default log files are
     *                 {@code herdHome/logs/<name>-out.log} and {@code <name>-error.log}, PM2's naming
     * @param cores    what {@code "max"} instances means; injected so that tests are exact
     */
    public EcosystemLoader(Path herdHome, int cores) {
        this(herdHome, cores, Posix.uid(), Accounts.system());
    }

    /**
     * @param daemonUid the user id the apps would be started by: {@code uid} and {@code gid} need 0
     * @param accounts  where {@code uid} and {@code gid} are looked up
     */
    EcosystemLoader(Path herdHome, int cores, int daemonUid, Accounts accounts) {
        if (cores < 1) {
            throw new IllegalArgumentException("cores must be at least 1, was " + cores);
        }
        this.resolver = new AppResolver(herdHome.toAbsolutePath().normalize(), daemonUid, accounts);
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
     *                          {@code null}. A name no app defines is a warning (PM2 goes on
     *                          with {@code env}, and deploy scripts pass one for every app).
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
        List<String> notes = new ArrayList<>();
        Node root = read(path, clientEnv);
        if (root == null) {
            throw ConfigException.at(path, null, "", "empty file: no apps");
        }
        Path folder = path.getParent();
        Set<String> envNames = new TreeSet<>();
        Map<String, AppDefinition> definitions = new LinkedHashMap<>();
        Set<String> clusterWithoutPort = new HashSet<>();
        for (Map.Entry<String, Node.Mapping> app : apps(path, root, warnings).entrySet()) {
            Parse parse = new Parse(path, app.getValue(), app.getKey(), envName, override, envNames);
            AppDefinition d = parse.definition(folder, clientEnv, warnings, notes);
            definitions.put(app.getKey(), d);
            // increment_var PORT gives each its own port: fork mode, said so where it is chosen.
            if (d.cluster() == null && (parse.execModeCluster() || parse.modeByInterpreter(d))
                    && !"PORT".equals(d.incrementVar())) {
                clusterWithoutPort.add(app.getKey());
            }
        }
        if (envName != null && !envNames.contains(envName)) {
            warnings.add("--env " + envName + ": no app defines env_" + envName
                    + (envNames.isEmpty() ? "" : " (defined: env_" + String.join(", env_", envNames) + ")")
                    + ": the apps run with their env only");
        }

        Map<String, String> names = new HashMap<>();
        List<AppSpec> specs = new ArrayList<>();
        Map<String, ClusterSpec> clusters = new LinkedHashMap<>();
        for (Map.Entry<String, AppDefinition> app : definitions.entrySet()) {
            AppDefinition definition = app.getValue();
            AppSpec spec = resolver.resolve(definition, folder, clientEnv, notes, path);
            if (clusterWithoutPort.contains(app.getKey()) && AppResolver.runsOnNode(spec)) {
                // PM2 runs it in cluster mode, its workers' listens shared by Node's cluster module.
                spec = spec.withSharedListens(true);
            }
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
        return new LoadedApps(specs, clusters, warnings, notes);
    }

    /**
     * One app of a file read in the mode PM2 would run it in. Without {@code exec_mode}, PM2 runs
     * an app that sets {@code instances} (or is given {@code -i}) in cluster mode if it runs on
     * Node, in fork mode otherwise ({@code Common.sink.determineExecMode}); which one it runs on
     * is known only once its script and interpreter are found, so such an app is read both ways
     * and the one PM2 would pick is kept, with its errors and warnings alone.
     */
    private final class Parse {
        private final Path file;
        private final Node.Mapping app;
        private final String appPath;
        private final String envName;
        private final Integer override;
        private final Set<String> envNames;

        Parse(Path file, Node.Mapping app, String appPath, String envName, Integer override, Set<String> envNames) {
            this.file = file;
            this.app = app;
            this.appPath = appPath;
            this.envName = envName;
            this.override = override;
            this.envNames = envNames;
        }

        AppDefinition definition(Path folder, Map<String, String> clientEnv, List<String> warnings, List<String> notes)
                throws ConfigException {
            Attempt fork = attempt(false);
            Attempt cluster = fork.definition == null || modeByInterpreter(fork.definition) ? attempt(true) : null;
            AppDefinition probe = fork.definition != null ? fork.definition
                    : cluster != null ? cluster.definition : null;
            if (probe == null || !modeByInterpreter(probe) || !runsOnNode(probe, folder, clientEnv)) {
                return fork.use(warnings);
            }
            String label = probe.blame().label("instances");
            if ("PORT".equals(probe.incrementVar())) {
                notes.add(label + ": fork mode: increment_var gives each instance a PORT of its own, so there is"
                        + " no port for herd's cluster mode to balance (PM2 runs such a Node app in cluster mode"
                        + " with its workers on those ports)");
                return fork.use(warnings);
            }
            AppDefinition chosen = cluster.use(warnings);
            if (chosen.cluster() != null) {
                // Under PM2 the app's own listen() picks the address; here herd binds it, so say where.
                String where = chosen.cluster().host().equals("0.0.0.0")
                        ? " on all interfaces (balancer: {host: 127.0.0.1} keeps it local)"
                        : " on " + chosen.cluster().host();
                String count = chosen.instances() + (chosen.instances() == 1 ? " instance" : " instances");
                notes.add(label + ": cluster mode on port " + chosen.cluster().port() + where + ", as PM2 runs a Node"
                        + " app with instances and no exec_mode: " + (chosen.cluster().sharing().handsSocket()
                        ? "herd hands the port's " + (chosen.cluster().sharing() == PortSharing.REUSEPORT
                        ? "sockets (one each)" : "one socket") + " to its " + count + ", and a listen on that port takes it"
                        : "herd balances the port over its " + count + ", each listening on a PORT of its own, so the"
                        + " app must listen on process.env.PORT: one that listens on the port itself fails with"
                        + " EADDRINUSE (balancer: {mode: socket} shares the port itself; exec_mode: fork runs them side"
                        + " by side)"));
                return chosen;
            }
            notes.add(label + ": PM2 runs a Node app with instances and no exec_mode in cluster mode, its instances"
                    + " sharing the ports they listen on; with no port for herd to balance, herd does the same: it"
                    + " binds each port they listen on once and hands the socket to every instance, and the kernel"
                    + " spreads the connections (set port, or env.PORT, for herd's balancer in front)");
            return chosen;
        }

        /** Whether {@code exec_mode} asks for cluster mode, as PM2 reads it. */
        boolean execModeCluster() {
            Node.Entry e = app.entries().get("exec_mode");
            return e != null && e.value() instanceof Node.Text t
                    && (t.value().equals("cluster") || t.value().equals("cluster_mode"));
        }

        /** Without exec_mode, with instances: PM2 decides by the interpreter. */
        private boolean modeByInterpreter(AppDefinition d) {
            return !d.execModeWritten() && (d.instancesWritten() || override != null);
        }

        /** Whether the app would run on Node; an app that does not resolve is left to fail where it does. */
        private boolean runsOnNode(AppDefinition d, Path folder, Map<String, String> clientEnv) {
            try {
                return AppResolver.runsOnNode(resolver.resolve(d, folder, clientEnv, new ArrayList<>(), null));
            } catch (ConfigException e) {
                return false;
            }
        }

        private Attempt attempt(boolean clusterWithoutExecMode) {
            List<String> warnings = new ArrayList<>();
            AppParser parser = new AppParser(file, cores, envName, warnings);
            try {
                AppDefinition d = parser.parse(app, appPath, clusterWithoutExecMode);
                return new Attempt(override == null ? d : d.withInstances(override), null, warnings);
            } catch (ConfigException e) {
                return new Attempt(null, e, warnings);
            } finally {
                envNames.addAll(parser.envNames());
            }
        }
    }

    /** One reading of an app: its definition or its first mistake, and its warnings. */
    private record Attempt(AppDefinition definition, ConfigException error, List<String> warnings) {

        /** The definition, its warnings added to {@code to}; or its mistake, thrown. */
        AppDefinition use(List<String> to) throws ConfigException {
            if (error != null) {
                throw error;
            }
            to.addAll(warnings);
            return definition;
        }
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
        List<String> notes = new ArrayList<>();
        AppSpec spec = resolver.resolve(definition, cwd, command.env(), notes, null);
        List<String> warnings = new ArrayList<>();
        if (definition.cluster() == null && definition.instances() > 1 && AppResolver.runsOnNode(spec)) {
            // PM2 runs it in cluster mode, its workers' listens shared by Node's cluster module.
            spec = spec.withSharedListens(true);
            notes.add("start -i: PM2 runs a Node script started with -i in cluster mode, its instances sharing the"
                    + " ports they listen on; with no port for herd to balance, herd does the same: it binds each port"
                    + " they listen on once and hands the socket to every instance (--port <port> puts herd's"
                    + " balancer in front)");
        }
        return new LoadedApps(List.of(spec), definition.cluster() == null ? Map.of()
                : Map.of(spec.name(), definition.cluster()), warnings, notes);
    }

    /** The entry of {@code apps} or {@code pm2}, or null when the file is one app. */
    private static Node.Entry appList(Path file, Node.Mapping top) throws ConfigException {
        Node.Entry apps = top.entries().get("apps");
        Node.Entry pm2 = top.entries().get("pm2");
        if (apps != null && pm2 != null && !Node.sameValue(apps.value(), pm2.value())) {
            throw ConfigException.at(file, pm2.keyAt(), pm2.key(), "same field as apps, which is also set: keep one");
        }
        return apps != null ? apps : pm2;
    }

    /**
     * A file that is one app object, without the top-level sections PM2 also reads there. A key
     * that is no app field but a near miss of {@code apps} is a typo of it ({@code app:}), refused.
     */
    private static Node.Mapping oneApp(Path file, Node.Mapping top, List<String> warnings) throws ConfigException {
        Map<String, Node.Entry> fields = new LinkedHashMap<>();
        for (Node.Entry entry : top.entries().values()) {
            String key = entry.key();
            if (IGNORED_SECTIONS.containsKey(key)) {
                warnings.add(key + ": " + IGNORED_SECTIONS.get(key));
                continue;
            }
            if (Pm2Fields.lookup(key).isEmpty() && !key.startsWith("env_")) {
                Optional<String> near = Suggestions.nearest(key, APP_LISTS.subList(0, 1));
                if (near.isPresent()) {
                    throw ConfigException.at(file, entry.keyAt(), key, "unknown field (did you mean 'apps'?)");
                }
            }
            fields.put(key, entry);
        }
        return new Node.Mapping(fields, top.at());
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
     * The app objects by field path. PM2 accepts {@code {apps: [...]}} (or {@code pm2:} for
     * {@code apps:}), a bare list of apps, and a single app object. Its {@code deploy} and
     * {@code static} sections are ignored with a warning, and so is any other key beside the apps,
     * unless it is a near miss of a top-level key.
     */
    private static Map<String, Node.Mapping> apps(Path file, Node root, List<String> warnings) throws ConfigException {
        Map<String, Node.Mapping> apps = new LinkedHashMap<>();
        Node list = root;
        if (root instanceof Node.Mapping top) {
            Node.Entry appList = appList(file, top);
            if (appList == null) {
                apps.put("", oneApp(file, top, warnings));
                return apps;
            }
            for (Node.Entry entry : top.entries().values()) {
                String key = entry.key();
                if (APP_LISTS.contains(key)) {
                    continue;
                }
                if (IGNORED_SECTIONS.containsKey(key)) {
                    warnings.add(key + ": " + IGNORED_SECTIONS.get(key));
                    continue;
                }
                Optional<String> near = Suggestions.nearest(key, TOP_LEVEL);
                if (near.isPresent()) {
                    throw ConfigException.at(file, entry.keyAt(), key, "unknown field (did you mean '" + near.get() + "'?)");
                }
                warnings.add(key + ": " + (Pm2Fields.lookup(key).isPresent() || key.startsWith("env_")
                        ? "an app field outside the apps list (PM2 ignores it there too), ignored"
                        : AppParser.NOT_A_FIELD));
            }
            list = appList.value();
            if (!(list instanceof Node.Sequence)) {
                throw ConfigException.at(file, list.at(), appList.key(), "expected a list of apps, got " + list.describe());
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
