package dev.herd.config;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.AppSpec;
import java.util.List;
import java.util.Map;

/**
 * The apps of one ecosystem file or start command, in the order written, and the warnings to show
 * the user (fields herd ignores, cluster mode running as fork mode). Warnings are never errors:
 * every app here is valid.
 *
 * @param apps     at least one app, names unique
 * @param clusters the cluster apps' public ports and balancers, by app name; fork-mode apps are
 *                 not in it
 * @param warnings one line each, such as {@code apps[0].vizion: herd does not track versions, ignored}
 * @param notes    what herd chose where the file leaves it open, and why, one line each, such as
 *                 {@code apps[0]: cluster mode, as PM2 runs a Node app with instances...}
 */
public record LoadedApps(List<AppSpec> apps, Map<String, ClusterSpec> clusters, List<String> warnings,
                         List<String> notes) {

    public LoadedApps {
        apps = List.copyOf(apps);
        clusters = Map.copyOf(clusters);
        warnings = List.copyOf(warnings);
        notes = List.copyOf(notes);
    }

    /** Apps with nothing to note. */
    public LoadedApps(List<AppSpec> apps, Map<String, ClusterSpec> clusters, List<String> warnings) {
        this(apps, clusters, warnings, List.of());
    }

    /** Fork-mode apps only. */
    public LoadedApps(List<AppSpec> apps, List<String> warnings) {
        this(apps, Map.of(), warnings);
    }

    /** The app's cluster spec, or {@code null} if it runs in fork mode. */
    public ClusterSpec clusterOf(String app) {
        return clusters.get(app);
    }
}
