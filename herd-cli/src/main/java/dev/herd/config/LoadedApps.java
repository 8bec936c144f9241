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
 */
public record LoadedApps(List<AppSpec> apps, Map<String, ClusterSpec> clusters, List<String> warnings) {

    public LoadedApps {
        apps = List.copyOf(apps);
        clusters = Map.copyOf(clusters);
        warnings = List.copyOf(warnings);
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
