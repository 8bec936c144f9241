package dev.herd.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.balancer.TrafficStats;
import dev.herd.cluster.ClusterSpec;
import dev.herd.config.ConfigException;
import dev.herd.config.EcosystemLoader;
import dev.herd.config.LoadedApps;
import dev.herd.config.StartCommand;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.ExitRecord;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.ProcessState;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.RestartTriggers;
import dev.herd.supervisor.Supervisor;
import dev.herd.supervisor.logs.LogRegistry;
import dev.herd.supervisor.WatchSpec;
import dev.herd.cluster.InheritedListeners;
import dev.herd.watch.Triggers;

/**
 * The daemon's command table: one handler per {@link Request} type, each returning a typed body
 * (a record, or a list of them) that the {@link ControlServer} sends back as JSON. Resolves the
 * targets users type ({@code 3}, {@code api}, {@code all}) to instance ids.
 *
 * <p>Thread-safe: called from every connection's thread at once; the state is in {@link Apps}.
 */
final class Commands {

    private static final Logger log = LoggerFactory.getLogger(Commands.class);

    /** What the composition root does when asked to stop. */
    interface Shutdown {
        /**
         * Ends the daemon soon; with {@code forUpdate}, first writing the list for the next daemon
         * and, when {@code handoff} names the update's relay, sending it the public sockets.
         */
        void request(boolean forUpdate, Path handoff);
    }

    /** Answers one kind of request. */
    interface Handler<R extends Request> {
        Object handle(R request) throws Exception;
    }

    private final HerdHome home;
    private final Apps apps;
    private final StateStore store;
    private final ResourceSampler sampler;
    private final EcosystemLoader loader;
    private final Map<Class<? extends Request>, Handler<Request>> table = new LinkedHashMap<>();
    private final Targets targets;
    private final Rollouts rollouts;

    /**
     * @param home     the daemon's directory
     * @param apps     the apps the commands act on
     * @param store    the saved lists, and the running file each answer waits for
     * @param sampler  CPU and memory figures for {@code list}
     * @param shutdown called by {@code kill}
     */
    Commands(HerdHome home, Apps apps, StateStore store, ResourceSampler sampler, Shutdown shutdown) {
        this.home = home;
        this.apps = apps;
        this.store = store;
        this.sampler = sampler;
        this.loader = new EcosystemLoader(home.dir(), Runtime.getRuntime().availableProcessors());
        this.targets = new Targets(apps, loader);
        this.rollouts = new Rollouts(apps, loader, targets);
        Supervisor supervisor = apps.supervisor();
        on(Request.Ping.class, r -> new Pid(ProcessHandle.current().pid()));
        on(Request.Start.class, this::start);
        on(Request.ListAll.class, r -> views(sampledList(), false));
        on(Request.Stop.class, r -> {
            List<Integer> ids = running(targets.select(r.targets(), r.cwd(), r.env(), null, r.only()));
            Map<Integer, ExitRecord> before = KillNotes.newestExits(infos(ids));
            apps.stopped(act(ids, supervisor::stop), r.watch());
            return new Stopped(ids, KillNotes.lines(before, infos(ids)));
        });
        on(Request.Restart.class, this::restart);
        on(Request.Delete.class, r -> {
            List<Integer> ids = running(targets.select(r.targets(), r.cwd(), r.env(), null, r.only()));
            Map<Integer, ExitRecord> before = KillNotes.newestExits(infos(ids));
            // Stopped first (as delete would), so that how each ended can be read before it is forgotten.
            act(ids, supervisor::stop);
            List<String> killed = KillNotes.lines(before, infos(ids));
            act(ids, supervisor::delete);
            apps.deleted(ids);
            return new Stopped(ids, killed);
        });
        on(Request.Reset.class, r -> act(plainIds(r.targets()), supervisor::reset));
        on(Request.Describe.class, r -> views(sampled(select(r.target())), true));
        on(Request.SendSignal.class, this::signal);
        on(Request.Flush.class, this::flush);
        on(Request.Save.class, this::save);
        on(Request.Resurrect.class, this::resurrect);
        on(Request.Kill.class, r -> {
            shutdown.request(r.forUpdate(), r.forUpdate() && r.handoff() != null ? Path.of(r.handoff()) : null);
            return new Pid(ProcessHandle.current().pid());
        });
    }

    /** Serves {@code type} with a part the composition root owns (the metrics port). */
    <R extends Request> void serve(Class<R> type, Handler<R> handler) {
        on(type, handler);
    }

    @SuppressWarnings("unchecked")
    private <R extends Request> void on(Class<R> type, Handler<R> handler) {
        table.put(type, (Handler<Request>) handler);
    }

    /**
     * Runs one request; once it is done, what it changed is in the running file.
     *
     * @return the body of a successful answer
     * @throws HerdException with the one-line message for the user when the command failed
     */
    Object handle(Request request) throws HerdException {
        Handler<Request> handler = table.get(request.getClass());
        if (handler == null) {
            throw new HerdException("this daemon does not serve " + request.getClass().getSimpleName() + " here");
        }
        try {
            return handler.handle(request);
        } catch (HerdException e) {
            throw e;
        } catch (ConfigException e) {
            throw new HerdException(e.getMessage());
        } catch (Exception e) {
            Throwable cause = Supervisor.cause(e);
            if (cause instanceof HerdException || cause instanceof IllegalArgumentException
                    || cause instanceof NoSuchElementException) {
                throw new HerdException(cause.getMessage());
            }
            Optional<String> shortage = DescriptorShortage.message(cause, DescriptorShortage.limit());
            if (shortage.isPresent()) {
                log.error("{} failed: {}", request, cause.toString());
                throw new HerdException(shortage.get());
            }
            log.error("{} failed", request, cause);
            throw new HerdException("internal error: " + cause + " (see " + home.daemonLog() + ")");
        } finally {
            store.awaitRecorded();
        }
    }

    /**
     * PM2's start: an ecosystem file's apps are added (those it has are restarted with the file's
     * definitions); names, ids and namespaces are restarted, or started where stopped; a script or
     * command is added, or its stopped app started again.
     */
    /** Programs whose listen herd turns into the socket it hands over: Node.js (and what starts it) and the JVM. */
    private static final Set<String> TAKE_THE_SOCKET = Set.of("node", "nodejs", "bun", "npm", "npx", "yarn", "pnpm", "java");

    /**
     * For a socket-mode app of another program than those: that it must take the socket itself,
     * which herd cannot tell before it runs.
     */
    static List<String> socketNotes(LoadedApps loaded) {
        List<String> notes = new ArrayList<>();
        for (AppSpec spec : loaded.apps()) {
            ClusterSpec cluster = loaded.clusterOf(spec.name());
            String program = Path.of(spec.command().get(0)).getFileName().toString();
            if (cluster != null && cluster.sharing().handsSocket() && !TAKE_THE_SOCKET.contains(program)) {
                notes.add(spec.name() + ": socket mode: " + program + " gets the public port's socket at fd 3"
                        + " (LISTEN_FDS=1, LISTEN_PID) and must take it from there, as gunicorn, uvicorn --fd 3, Puma"
                        + " or go-systemd do; herd turns the listen of Node.js and the bind of a JVM into it, not that"
                        + " of other programs, and one that binds the port itself never gets ready");
            }
        }
        return notes;
    }

    private Object start(Request.Start s) throws Exception {
        Path cwd = Path.of(s.cwd());
        List<String> warnings = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (EcosystemLoader.isEcosystemFile(s.target()) && !targets.isKnown(s.target())) {
            if (s.namespace() != null) {
                throw new HerdException("--namespace applies to a script or command: set namespace in the file");
            }
            LoadedApps loaded = loader.load(cwd.resolve(s.target()), s.env(), s.envName(), s.instances());
            warnings.addAll(loaded.warnings());
            notes.addAll(loaded.notes());
            notes.addAll(socketNotes(loaded));
            if (s.policies() != null && !s.policies().equals(StartCommand.Policies.NONE)) {
                warnings.add("--kill-timeout, --max-restarts, --wait-ready and the like apply to a script or command:"
                        + " ignored for " + s.target() + " (set them in the file, where PM2 reads them too)");
            }
            Set<String> only = s.only() == null ? null : Targets.onlyNames(s.only());
            List<Rollouts.Step> steps = new ArrayList<>();
            for (AppSpec spec : loaded.apps()) {
                if (only == null || only.contains(spec.name())) {
                    // herd start file --watch: the file's apps are watched too (and --cron-restart, where it sets none).
                    AppSpec flagged = s.triggers() != null && s.triggers().any() ? s.triggers().applyTo(spec) : spec;
                    steps.add(new Rollouts.Step(spec.name(), null, new Targets.Definition(flagged,
                            loaded.clusterOf(spec.name())), true));
                }
            }
            if (only != null && steps.size() < only.size()) {
                Set<String> missing = new LinkedHashSet<>(only);
                steps.forEach(st -> missing.remove(st.app()));
                throw new HerdException("--only " + String.join(",", missing) + ": no such app in " + s.target()
                        + " (its apps: " + loaded.apps().stream().map(AppSpec::name).collect(Collectors.joining(", ")) + ")");
            }
            apps.checkLimit(steps.stream().filter(st -> apps.idsOf(st.app()).isEmpty()).map(st -> st.next().spec()).toList());
            return applied(steps, warnings, notes);
        }
        if (s.envName() != null) {
            warnings.add("--env " + s.envName() + ": selects the env_" + s.envName() + " block of an ecosystem file;"
                    + " " + s.target() + " is not one, so it is ignored (set variables in the shell that runs herd start)");
        }
        if (s.only() != null) {
            warnings.add("--only picks apps of an ecosystem file: ignored for " + s.target());
        }
        if (!Files.exists(cwd.resolve(s.target())) && targets.isKnown(s.target())) {
            // herd start a b c: every word names an app, id or namespace, as PM2 takes several.
            List<String> named = new ArrayList<>();
            named.add(s.target());
            named.addAll(s.args());
            Targets.Selection selection = targets.select(named, null, s.env(), null, null);
            if (s.triggers() != null && s.triggers().any()) {
                // herd start app --watch: its watching turns on (again, after herd stop --watch).
                List<String> names = apps.appsOf(selection.allIds(apps));
                for (AppSpec spec : apps.supervisor().apps()) {
                    if (names.contains(spec.name())) {
                        apps.redefine(s.triggers().applyTo(spec));
                    }
                }
            }
            return applied(rollouts.plan(selection, s.env(), null, s.updateEnv()), warnings, notes);
        }
        LoadedApps loaded = loader.fromCommand(new StartCommand(s.target(), cwd, s.name(), s.instances(),
                s.args(), s.interpreter(), s.interpreterArgs(), s.env(), s.port(), s.maxMemory(), s.logs(),
                s.triggers(), s.namespace(), s.autorestart(), s.autostart(), s.policies(), s.socket()));
        warnings.addAll(loaded.warnings());
        notes.addAll(loaded.notes());
        notes.addAll(socketNotes(loaded));
        AppSpec spec = loaded.apps().get(0);
        List<Integer> existing = apps.idsOf(spec.name());
        if (existing.isEmpty()) {
            apps.add(loaded.apps(), loaded.clusters());
            return new StartReply(spec.autostart() ? List.of(spec.name()) : List.of(), List.of(),
                    spec.autostart() ? List.of() : List.of(spec.name() + ": added, not started (--no-autostart; herd start "
                            + spec.name() + " starts it)"), warnings, notes);
        }
        return startAgain(spec, existing, s, warnings, notes);
    }

    /**
     * {@code herd start nonl.py} where an app {@code nonl} exists: PM2 starts it again when it runs
     * that script and is stopped, and refuses when it runs ("Script already launched").
     */
    private StartReply startAgain(AppSpec spec, List<Integer> ids, Request.Start s, List<String> warnings,
                                  List<String> notes) throws HerdException, ConfigException {
        AppSpec current = apps.supervisor().apps().stream().filter(a -> a.name().equals(spec.name())).findFirst()
                .orElseThrow();
        if (!current.script().equals(spec.script())) {
            throw new HerdException("an app named '" + spec.name() + "' exists already and runs " + current.script()
                    + ": --name gives this one another name");
        }
        List<InstanceInfo> mine = apps.list().stream().filter(i -> ids.contains(i.id())).toList();
        List<String> running = mine.stream().filter(i -> i.state().isRunning() || i.state() == ProcessState.WAITING_RESTART)
                .map(i -> Integer.toString(i.id())).toList();
        if (!running.isEmpty()) {
            throw new HerdException(spec.name() + " is already launched (ids " + String.join(", ", running) + ", "
                    + current.script() + "): herd restart " + spec.name() + " restarts it");
        }
        Targets.Selection selection = new Targets.Selection(ids, Map.of(), List.of());
        return applied(rollouts.plan(selection, s.env(), null, s.updateEnv()), warnings, notes);
    }

    /** Runs restart steps and says, per app, what was done; their apps' watching and schedules follow. */
    private StartReply applied(List<Rollouts.Step> steps, List<String> warnings, List<String> notes)
            throws HerdException {
        List<String> started = new ArrayList<>();
        List<String> restarted = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (Rollouts.Step step : steps) {
            boolean fresh = apps.idsOf(step.app()).isEmpty();
            boolean wasRunning = apps.list().stream().anyMatch(i -> i.app().equals(step.app()) && i.state().isRunning());
            List<StreamItem> items = new ArrayList<>();
            Map<Integer, ExitRecord> exits = KillNotes.newestExits(instancesOf(step.app()));
            String failure = rollouts.apply(step, Rollouts.Mode.RESTART, items::add);
            List<String> killed = KillNotes.lines(exits, instancesOf(step.app()));
            if (failure != null) {
                failures.add(failure);
                continue;
            }
            boolean runs = apps.list().stream().anyMatch(i -> i.app().equals(step.app()) && i.state().isRunning());
            if (runs) {
                (fresh || !wasRunning ? started : restarted).add(step.app());
            }
            items.stream().map(StreamItem::text).filter(t -> !Rollouts.PLAIN.contains(t))
                    .forEach(t -> lines.add(step.app() + ": " + t));
            lines.addAll(killed);
        }
        apps.syncTriggers(steps.stream().map(Rollouts.Step::app).toList());
        if (!failures.isEmpty()) {
            throw new HerdException(String.join("; ", failures)
                    + (started.isEmpty() && restarted.isEmpty() ? "" : " (done: " + String.join(", ", started)
                    + (started.isEmpty() || restarted.isEmpty() ? "" : ", ") + String.join(", ", restarted) + ")"));
        }
        return new StartReply(started, restarted, lines, warnings, notes);
    }

    /** {@code restart}: what the targets name, each app by its file's new definition or a new environment where asked. */
    private StartReply restart(Request.Restart r) throws HerdException, ConfigException {
        Targets.Selection selection = targets.select(r.targets(), r.cwd(), r.env(), r.envName(), r.only());
        List<Rollouts.Step> steps = rollouts.plan(selection, r.env(), r.envName(), r.updateEnv());
        if (steps.isEmpty()) {
            throw new HerdException("nothing to restart");
        }
        List<String> warnings = new ArrayList<>(selection.warnings());
        return applied(steps, warnings, List.of());
    }

    /** The instances of what a stop or delete names: a file's apps that herd runs (none of them is an error). */
    private List<Integer> running(Targets.Selection s) throws HerdException {
        List<Integer> ids = s.allIds(apps);
        if (ids.isEmpty()) {
            throw new HerdException("no app of the file runs here (its apps: " + String.join(", ", s.files().keySet()) + ")");
        }
        return ids;
    }

    /** Ids, names, namespaces or all, each checked before anything is done. */
    private List<Integer> plainIds(List<String> named) throws HerdException {
        Set<Integer> ids = new LinkedHashSet<>();
        for (String target : named) {
            ids.addAll(targets.ids(target));
        }
        return List.copyOf(ids);
    }

    /** The instances of these ids, as the supervisor has them now. */
    private List<InstanceInfo> infos(List<Integer> ids) {
        return apps.list().stream().filter(i -> ids.contains(i.id())).toList();
    }

    private List<InstanceInfo> instancesOf(String app) {
        return apps.list().stream().filter(i -> i.app().equals(app)).toList();
    }

    private static List<Integer> act(List<Integer> ids, Function<Collection<Integer>, CompletableFuture<Void>> action) {
        action.apply(ids).join();
        return ids;
    }

    private Signalled signal(Request.SendSignal r) throws HerdException {
        Signal signal;
        try {
            signal = Signal.parse(r.signal());
        } catch (IllegalArgumentException e) {
            throw new HerdException(e.getMessage());
        }
        int sent = apps.supervisor().signal(targetIds(r.target()), signal).join();
        if (sent == 0) {
            throw new HerdException("no running instance of '" + r.target() + "' to send " + signal.name() + " to");
        }
        return new Signalled(sent);
    }

    private List<String> flush(Request.Flush r) throws HerdException, IOException {
        Set<Path> files = new LinkedHashSet<>();
        for (InstanceInfo i : select(r.target())) {
            files.add(Path.of(i.outLog()));
            files.add(Path.of(i.errLog()));
            if (i.logFile() != null) {
                files.add(Path.of(i.logFile()));
            }
        }
        files.remove(LogRegistry.DISCARD);
        for (Path f : files) {
            apps.logs().flush(f);
        }
        return files.stream().map(Path::toString).toList();
    }

    /** Writes the list; with no apps, only with {@code --force}, so that a saved list is not lost to an empty one by accident. */
    private Saved save(Request.Save r) throws HerdException, IOException {
        StateStore.Dump dump = apps.dump();
        Path file = home.dumpFile();
        if (dump.apps().isEmpty() && !r.force()) {
            int saved = store.readDump(file).map(d -> d.apps().size()).orElse(0);
            throw new HerdException("nothing to save: herd runs no apps"
                    + (saved > 0 ? ", and " + file + " keeps the " + saved + " app(s) saved before" : "")
                    + " (herd save --force writes an empty list)");
        }
        store.writeDump(file, dump);
        return new Saved(file.toString(), dump.apps().size());
    }

    private Apps.Resurrected resurrect(Request.Resurrect r) throws HerdException {
        Path file = r.fromUpdate() ? home.updateDumpFile() : home.dumpFile();
        StateStore.Dump dump = store.readDump(file).orElseThrow(() -> new HerdException(
                "nothing to resurrect: " + file + " does not exist (run 'herd save' first)"));
        Apps.Resurrected done = apps.resurrect(dump, r.fromUpdate() ? handedOver(r.handoff()) : List.of());
        if (r.fromUpdate()) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("cannot delete {}: {}", file, e.getMessage());
            }
        }
        return done;
    }

    /**
     * The public sockets the last daemon handed to the update's relay; none when it handed none or
     * they cannot be taken, and the ports are then bound again.
     */
    private static List<InheritedListeners.Listener> handedOver(String relay) {
        if (relay == null) {
            return List.of();
        }
        try {
            List<InheritedListeners.Listener> l = SocketHandoff.receive(Path.of(relay), HANDOFF_WAIT);
            log.info("took over {} public socket(s) from the last daemon: {}", l.size(),
                    l.stream().map(x -> x.app() + " " + x.host() + ":" + x.port()).toList());
            return l;
        } catch (IOException | RuntimeException e) {
            log.error("cannot take the public sockets the last daemon handed over ({}); binding the ports again",
                    String.valueOf(e.getMessage()));
            return List.of();
        }
    }

    private static final java.time.Duration HANDOFF_WAIT = java.time.Duration.ofSeconds(10);

    /** The list, with memory figures even for instances started since the last periodic sample. */
    private List<InstanceInfo> sampledList() {
        return sampled(apps.list());
    }

    /** These instances, their memory figures sampled first if some started since the last periodic sample. */
    private List<InstanceInfo> sampled(List<InstanceInfo> list) {
        List<Long> pids = ResourceSampler.runningPids(list);
        if (!sampler.knows(pids)) {
            sampler.sample(pids, System.nanoTime());
        }
        return list;
    }

    /**
     * Where {@code list} says an instance stands: a ready one the balancer passes over (its health
     * checks failed: frozen, stalled, answering errors) is {@code unhealthy}, since "ready" would
     * hide why it gets no traffic.
     */
    static String poolLabel(dev.herd.cluster.ClusterApp.Member m, Set<Integer> unhealthy) {
        return m.place() == dev.herd.cluster.ClusterApp.Place.READY && unhealthy.contains(m.id()) ? "unhealthy"
                : m.place().label();
    }

    private static InstanceView.Traffic traffic(TrafficStats t) {
        if (t == null) {
            return InstanceView.Traffic.NONE;
        }
        return new InstanceView.Traffic(t.requests(), t.inFlight(), t.errorCount(), t.windowNanos() / 1e9,
                t.requestsPerSecond(), t.errorsPerSecond(), t.p50Millis(), t.p99Millis());
    }

    private static InstanceView.Logging logging(InstanceInfo i) {
        LogPolicy p = i.spec().logs();
        return new InstanceView.Logging(i.logFile(), p.dateFormat(), p.json(), p.maxSize(), p.retain());
    }

    /** @param details with each instance's definition and environment ({@code describe}), or without ({@code list}) */
    private List<InstanceView> views(List<InstanceInfo> infos, boolean details) {
        Map<Integer, InstanceView.Cluster> places = new HashMap<>();
        apps.clusters().forEach((name, c) -> {
            Map<Integer, TrafficStats> traffic = c.traffic().join();
            Set<Integer> unhealthy = c.unhealthy().join();
            c.members().join().forEach(m -> places.put(m.id(), new InstanceView.Cluster(c.cluster().port(), m.port(),
                    poolLabel(m, unhealthy), c.lastOutcome(), traffic(traffic.get(m.id())),
                    c.cluster().sharing().name().toLowerCase(java.util.Locale.ROOT))));
        });
        // The app's definition, which herd stop --watch changes, rather than each instance's copy.
        Map<String, AppSpec> specs = new HashMap<>();
        apps.supervisor().apps().forEach(a -> specs.put(a.name(), a));
        return infos.stream().map(i -> {
            ResourceSampler.Usage u = i.pid() > 0 ? sampler.of(i.pid()) : ResourceSampler.Usage.NONE;
            InstanceView.Cluster place = places.get(i.id());
            String mode = place != null ? "cluster" : i.spec().sharesListens() ? sharedMode(i.app()) : "fork";
            return new InstanceView(i.id(), i.app(), i.index(), mode, i.pid(),
                    i.state().label(), i.restarts(), i.unstableRestarts(), i.uptimeMillis(), i.startedAtMillis(),
                    u.cpuPercent(), u.memoryBytes(), i.plan().command(), i.spec().cwd().toString(), i.outLog(),
                    i.errLog(), i.droppedLogLines(), i.lastReason(), i.lastExits(), place,
                    i.spec().memoryLimit() == null ? 0 : i.spec().memoryLimit().maxBytes(), logging(i),
                    triggersOf(specs.getOrDefault(i.app(), i.spec())), i.spec().namespace(), i.createdAtMillis(),
                    details ? details(i) : null);
        }).toList();
    }

    /**
     * The mode of an app whose instances share their listens: {@code shared}, and the ports herd
     * binds for them once they have listened ({@code shared :3000,9100}).
     */
    private String sharedMode(String app) {
        List<java.net.InetSocketAddress> ports = apps.sharedPorts(app);
        return ports.isEmpty() ? "shared" : "shared :" + String.join(",",
                ports.stream().map(a -> Integer.toString(a.getPort())).distinct().toList());
    }

    /** An app's watch and cron schedule as {@code describe} shows them, or null when it has neither. */
    private InstanceView.Triggers triggersOf(AppSpec spec) {
        RestartTriggers t = spec.triggers();
        if (t.watch() == null && t.cron() == null) {
            return null;
        }
        Optional<Triggers.Status> now = apps.triggers(spec.name());
        WatchSpec w = t.watch();
        String state = null;
        List<String> ignored = List.of();
        if (w != null) {
            boolean watching = now.map(st -> !st.watching().isEmpty()).orElse(false);
            state = !w.active() ? "off" : watching ? "watching" : now.isPresent() ? "failed" : "stopped";
            ignored = watching ? now.get().ignored() : w.ignore();
        }
        long next = now.map(Triggers.Status::nextCron).map(java.time.Instant::toEpochMilli).orElse(0L);
        return new InstanceView.Triggers(w == null ? List.of() : w.paths(), state, ignored,
                w == null ? 0 : Math.max(w.delay().toMillis(), WatchSpec.MIN_DELAY.toMillis()), t.cron(), next);
    }

    private static InstanceView.Details details(InstanceInfo i) {
        AppSpec spec = i.spec();
        return new InstanceView.Details(spec.script().toString(),
                spec.interpreter() == null ? null : spec.interpreter().toString(), spec.interpreterArgs(), spec.args(),
                spec.instances(), spec.restart().autorestart(), spec.source() == null ? null : spec.source().toString(),
                new TreeMap<>(spec.ownEnv()), new TreeMap<>(i.env()), spec.restart().maxRestarts(),
                spec.restart().minUptime().toMillis(), spec.stop().killSignal().name(), spec.stop().killTimeout().toMillis());
    }

    /** Where a streamed command's answer and steps go; a client that left does not stop the command. */
    interface Stream {
        /** The command was accepted: its first answer. */
        void begin(Object body);

        /** One step. */
        void item(StreamItem item);
    }

    /**
     * Runs a streamed command ({@code reload}, {@code scale}): a mistake in the request is thrown
     * before anything is touched; then each step goes to {@code out}, and a last item says how it
     * ended.
     */
    void stream(Request request, Stream out) throws HerdException {
        try {
            if (request instanceof Request.Reload r) {
                rollouts.reload(r, out);
            } else if (request instanceof Request.Scale r) {
                rollouts.scale(r, out);
            } else {
                throw new HerdException("this daemon does not stream " + request.getClass().getSimpleName());
            }
        } catch (HerdException e) {
            throw e;
        } catch (ConfigException e) {
            throw new HerdException(e.getMessage());
        } catch (RuntimeException e) {
            Throwable cause = Supervisor.cause(e);
            if (cause instanceof IllegalArgumentException || cause instanceof IllegalStateException) {
                throw new HerdException(cause.getMessage());
            }
            log.error("{} failed", request, cause);
            throw new HerdException("internal error: " + cause + " (see " + home.daemonLog() + ")");
        } finally {
            store.awaitRecorded();
        }
    }

    /** The instances a target names, in id order. */
    List<InstanceInfo> select(String target) throws HerdException {
        Set<Integer> ids = new LinkedHashSet<>(targetIds(target));
        return apps.list().stream().filter(i -> ids.contains(i.id())).toList();
    }

    /** An id, an app name, a namespace or {@code all}; anything else is an error that lists what is known. */
    List<Integer> targetIds(String target) throws HerdException {
        return targets.ids(target);
    }

    /** @param pid the daemon's pid ({@code ping}, {@code kill}) */
    record Pid(long pid) {
    }

    /**
     * @param started   apps started (added, or stopped before)
     * @param restarted apps that ran and were restarted
     * @param lines     what was done beyond a plain start or restart, one line each ({@code app: text})
     * @param warnings  one line each, about the apps' definitions
     * @param notes     one line each, what herd chose where the definitions leave it open
     */
    record StartReply(List<String> started, List<String> restarted, List<String> lines, List<String> warnings,
                      List<String> notes) {
    }

    /**
     * What a {@code stop} or {@code delete} did.
     *
     * @param ids    the instances it stopped
     * @param killed one line per instance that its stop signal did not end within kill_timeout
     */
    record Stopped(List<Integer> ids, List<String> killed) {
    }

    /** @param sent how many instances were signalled */
    record Signalled(int sent) {
    }

    /**
     * @param file the file written
     * @param apps how many apps it holds
     */
    record Saved(String file, int apps) {
    }
}
