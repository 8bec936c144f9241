package dev.herd.config;

import dev.herd.supervisor.AppSpec;
import java.util.List;

/**
 * The apps of one ecosystem file or start command, in the order written, and the warnings to show
 * the user (fields herd ignores, cluster mode running as fork mode). Warnings are never errors:
 * every app here is valid.
 *
 * @param apps     at least one app, names unique
 * @param warnings one line each, such as {@code apps[0].watch: not supported by herd yet, ignored}
 */
public record LoadedApps(List<AppSpec> apps, List<String> warnings) {

    public LoadedApps {
        apps = List.copyOf(apps);
        warnings = List.copyOf(warnings);
    }
}
