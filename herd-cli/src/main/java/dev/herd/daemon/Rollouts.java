package dev.herd.daemon;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.herd.cluster.ClusterApp;
import dev.herd.cluster.ClusterSpec;
import dev.herd.config.ConfigException;
import dev.herd.config.EcosystemLoader;
import dev.herd.config.LoadedApps;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.Supervisor;

/**
 * The streamed commands that change which instances serve: {@code reload} (a cluster app's
 * rolling replacement, a fork-mode app's restart; a file read again first) and {@code scale}.
 * Each step goes out as it happens, and a last item says how it ended.
 */
final class Rollouts {

    private final Apps apps;
    private final EcosystemLoader loader;
    private final Commands targets;

    /**
     * @param apps    what they act on
     * @param loader  reads a reloaded ecosystem file
     * @param targets resolves what the user typed to instances
     */
    Rollouts(Apps apps, EcosystemLoader loader, Commands targets) {
        this.apps = apps;
        this.loader = loader;
        this.targets = targets;
    }

    void reload(Request.Reload r, Commands.Stream out) throws HerdException, ConfigException {
        List<String> names;
        LoadedApps loaded = null;
        if (EcosystemLoader.isEcosystemFile(r.target())) {
            // Read and checked before anything is touched: a file with a mistake leaves every app serving.
            loaded = loader.load(Path.of(r.cwd()).resolve(r.target()), r.env(), r.envName(), null);
            names = loaded.apps().stream().map(AppSpec::name).toList();
        } else {
            Set<Integer> ids = new LinkedHashSet<>(targets.targetIds(r.target(), r.cwd()));
            names = apps.list().stream().filter(i -> ids.contains(i.id())).map(InstanceInfo::app).distinct().toList();
        }
        List<AppSpec> fresh = loaded == null ? List.of()
                : loaded.apps().stream().filter(a -> apps.idsOf(a.name()).isEmpty()).toList();
        apps.checkLimit(fresh);
        out.begin(new ReloadReply(names));
        List<String> failures = new ArrayList<>();
        for (String name : names) {
            AppSpec next = loaded == null ? null
                    : loaded.apps().stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow();
            String failure = reloadOne(name, next, loaded == null ? null : loaded.clusterOf(name), out);
            if (failure != null) {
                failures.add(failure);
            }
        }
        // A file read again may have changed what is watched or when the schedule fires.
        apps.syncTriggers(names);
        out.item(done(failures));
    }

    /** Reloads one app; returns why it failed, or null. */
    private String reloadOne(String name, AppSpec next, ClusterSpec nextCluster, Commands.Stream out) {
        try {
            if (apps.idsOf(name).isEmpty()) {
                apps.add(List.of(next), nextCluster == null ? Map.of() : Map.of(name, nextCluster));
                out.item(progress(name, -1, "started", "not running before: started"));
                return null;
            }
            Optional<ClusterApp> cluster = apps.cluster(name);
            if (cluster.isPresent()) {
                ClusterApp c = cluster.get();
                if (next != null && (nextCluster == null || nextCluster.port() != c.cluster().port()
                        || !nextCluster.host().equals(c.cluster().host()))) {
                    return name + ": its public address changed in the file (" + c.cluster().host() + ":"
                            + c.cluster().port() + " -> " + (nextCluster == null ? "fork mode" : nextCluster.host()
                            + ":" + nextCluster.port()) + "); delete it and start it again to apply that";
                }
                AppSpec version = next != null ? next : c.spec().join();
                ClusterApp.Outcome o = c.reload(version, nextCluster,
                        p -> out.item(progress(name, p.index(), p.step(), p.text()))).join();
                if (!o.succeeded()) {
                    return o.failure();
                }
                if (next != null && next.instances() != apps.idsOf(name).size()) {
                    apps.checkScale(name, next.instances());
                    ClusterApp.Outcome s = c.scale(next.instances(), p -> out.item(progress(name, p.index(), p.step(),
                            p.text()))).join();
                    return s.succeeded() ? null : s.failure();
                }
                return null;
            }
            List<Integer> ids = apps.idsOf(name);
            if (next != null && !apps.supervisor().apps().contains(next)) {
                // A fork-mode app whose definition changed: replaced by the new one, stop then start.
                apps.supervisor().delete(ids).join();
                apps.deleted(ids);
                apps.add(List.of(next), nextCluster == null ? Map.of() : Map.of(name, nextCluster));
                out.item(progress(name, -1, "restarted", "fork mode, stopped and started with its new"
                        + " definition"));
                return null;
            }
            AppSpec current = apps.supervisor().apps().stream().filter(a -> a.name().equals(name)).findFirst()
                    .orElseThrow();
            if (current.waitReady() != null) {
                return restartOneByOne(name, ids, out);
            }
            apps.supervisor().restart(ids).join();
            out.item(progress(name, -1, "restarted", "fork mode, stopped then started (a public port"
                    + " makes a reload rolling: exec_mode: cluster)"));
            return null;
        } catch (HerdException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            return name + ": " + Supervisor.cause(e).getMessage();
        }
    }

    /**
     * A fork-mode app that says when it is ready ({@code wait_ready}): each instance restarted
     * once the one before it is online again, as PM2's reload waits for {@code 'ready'}, so the
     * others keep working meanwhile.
     *
     * @return why it failed (an instance that ended instead of getting ready), or null
     */
    private String restartOneByOne(String name, List<Integer> ids, Commands.Stream out) {
        for (InstanceInfo before : apps.list().stream().filter(i -> ids.contains(i.id()))
                .sorted(java.util.Comparator.comparingInt(InstanceInfo::index)).toList()) {
            apps.supervisor().restart(List.of(before.id())).join();
            apps.supervisor().settled(before.id()).join();
            InstanceInfo after = apps.supervisor().info(before.id()).join().orElseThrow();
            String line = "instance " + before.index() + ": new pid " + after.pid() + ", " + after.lastReason();
            if (after.state() != dev.herd.supervisor.ProcessState.ONLINE) {
                out.item(progress(name, before.index(), "failed", line));
                return name + "[" + before.index() + "]: " + after.state().label() + ": " + after.lastReason();
            }
            out.item(progress(name, before.index(), "ready", line));
        }
        return null;
    }

    void scale(Request.Scale r, Commands.Stream out) throws HerdException {
        List<Integer> ids = apps.idsOf(r.app());
        if (ids.isEmpty()) {
            targets.targetIds(r.app());
            throw new HerdException("'" + r.app() + "' is an id: scale takes an app's name");
        }
        int target = scaleTarget(r.count(), ids.size(), Runtime.getRuntime().availableProcessors(), r.app());
        apps.checkScale(r.app(), target);
        out.begin(new ReloadReply(List.of(r.app())));
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

    /** @param apps the apps a reload or scale acts on, in order */
    record ReloadReply(List<String> apps) {
    }
}
