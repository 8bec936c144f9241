package dev.herd.config;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.MemoryLimit;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.RestartTriggers;
import dev.herd.supervisor.StopPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One app as written, checked for types and ranges but not yet against the file system: paths are
 * still relative, the interpreter is still a name, and the name may still be missing.
 *
 * @param blame           where to point errors found while resolving
 * @param name            the name, or {@code null} to derive it from the script
 * @param script          the script as written
 * @param args            arguments after the script
 * @param interpreter     a name, a path, {@code "none"}, or {@code null} to choose by extension
 * @param interpreterArgs arguments between the interpreter and the script
 * @param jvmArgs         arguments for java, before {@code interpreterArgs}
 * @param cwd             the working directory as written, or {@code null} for the base folder
 * @param instances       the resolved count, at least 1
 * @param env             the app's own variables, {@code env_<name>} already merged over {@code env}
 * @param outFile         stdout file as written, or {@code null} for the default
 * @param errorFile       stderr file as written, or {@code null} for the default
 * @param cluster         its public port and balancer in cluster mode, or {@code null} in fork mode
 * @param memoryLimit     {@code max_memory_restart}, or {@code null} for none
 * @param execModeWritten whether {@code exec_mode} is set: if not, PM2 picks cluster mode for a
 *                        Node app with {@code instances}
 * @param instancesWritten whether {@code instances} is set
 * @param instanceVar     {@code instance_var}, or {@code null} for {@code NODE_APP_INSTANCE}
 * @param incrementVar    {@code increment_var}, or {@code null}
 * @param filterEnv       {@code filter_env}, or {@code null} to inherit every variable
 * @param nameSuffix      {@code -<env>} for {@code append_env_to_name} with {@code --env}, or {@code null}
 * @param uid             {@code uid} as written, a name or a number, or {@code null}
 * @param gid             {@code gid} as written, or {@code null}
 * @param pidFile         PM2's {@code pid_file} as written, or {@code null} for none
 * @param waitReady       fork mode's {@code wait_ready}: its {@code listen_timeout}, or {@code null}
 * @param logOptions      the combined log, {@code log_type} and {@code disable_logs}
 * @param triggers        watch and cron_restart; watched paths as written (relative to cwd)
 * @param namespace       PM2's {@code namespace}, or {@code null} for the default one
 * @param autostart       PM2's {@code autostart}: {@code false} adds the app stopped
 */
record AppDefinition(
        Blame blame,
        String name,
        String script,
        List<String> args,
        String interpreter,
        List<String> interpreterArgs,
        List<String> jvmArgs,
        String cwd,
        int instances,
        Map<String, String> env,
        RestartPolicy restart,
        StopPolicy stop,
        String outFile,
        String errorFile,
        boolean mergeLogs,
        String dateFormat,
        long maxSize,
        int retain,
        ClusterSpec cluster,
        MemoryLimit memoryLimit,
        boolean execModeWritten,
        boolean instancesWritten,
        String instanceVar,
        String incrementVar,
        EnvFilter filterEnv,
        String nameSuffix,
        String uid,
        String gid,
        String pidFile,
        Duration waitReady,
        LogFields.Options logOptions,
        RestartTriggers triggers,
        String namespace,
        boolean autostart) {

    /** A copy with another instance count, as {@code -i} asks. */
    AppDefinition withInstances(int count) {
        return new AppDefinition(blame, name, script, args, interpreter, interpreterArgs, jvmArgs, cwd, count,
                env, restart, stop, outFile, errorFile, mergeLogs, dateFormat, maxSize, retain, cluster, memoryLimit,
                execModeWritten, instancesWritten, instanceVar, incrementVar, filterEnv, nameSuffix, uid, gid,
                pidFile, waitReady, logOptions, triggers, namespace, autostart);
    }
}
