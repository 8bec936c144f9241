package dev.herd.diagnostics;

import java.util.List;

import dev.herd.daemon.InstanceView;

/** Instances as the daemon describes them, with only what the diagnostics read. */
final class Views {

    private Views() {
    }

    static InstanceView instance(String name, int index, int id, long pid, List<String> command) {
        return new InstanceView(id, name, index, "fork", pid, pid > 0 ? "online" : "stopped", 0, 0, 0, 0, 0, 0, command,
                "/srv", "/logs/" + name + "-out.log", "/logs/" + name + "-error.log", 0, "started", List.of(), null, 0);
    }

    static InstanceView instance(String name, int index, int id, long pid) {
        return instance(name, index, id, pid, List.of("java", "-jar", "app.jar"));
    }
}
