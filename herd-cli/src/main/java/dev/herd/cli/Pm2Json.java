package dev.herd.cli;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.herd.daemon.InstanceView;

/**
 * The instances in the shape of {@code pm2 jlist}, so that scripts and monitoring tools written
 * for PM2 read herd's: an array of {@code {pid, name, pm_id, monit: {memory, cpu}, pm2_env: {...}}}
 * (PM2's {@code God.getFormatedProcesses} and {@code getMonitorData}). {@code pm2_env} has the
 * fields such tools read ({@code status}, {@code pm_id}, {@code restart_time}, {@code pm_uptime},
 * {@code unstable_restarts}, {@code exec_mode}, {@code instances}, {@code created_at}, the log
 * paths, {@code env}), and, as PM2's, the instance's environment variables at its top level too,
 * under its own fields. PM2's Keymetrics fields ({@code axm_*}, {@code versioning}) are there,
 * empty, for the tools that expect them.
 */
final class Pm2Json {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Pm2Json() {
    }

    /** @param views instances with their details, as {@code describe} answers */
    static ArrayNode of(List<InstanceView> views) {
        ArrayNode list = NODES.arrayNode();
        for (InstanceView v : views) {
            list.add(of(v));
        }
        return list;
    }

    private static ObjectNode of(InstanceView v) {
        ObjectNode proc = NODES.objectNode();
        proc.put("pid", v.pid());
        proc.put("name", v.name());
        ObjectNode env = proc.putObject("pm2_env");
        InstanceView.Details d = v.details();
        Map<String, String> vars = d == null ? Map.of() : d.env();
        vars.forEach(env::put);
        env.put("name", v.name());
        env.put("namespace", v.namespace());
        env.put("pm_id", v.id());
        env.put("status", status(v.status()));
        env.put("restart_time", v.restarts());
        env.put("unstable_restarts", v.unstableRestarts());
        env.put("pm_uptime", v.startedAt() > 0 ? v.startedAt() : v.createdAt());
        env.put("created_at", v.createdAt());
        env.put("exec_mode", "cluster".equals(v.mode()) ? "cluster_mode" : "fork_mode");
        env.put("NODE_APP_INSTANCE", v.index());
        env.put("pm_cwd", v.cwd());
        env.put("pm_out_log_path", v.outLog());
        env.put("pm_err_log_path", v.errLog());
        if (d != null) {
            env.put("instances", d.instances());
            env.put("pm_exec_path", d.script());
            env.put("exec_interpreter", d.interpreter() == null ? "none" : d.interpreter());
            strings(env.putArray("node_args"), d.interpreterArgs());
            strings(env.putArray("args"), d.args());
            env.put("autorestart", d.autorestart());
            ObjectNode own = env.putObject("env");
            vars.forEach(own::put);
        }
        if (v.memoryLimitBytes() > 0) {
            env.put("max_memory_restart", v.memoryLimitBytes());
        }
        env.putArray("axm_actions");
        env.putObject("axm_monitor");
        env.putObject("axm_options");
        env.putObject("axm_dynamic");
        env.putNull("versioning");
        proc.put("pm_id", v.id());
        ObjectNode monit = proc.putObject("monit");
        monit.put("memory", v.pid() > 0 ? v.memoryBytes() : 0);
        monit.put("cpu", v.pid() > 0 ? Math.round(v.cpuPercent() * 10) / 10.0 : 0);
        return proc;
    }

    /** herd's state in PM2's word: PM2 calls a starting process {@code launching}. */
    static String status(String herd) {
        return "starting".equals(herd) ? "launching" : herd;
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
