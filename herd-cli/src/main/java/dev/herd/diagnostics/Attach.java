package dev.herd.diagnostics;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;

import dev.herd.daemon.HerdException;
import dev.herd.daemon.InstanceView;

/**
 * A connection to a target JVM through the JDK's attach API, for diagnostic commands (what
 * {@code jcmd} sends) and native agents. Not thread-safe; close it to detach.
 */
final class Attach implements AutoCloseable {

    /** A native library that the target would not load: the caller may fall back. */
    static final class AgentFailed extends Exception {
        AgentFailed(String message) {
            super(message);
        }
    }

    private final VirtualMachine vm;
    private final ProcFacts target;

    private Attach(VirtualMachine vm, ProcFacts target) {
        this.vm = vm;
        this.target = target;
    }

    /**
     * Attaches to {@code target}, the JVM of {@code instance}, after checking what the attach
     * mechanism needs (same user, not disabled); a refusal or failure names the instance.
     */
    static Attach to(InstanceView instance, ProcFacts target) throws HerdException {
        String refusal = AttachNeeds.refusal(target, ProcFacts.ownUid());
        if (refusal != null) {
            throw new HerdException(JvmChoice.label(instance) + ": " + refusal);
        }
        try {
            return new Attach(VirtualMachine.attach(Long.toString(target.pid())), target);
        } catch (AttachNotSupportedException | IOException e) {
            throw new HerdException(JvmChoice.label(instance) + ": " + AttachNeeds.attachFailure(target, e.getMessage()));
        }
    }

    /**
     * Runs one diagnostic command ({@code GC.heap_dump /x.hprof}, {@code JFR.start ...}) and returns
     * its output. It goes through the JDK's own {@code HotSpotVirtualMachine.executeJCmd}, which
     * the jar's manifest exports to herd ({@code Add-Exports: jdk.attach/sun.tools.attach}): the
     * public alternative, the target's DiagnosticCommand MBean, would leave a JMX agent running
     * in the target.
     */
    String jcmd(String command) throws HerdException {
        try {
            Method execute = Class.forName("sun.tools.attach.HotSpotVirtualMachine").getMethod("executeJCmd", String.class);
            try (InputStream in = (InputStream) execute.invoke(vm, command)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
        } catch (IllegalAccessException | ClassNotFoundException | NoSuchMethodException e) {
            throw new HerdException("this JVM does not let herd send diagnostic commands (" + e.getMessage()
                    + "): run herd from its jar (java -jar herd.jar), whose manifest exports jdk.attach/sun.tools.attach");
        } catch (InvocationTargetException e) {
            throw new HerdException("pid " + target.pid() + " refused '" + command + "': " + e.getCause().getMessage());
        } catch (IOException e) {
            throw new HerdException("pid " + target.pid() + " did not finish '" + command + "': " + e.getMessage());
        }
    }

    /**
     * Loads (or re-enters) the native agent {@code library} with {@code options}.
     *
     * @throws AgentFailed   when the library cannot load into the target
     * @throws HerdException when it loaded but refused the options (async-profiler: a profile
     *                       already runs there), or the target went away
     */
    void loadAgent(Path library, String options) throws AgentFailed, HerdException {
        try {
            vm.loadAgentPath(library.toString(), options);
        } catch (AgentLoadException e) {
            throw new AgentFailed("the JVM would not load " + library.getFileName() + " (" + e.getMessage()
                    + "; a JVM started with -XX:-EnableDynamicAgentLoading loads no agents after its start)");
        } catch (AgentInitializationException e) {
            throw new HerdException(library.getFileName() + " in pid " + target.pid() + " refused '" + options
                    + "' (a profile may already be running there; the instance's out log says why)");
        } catch (IOException e) {
            throw new HerdException("pid " + target.pid() + " did not finish loading an agent: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            vm.detach();
        } catch (IOException e) {
            // The target went away; there is nothing left to detach from.
        }
    }
}
