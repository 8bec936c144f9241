package dev.herd.monit;

import java.util.List;

import dev.herd.daemon.InstanceView;
import dev.herd.supervisor.ExitRecord;

/** Instances as the daemon's list would carry them, for tests. */
final class Views {

    private Views() {
    }

    static InstanceView fork(int id, String name, int index) {
        return new InstanceView(id, name, index, "fork", 1000 + id, "online", 0, 0, 65_000, 1, 1.5, 20L << 20,
                List.of("bash", "app.sh"), "/w", "/w/out.log", "/w/err.log", 0, "started", List.of(), null, 0);
    }

    static InstanceView withFigures(InstanceView v, double cpu, long memory) {
        return new InstanceView(v.id(), v.name(), v.index(), v.mode(), v.pid(), v.status(), v.restarts(),
                v.unstableRestarts(), v.uptimeMillis(), v.startedAt(), cpu, memory, v.command(), v.cwd(), v.outLog(),
                v.errLog(), v.droppedLogLines(), v.lastReason(), v.lastExits(), v.cluster(), v.memoryLimitBytes(), v.logging(),
                v.triggers(), v.namespace(), v.createdAt(), v.details());
    }

    static InstanceView cluster(int id, String name, int index, List<ExitRecord> exits) {
        return new InstanceView(id, name, index, "cluster", 2000 + id, "online", 2, 1, 3_600_000, 1, 12.5, 300L << 20,
                List.of("java", "-jar", "api.jar"), "/w", "/w/out.log", "/w/err.log", 0, "reloaded", exits,
                new InstanceView.Cluster(8000, 20001 + index, "ready", "reload of api done",
                        new InstanceView.Traffic(1200, 3, 2, 10, 41.5, 0.2, 1.2, 18.4)), 0);
    }

    static InstanceView stopped(int id, String name, int index) {
        return new InstanceView(id, name, index, "fork", 0, "stopped", 0, 0, 0, 0, 0, 0,
                List.of("bash", "app.sh"), "/w", "/w/out.log", "/w/err.log", 0, "stopped by request", List.of(), null, 0);
    }
}
