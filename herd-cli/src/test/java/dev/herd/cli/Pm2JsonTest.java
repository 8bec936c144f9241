package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

import dev.herd.daemon.InstanceView;

/** {@code herd jlist} has the fields that tools reading {@code pm2 jlist} use, where they look for them. */
class Pm2JsonTest {

    private static InstanceView view(int id, String status, long pid, String mode, InstanceView.Details details) {
        return new InstanceView(id, "api", id, mode, pid, status, 3, 1, 5000, pid > 0 ? 1_700_000_005_000L : 0, 12.34,
                40L << 20, List.of("/usr/bin/node", "/srv/api.js"), "/srv", "/h/logs/api-out.log", "/h/logs/api-error.log",
                0, "started", List.of(), null, 300L << 20, null, null, "front", 1_700_000_000_000L, details);
    }

    private static final InstanceView.Details DETAILS = new InstanceView.Details("/srv/api.js", "/usr/bin/node",
            List.of("--max-old-space-size=256"), List.of("--port", "3000"), 2, true, "/srv/eco.yml",
            Map.of("NODE_ENV", "production"), Map.of("NODE_ENV", "production", "status", "mine", "PATH", "/bin"), 16, 1000,
            "SIGTERM", 5000);

    @Test
    void anOnlineInstanceHasPm2sFieldsAndItsEnvironmentAtTheTopOfPm2EnvAsInPm2() {
        JsonNode p = Pm2Json.of(List.of(view(0, "online", 4321, "fork", DETAILS))).get(0);

        assertThat(p.path("pid").asLong()).isEqualTo(4321);
        assertThat(p.path("name").asText()).isEqualTo("api");
        assertThat(p.path("pm_id").asInt()).isZero();
        assertThat(p.path("monit").path("memory").asLong()).isEqualTo(40L << 20);
        assertThat(p.path("monit").path("cpu").asDouble()).isEqualTo(12.3);
        JsonNode env = p.path("pm2_env");
        assertThat(env.path("status").asText()).as("herd's own field wins over a variable of that name").isEqualTo("online");
        assertThat(env.path("pm_id").asInt()).isZero();
        assertThat(env.path("namespace").asText()).isEqualTo("front");
        assertThat(env.path("restart_time").asInt()).isEqualTo(3);
        assertThat(env.path("unstable_restarts").asInt()).isEqualTo(1);
        assertThat(env.path("pm_uptime").asLong()).isEqualTo(1_700_000_005_000L);
        assertThat(env.path("created_at").asLong()).isEqualTo(1_700_000_000_000L);
        assertThat(env.path("exec_mode").asText()).isEqualTo("fork_mode");
        assertThat(env.path("instances").asInt()).isEqualTo(2);
        assertThat(env.path("pm_exec_path").asText()).isEqualTo("/srv/api.js");
        assertThat(env.path("pm_cwd").asText()).isEqualTo("/srv");
        assertThat(env.path("exec_interpreter").asText()).isEqualTo("/usr/bin/node");
        assertThat(env.path("node_args").get(0).asText()).isEqualTo("--max-old-space-size=256");
        assertThat(env.path("args")).hasSize(2);
        assertThat(env.path("pm_out_log_path").asText()).isEqualTo("/h/logs/api-out.log");
        assertThat(env.path("pm_err_log_path").asText()).isEqualTo("/h/logs/api-error.log");
        assertThat(env.path("max_memory_restart").asLong()).isEqualTo(300L << 20);
        assertThat(env.path("env").path("PATH").asText()).isEqualTo("/bin");
        assertThat(env.path("NODE_ENV").asText()).isEqualTo("production");
        assertThat(env.path("NODE_APP_INSTANCE").asInt()).isZero();
        assertThat(env.path("axm_monitor").isObject()).isTrue();
    }

    @Test
    void aStoppedOrStartingInstanceReadsAsPm2Says() {
        JsonNode stopped = Pm2Json.of(List.of(view(1, "stopped", 0, "cluster", DETAILS))).get(0);
        JsonNode starting = Pm2Json.of(List.of(view(2, "starting", 99, "cluster", null))).get(0);

        assertThat(stopped.path("pid").asLong()).isZero();
        assertThat(stopped.path("monit").path("memory").asLong()).isZero();
        assertThat(stopped.path("monit").path("cpu").asDouble()).isZero();
        assertThat(stopped.path("pm2_env").path("pm_uptime").asLong()).isEqualTo(1_700_000_000_000L);
        assertThat(stopped.path("pm2_env").path("exec_mode").asText()).isEqualTo("cluster_mode");
        assertThat(starting.path("pm2_env").path("status").asText()).isEqualTo("launching");
        assertThat(starting.path("pm2_env").has("env")).as("no details: no environment").isFalse();
    }
}
