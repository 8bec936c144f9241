package dev.herd.agent;

import static net.bytebuddy.matcher.ElementMatchers.anyOf;
import static net.bytebuddy.matcher.ElementMatchers.is;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;
import java.util.Set;

import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.dynamic.Nexus;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.utility.JavaModule;

/**
 * What the agent does once it knows herd handed this JVM a socket: opens the JDK internals it
 * needs to itself, installs the {@link InheritedSocket}, and weaves {@link BindAdvice} into the
 * JDK's server socket classes.
 */
final class Weaving {

    private Weaving() {
    }

    static void install(ListenSettings settings, ServerSocketChannel inherited, Instrumentation instrumentation,
                        PrintStream err) throws Throwable {
        openToAgent(instrumentation);
        JdkSockets jdk = JdkSockets.lookUp();
        JdkSockets.Impl impl = null;
        try {
            impl = JdkSockets.lookUpImpl();
        } catch (ReflectiveOperationException | RuntimeException e) {
            err.println("[herd] this JDK's java.net.ServerSocket is not one the agent knows (" + ListenAgent.reason(e)
                    + "): a ServerSocket binds as usual, a ServerSocketChannel takes the socket");
        }
        InetSocketAddress address = (InetSocketAddress) inherited.getLocalAddress();
        // A descriptor of the agent's own: whatever the app does with stdin or System.inheritedChannel()
        // (close it, or let a server use it) cannot close it, nor give its number to another file.
        int source = jdk.dup(jdk.channelFd(inherited));
        InheritedSocket socket = new InheritedSocket(settings.port(), source, address, jdk, impl, err);
        InheritedSocket.install(socket);
        StopSignals.install(socket, err);
        weave(instrumentation, jdk.channelType(), impl == null ? null : impl.type(), err);
    }

    /**
     * Opens the JDK packages whose internals {@link JdkSockets} uses to this agent's module, as
     * {@code --add-opens} would, without asking the app's command line for it.
     */
    private static void openToAgent(Instrumentation instrumentation) {
        Module javaBase = Object.class.getModule();
        Set<Module> agent = Set.of(Weaving.class.getModule());
        instrumentation.redefineModule(javaBase, Set.of(), Map.of(),
                Map.of("sun.nio.ch", agent, "java.net", agent), Set.of(), Map.of());
    }

    private static void weave(Instrumentation instrumentation, Class<?> channel, Class<?> socketImpl,
                              PrintStream err) {
        Class<?>[] types = socketImpl == null ? new Class<?>[] {channel} : new Class<?>[] {channel, socketImpl};
        // AgentBuilder.Default's constructor readies Byte Buddy's Nexus (type initializers injected
        // through sun.misc.Unsafe, which JDK 24 on warns about on stderr) although advice needs none.
        // The property is the shaded copy's own (relocated with it) and read once: it leaves no trace.
        System.setProperty(Nexus.PROPERTY, "true");
        AgentBuilder agent;
        try {
            // The JDK's classes are valid as they are: checking them again costs startup time only.
            agent = new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED));
        } finally {
            System.clearProperty(Nexus.PROPERTY);
        }
        agent.disableClassFormatChanges()
                // Both are loaded already (System.inheritedChannel() and JdkSockets did it): they are
                // retransformed, and only they, rather than every class loaded so far being matched.
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(new AgentBuilder.RedefinitionStrategy.DiscoveryStrategy.Explicit(types))
                .with(AgentBuilder.PoolStrategy.Default.FAST)
                .with(new FallBack(err))
                // The transformer stays: another agent's retransformation of these classes keeps the advice.
                .ignore(not(anyOf(types)))
                .type(is(channel))
                .transform((builder, type, loader, module, domain) -> builder.visit(Advice.to(BindAdvice.ChannelBind.class)
                        .on(named("netBind").and(takesArguments(SocketAddress.class, int.class)))))
                .type(socketImpl == null ? none() : is(socketImpl))
                .transform((builder, type, loader, module, domain) -> builder
                        .visit(Advice.to(BindAdvice.SocketBind.class)
                                .on(named("bind").and(takesArguments(InetAddress.class, int.class))))
                        .visit(Advice.to(BindAdvice.SocketListen.class)
                                .on(named("listen").and(takesArguments(int.class)))))
                .installOn(instrumentation);
    }

    /** The one line for a class that could not be woven: the app's binds of it are the JDK's own. */
    private static final class FallBack extends AgentBuilder.Listener.Adapter {

        private final PrintStream err;

        FallBack(PrintStream err) {
            this.err = err;
        }

        @Override
        public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded,
                            Throwable throwable) {
            err.println("[herd] the agent cannot watch binds in " + typeName + " (" + ListenAgent.reason(throwable)
                    + "): they bind as usual");
        }
    }
}
