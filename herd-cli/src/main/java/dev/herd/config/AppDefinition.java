package dev.herd.config;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.MemoryLimit;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.StopPolicy;
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
        String namespace,
        boolean autostart) {

    /** A copy with another instance count, as {@code -i} asks. */
    AppDefinition withInstances(int count) {
        return new AppDefinition(blame, name, script, args, interpreter, interpreterArgs, jvmArgs, cwd, count,
                env, restart, stop, outFile, errorFile, mergeLogs, dateFormat, maxSize, retain, cluster, memoryLimit,
                namespace, autostart);
    }
}
