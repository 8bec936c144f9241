package dev.herd.agent;

import java.net.InetAddress;
import java.net.SocketAddress;

import net.bytebuddy.asm.Advice;

/**
 * The advice woven into the JDK's server sockets. Byte Buddy copies these methods' code into the
 * JDK's methods, so it runs as code of {@code java.base}, which links to no class on the class
 * path: it calls {@link InheritedSocket} through the system class loader by reflection, which
 * needs no module to read another. Any failure there leaves the JDK's method to run as usual.
 */
final class BindAdvice {

    /** Inlined as a constant, so the woven code names no class of the agent. */
    static final String HOOKS = "dev.herd.agent.InheritedSocket";

    private BindAdvice() {
    }

    /** On {@code sun.nio.ch.ServerSocketChannelImpl.netBind(SocketAddress, int)}. */
    static final class ChannelBind {

        private ChannelBind() {
        }

        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
        static SocketAddress enter(@Advice.This Object channel, @Advice.Argument(0) SocketAddress local)
                throws Exception {
            return (SocketAddress) Class.forName(HOOKS, false, ClassLoader.getSystemClassLoader())
                    .getMethod("onChannelBind", Object.class, SocketAddress.class).invoke(null, channel, local);
        }

        @Advice.OnMethodExit
        static void exit(@Advice.Enter SocketAddress taken,
                         @Advice.Return(readOnly = false) SocketAddress bound) {
            if (taken != null) {
                bound = taken;
            }
        }
    }

    /** On {@code sun.nio.ch.NioSocketImpl.bind(InetAddress, int)}. */
    static final class SocketBind {

        private SocketBind() {
        }

        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
        static boolean enter(@Advice.This Object impl, @Advice.Argument(0) InetAddress host,
                             @Advice.Argument(1) int port) throws Exception {
            return (Boolean) Class.forName(HOOKS, false, ClassLoader.getSystemClassLoader())
                    .getMethod("onSocketBind", Object.class, InetAddress.class, int.class)
                    .invoke(null, impl, host, port);
        }
    }

    /** On {@code sun.nio.ch.NioSocketImpl.listen(int)}. */
    static final class SocketListen {

        private SocketListen() {
        }

        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
        static boolean enter(@Advice.This Object impl) throws Exception {
            return (Boolean) Class.forName(HOOKS, false, ClassLoader.getSystemClassLoader())
                    .getMethod("onSocketListen", Object.class).invoke(null, impl);
        }
    }
}
