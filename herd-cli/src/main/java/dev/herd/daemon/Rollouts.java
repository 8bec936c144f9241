package dev.herd.daemon;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

import dev.herd.cluster.ClusterApp;
import dev.herd.cluster.ClusterSpec;
import dev.herd.config.ConfigException;
import dev.herd.config.EcosystemLoader;
import dev.herd.config.LoadedApps;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.Supervisor;

/**
 * The commands that change which instances serve and by which definition: {@code reload} (a
 * cluster app's rolling replacement, a fork-mode app's restart; a file read again first) and
 * {@code scale}, streamed: each step goes out as it happens, and a last item says how it ended;
 * and the restarts that bring apps to a new definition (a file's, or a new environment), whose
 * steps {@code restart} and {@code start} answer with.
 */
final class Rollouts {

    private final Apps apps;
    private final EcosystemLoader loader;
    private final Targets targets;

    /**
     * @param apps    what they act on
     * @param loader  reads an app's ecosystem file again for {@code --env}
     * @param targets resolves what the user typed to instances
     */
    Rollouts(Apps apps, EcosystemLoader loader, Targets targets) {
        this.apps = apps;
        this.loader = loader;
        this.targets = targets;
    }

    private static final String RESTARTED = "stopped then started";
    private static final String STARTED = "not running before: started";
    /** What an app's step says when it was only restarted, or only started: nothing to add to "restarted X". */
    static final Set<String> PLAIN = Set.of(RESTARTED, STARTED);

    /** How a command brings an app to its definition. */
    enum Mode {
        /** Stop, then start: every instance at once ({@code restart}, {@code start} of a file). */
        RESTART,
        /** Cluster mode: one instance at a time, without a failed request; fork mode: restart. */
        RELOAD
    }

    /**
     * One app a command acts on.
     *
     * @param app      its name
     * @param ids      the instances named, or null for every one (and for an app herd does not run yet)
     * @param next     the definition it is to take, or null to keep its own
     * @param fromFile whether {@code next} comes from a file the user named: an {@code autostart: false}
     *                 app that does not run is then left stopped
     */
    record Step(String app, List<Integer> ids, Targets.Definition next, boolean fromFile) {
    }

    /**
     * The steps of a restart or reload of what {@code s} names: a file's apps take its
     * definitions; the other apps take a new one when {@code envName} (read again from the file
     * each came from) or {@code updateEnv} (the client's environment, their own variables over it)
     * asks. Everything is checked here, before anything is done.
     */
    List<Step> plan(Targets.Selection s, Map<String, String> env, String envName, boolean updateEnv)
            throws HerdException, ConfigException {
        List<Step> steps = new ArrayList<>();
        s.files().forEach((name, definition) -> steps.add(new Step(name, null, definition, true)));
        Map<String, List<Integer>> byApp = new LinkedHashMap<>();
        Map<Integer, InstanceInfo> infos = new LinkedHashMap<>();
        apps.list().forEach(i -> infos.put(i.id(), i));
        for (int id : s.ids()) {
            InstanceInfo i = infos.get(id);
            if (i != null && !s.files().containsKey(i.app())) {
                byApp.computeIfAbsent(i.app(), a -> new ArrayList<>()).add(id);
            }
        }
        Map<Path, LoadedApps> reread = new LinkedHashMap<>();
        for (Map.Entry<String, List<Integer>> e : byApp.entrySet()) {
            String name = e.getKey();
            Targets.Definition next = null;
            if (envName != null) {
                AppSpec current = definition(name);
                if (current.source() == null) {
                    throw new HerdException(name + " was started from the command line, not from an ecosystem file:"
                            + " --env " + envName + " needs the file (herd restart <file> --env " + envName + ")");
                }
                LoadedApps loaded = reread.get(current.source());
                if (loaded == null) {
                    loaded = loader.load(current.source(), env, envName, null);
                    reread.put(current.source(), loaded);
                }
                AppSpec spec = loaded.apps().stream().filter(a -> a.name().equals(name)).findFirst()
                        .orElseThrow(() -> new HerdException(name + ": " + current.source() + " no longer defines it"));
                next = new Targets.Definition(spec, loaded.clusterOf(name));
            } else if (updateEnv) {
                AppSpec current = definition(name);
                Map<String, String> fresh = new LinkedHashMap<>(env);
                fresh.putAll(current.ownEnv());
                next = new Targets.Definition(current.withEnv(fresh), apps.cluster(name).map(ClusterApp::cluster).orElse(null));
            }
            steps.add(new Step(name, e.getValue(), next, false));
        }
        apps.checkLimit(steps.stream().filter(st -> apps.idsOf(st.app()).isEmpty()).map(st -> st.next().spec()).toList());
        return steps;
    }

    /** The app's definition now: the one its next instances run. */
    private AppSpec definition(String name) {
        Optional<ClusterApp> cluster = apps.cluster(name);
        return cluster.isPresent() ? cluster.get().spec().join()
                : apps.supervisor().apps().stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow();
    }

    void reload(Request.Reload r, Commands.Stream out) throws HerdException, ConfigException {
        // Read and checked before anything is touched: a file with a mistake leaves every app serving.
        Targets.Selection s = targets.select(r.targets(), r.cwd(), r.env(), r.envName(), r.only());
        List<Step> steps = plan(s, r.env(), r.envName(), r.updateEnv());
        out.begin(new ReloadReply(steps.stream().map(Step::app).toList(), s.warnings()));
        List<String> failures = new ArrayList<>();
        for (Step step : steps) {
            String failure = apply(step, Mode.RELOAD, out::item);
            if (failure != null) {
                failures.add(failure);
            }
        }
        // A file read again may have changed what is watched or when the schedule fires.
        apps.syncTriggers(steps.stream().map(Step::app).toList());
        out.item(done(failures));
    }

    /**
     * Brings one app to its step's definition by {@code mode}, telling {@code out} what it did.
     *
     * @return why it failed, or null
     */
    String apply(Step step, Mode mode, Consumer<StreamItem> out) {
        String name = step.app();
        Targets.Definition next = step.next();
        try {
            if (apps.idsOf(name).isEmpty()) {
                apps.add(List.of(next.spec()), next.cluster() == null ? Map.of() : Map.of(name, next.cluster()));
                out.accept(progress(name, -1, "started", next.spec().autostart() ? STARTED
                        : "added, not started (autostart: false; herd start " + name + " starts it)"));
                return null;
            }
            List<Integer> all = apps.idsOf(name);
            List<Integer> ids = step.ids() == null ? all : step.ids();
            boolean running = apps.list().stream().anyMatch(i -> all.contains(i.id()) && i.state().isRunning());
            boolean changed = next != null && changed(name, next);
            if (step.fromFile() && !next.spec().autostart() && !running) {
                if (changed) {
                    replace(name, next, false);
                }
                out.accept(progress(name, -1, "stopped", "left stopped (autostart: false; herd start " + name
                        + " starts it)" + (changed ? ", with its new definition" : "")));
                return null;
            }
            Optional<ClusterApp> cluster = apps.cluster(name);
            if (cluster.isPresent()) {
                return applyCluster(name, cluster.get(), ids, changed ? next : null, mode, running, out);
            }
            if (!changed) {
                AppSpec spec = definition(name);
                if (mode == Mode.RELOAD && running && (spec.waitReady() != null || spec.sharesListens())) {
                    return restartOneByOne(name, ids, out);
                }
                restartOrStart(ids);
                out.accept(progress(name, -1, "restarted", mode == Mode.RELOAD
                        ? "fork mode, stopped then started (a public port makes a reload rolling: exec_mode: cluster)"
                        : RESTARTED));
                return null;
            }
            AppSpec current = definition(name);
            if (next.cluster() == null && next.spec().instances() == all.size() && next.spec().logs().equals(current.logs())) {
                apps.supervisor().restartAs(ids, next.spec()).join();
                out.accept(progress(name, -1, "restarted", "stopped, then started with its new definition"));
                return null;
            }
            replace(name, next, true);
            out.accept(progress(name, -1, "restarted", "stopped, then started with its new definition (new ids "
                    + apps.idsOf(name) + ")"));
            return null;
        } catch (HerdException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            return name + ": " + Supervisor.cause(e).getMessage();
        }
    }

    /**
     * A fork-mode app that says when it is ready ({@code wait_ready}), or whose instances share
     * their listens through herd: each instance restarted once the one before it is online again,
     * as PM2's reload waits for {@code 'ready'}, so the others keep working (and accepting from
     * the shared sockets) meanwhile.
     *
     * @return why it failed (an instance that ended instead of getting ready), or null
     */
    private String restartOneByOne(String name, List<Integer> ids, Consumer<StreamItem> out) {
        for (InstanceInfo before : apps.list().stream().filter(i -> ids.contains(i.id()))
                .sorted(java.util.Comparator.comparingInt(InstanceInfo::index)).toList()) {
            apps.supervisor().restart(List.of(before.id())).join();
            apps.supervisor().settled(before.id()).join();
            InstanceInfo after = apps.supervisor().info(before.id()).join().orElseThrow();
            String line = "instance " + before.index() + ": new pid " + after.pid() + ", " + after.lastReason();
            if (after.state() != dev.herd.supervisor.ProcessState.ONLINE) {
                out.accept(progress(name, before.index(), "failed", line));
                return name + "[" + before.index() + "]: " + after.state().label() + ": " + after.lastReason();
            }
            out.accept(progress(name, before.index(), "ready", line));
        }
        return null;
    }

    /** A cluster app: restarted, rolled to its new definition, or (not running) replaced by it. */
    private String applyCluster(String name, ClusterApp c, List<Integer> ids, Targets.Definition next, Mode mode,
                                boolean running, Consumer<StreamItem> out) throws HerdException {
        if (next != null && (next.cluster() == null || next.cluster().port() != c.cluster().port()
                || !next.cluster().host().equals(c.cluster().host()))) {
            return name + ": its public address changed in the file (" + c.cluster().host() + ":"
                    + c.cluster().port() + " -> " + (next.cluster() == null ? "fork mode" : next.cluster().host()
                    + ":" + next.cluster().port()) + "); delete it and start it again to apply that";
        }
        if (mode == Mode.RESTART && next == null) {
            restartOrStart(ids);
            out.accept(progress(name, -1, "restarted", RESTARTED));
            return null;
        }
        if (mode == Mode.RESTART && !running) {
            replace(name, next, true);
            out.accept(progress(name, -1, "started", "started with its new definition"));
            return null;
        }
        // A cluster app rolls to a new definition even on restart: no request fails.
        AppSpec version = next != null ? next.spec() : c.spec().join();
        ClusterApp.Outcome o = c.reload(version, next == null ? null : next.cluster(),
                p -> out.accept(progress(name, p.index(), p.step(), p.text()))).join();
        if (!o.succeeded()) {
            return o.failure();
        }
        if (next != null && next.spec().instances() != apps.idsOf(name).size()) {
            apps.checkScale(name, next.spec().instances());
            ClusterApp.Outcome s = c.scale(next.spec().instances(), p -> out.accept(progress(name, p.index(), p.step(),
                    p.text()))).join();
            return s.succeeded() ? null : s.failure();
        }
        return null;
    }

    /**
     * Restarts the instances that run and starts the others, as PM2's restart: a restart count
     * goes up only for one that ran.
     */
    private void restartOrStart(List<Integer> ids) {
        List<Integer> running = apps.list().stream().filter(i -> ids.contains(i.id()) && i.state().isRunning())
                .map(InstanceInfo::id).toList();
        apps.supervisor().restart(running).join();
        apps.supervisor().start(ids.stream().filter(id -> !running.contains(id)).toList()).join();
    }

    /** Whether {@code next} differs from what the app is now. */
    private boolean changed(String name, Targets.Definition next) {
        ClusterSpec cluster = apps.cluster(name).map(ClusterApp::cluster).orElse(null);
        return !definition(name).equals(next.spec()) || !Objects.equals(cluster, next.cluster());
    }

    /** Deletes the app and adds it again by {@code next}: new ids, started or not. */
    private void replace(String name, Targets.Definition next, boolean start) throws HerdException {
        List<Integer> ids = apps.idsOf(name);
        apps.supervisor().delete(ids).join();
        apps.deleted(ids);
        apps.add(List.of(next.spec()), next.cluster() == null ? Map.of() : Map.of(name, next.cluster()), start);
    }

    void scale(Request.Scale r, Commands.Stream out) throws HerdException {
        List<Integer> ids = apps.idsOf(r.app());
        if (ids.isEmpty()) {
            targets.ids(r.app());
            throw new HerdException("'" + r.app() + "' is an id: scale takes an app's name");
        }
        int target = scaleTarget(r.count(), ids.size(), Runtime.getRuntime().availableProcessors(), r.app());
        apps.checkScale(r.app(), target);
        out.begin(new ReloadReply(List.of(r.app()), List.of()));
        Optional<ClusterApp> cluster = apps.cluster(r.app());
        String failure;
        if (cluster.isPresent()) {
            try {
                ClusterApp.Outcome o = cluster.get().scale(target, p -> out.item(progress(r.app(), p.index(), p.step(),
                        p.text()))).join();
                failure = o.failure();
            } catch (RuntimeException e) {
                // Refused (a reload of the app runs): said as the end of the stream already begun.
                failure = Supervisor.cause(e).getMessage();
            }
        } else {
            failure = apps.scaleFork(r.app(), target, (index, text) -> out.item(progress(r.app(), index, "scaled", text)));
        }
        out.item(done(failure == null ? List.of() : List.of(failure)));
    }

    /** {@code N}, {@code +N}, {@code -N} (against the current count) or {@code max} (the cores); at least 1. */
    static int scaleTarget(String count, int current, int cores, String app) throws HerdException {
        String c = count.trim();
        long n;
        try {
            n = c.equals("max") ? cores
                    : c.startsWith("+") || c.startsWith("-") ? current + Long.parseLong(c) : Long.parseLong(c);
        } catch (NumberFormatException e) {
            throw new HerdException("scale " + app + ": expected a number, +N, -N or max, got '" + count + "'");
        }
        if (n < 1) {
            throw new HerdException("cannot scale " + app + " to " + n + ": at least 1 instance (herd stop " + app
                    + " stops it)");
        }
        if (n > Integer.MAX_VALUE) {
            throw new HerdException("scale " + app + ": " + count + " is too many");
        }
        return (int) n;
    }

    private static StreamItem progress(String app, int index, String step, String text) {
        return new StreamItem("progress", app, index, -1, step, System.currentTimeMillis(), text);
    }

    private static StreamItem done(List<String> failures) {
        return failures.isEmpty()
                ? new StreamItem("done", null, -1, -1, "ok", System.currentTimeMillis(), "done")
                : new StreamItem("done", null, -1, -1, "failed", System.currentTimeMillis(), String.join("; ", failures));
    }

    /**
     * @param apps     the apps a reload or scale acts on, in order
     * @param warnings what reading the ecosystem files had to say
     */
    record ReloadReply(List<String> apps, List<String> warnings) {
    }
}
