package dev.herd.agent;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.SocketImpl;

/**
 * The JDK internals the agent needs, looked up once at start so that a JDK where one is missing
 * or renamed says so then, and no bind ever fails half-way. They are the same from JDK 17 to 25:
 * {@code sun.nio.ch.InheritedChannel}'s {@code dup(int)} and {@code dup2(int, int)} (the JDK's own
 * {@code dup(2)} and {@code dup2(2)}, with which it makes the inherited channel and detaches stdin), the descriptor of a {@code ServerSocketChannelImpl} ({@code getFDVal()}), and
 * for {@code java.net.ServerSocket} the state of a {@code NioSocketImpl} and its
 * {@code SocketImpl} fields. The caller must have opened {@code java.base/sun.nio.ch} and
 * {@code java.base/java.net} to this class's module.
 */
final class JdkSockets {

    private final Class<?> channelType;
    private final MethodHandle dup;
    private final MethodHandle dup2;
    private final MethodHandle channelFd;
    /** {@code ServerSocketChannelImpl.thread}: the native thread blocked in its accept, or 0; null when unknown. */
    private final VarHandle channelThread;
    /** {@code NativeThread.signal(long)}, which wakes a thread from a blocking call; null when unknown. */
    private final MethodHandle signal;

    private JdkSockets(Class<?> channelType, MethodHandle dup, MethodHandle dup2, MethodHandle channelFd,
                       VarHandle channelThread, MethodHandle signal) {
        this.channelType = channelType;
        this.dup = dup;
        this.dup2 = dup2;
        this.channelFd = channelFd;
        this.channelThread = channelThread;
        this.signal = signal;
    }

    /** What the channel side needs: {@code dup}, {@code dup2} and a channel's descriptor. */
    static JdkSockets lookUp() throws ReflectiveOperationException {
        Class<?> inherited = Class.forName("sun.nio.ch.InheritedChannel");
        Class<?> channel = Class.forName("sun.nio.ch.ServerSocketChannelImpl");
        MethodHandles.Lookup lookup = privateLookup(inherited);
        MethodHandle dup = lookup.findStatic(inherited, "dup", MethodType.methodType(int.class, int.class));
        MethodHandle dup2 = lookup.findStatic(inherited, "dup2", MethodType.methodType(void.class, int.class, int.class));
        MethodHandle fd = privateLookup(channel).findVirtual(channel, "getFDVal", MethodType.methodType(int.class))
                .asType(MethodType.methodType(int.class, Object.class));
        VarHandle thread = null;
        MethodHandle signal = null;
        try {
            thread = privateLookup(channel).findVarHandle(channel, "thread", long.class);
            Class<?> nativeThread = Class.forName("sun.nio.ch.NativeThread");
            signal = privateLookup(nativeThread).findStatic(nativeThread, "signal",
                    MethodType.methodType(void.class, long.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Without them a stop signal leaves a blocked accept as it is (see InheritedSocket).
        }
        return new JdkSockets(channel, dup, dup2, fd, thread, signal);
    }

    /** Whether {@link #wakeAcceptor} can wake a thread blocked in a channel's accept. */
    boolean canWake() {
        return channelThread != null && signal != null;
    }

    /**
     * Wakes the thread blocked in {@code channel}'s accept, if any: the JDK's own wake-up signal,
     * as its close sends; the accept then polls its descriptor again.
     */
    void wakeAcceptor(Object channel) throws Throwable {
        long thread = (long) channelThread.get(channel);
        if (thread != 0) {
            signal.invokeExact(thread);
        }
    }

    private static MethodHandles.Lookup privateLookup(Class<?> type) throws IllegalAccessException {
        return MethodHandles.privateLookupIn(type, MethodHandles.lookup());
    }

    /** {@code sun.nio.ch.ServerSocketChannelImpl}, what {@code ServerSocketChannel.open()} makes. */
    Class<?> channelType() {
        return channelType;
    }

    /** A new descriptor of what {@code fd} is. */
    int dup(int fd) throws Throwable {
        return (int) dup.invokeExact(fd);
    }

    /**
     * Makes descriptor {@code target} another descriptor of the socket at {@code source}; what
     * {@code target} was is closed (atomically, so no other thread can get its number meanwhile).
     */
    void dup2(int source, int target) throws Throwable {
        dup2.invokeExact(source, target);
    }

    /** The descriptor of a {@code sun.nio.ch.ServerSocketChannelImpl}. */
    int channelFd(Object channel) throws Throwable {
        return (int) channelFd.invokeExact(channel);
    }

    /**
     * What the {@code java.net.ServerSocket} side needs: the state of a {@code NioSocketImpl}
     * (the JDK's socket implementation since 13), and its descriptor.
     */
    static Impl lookUpImpl() throws ReflectiveOperationException {
        Class<?> impl = Class.forName("sun.nio.ch.NioSocketImpl");
        MethodHandles.Lookup own = privateLookup(impl);
        MethodHandles.Lookup base = privateLookup(SocketImpl.class);
        Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil");
        MethodHandle fdVal = privateLookup(ioUtil)
                .findStatic(ioUtil, "fdVal", MethodType.methodType(int.class, FileDescriptor.class));
        int unconnected = (int) own.findStaticVarHandle(impl, "ST_UNCONNECTED", int.class).get();
        return new Impl(impl,
                own.findVarHandle(impl, "server", boolean.class),
                own.findVarHandle(impl, "state", int.class),
                own.findVarHandle(impl, "stateLock", Object.class),
                unconnected,
                base.findVarHandle(SocketImpl.class, "fd", FileDescriptor.class),
                base.findVarHandle(SocketImpl.class, "address", InetAddress.class),
                base.findVarHandle(SocketImpl.class, "localport", int.class),
                fdVal);
    }

    /**
     * A {@code NioSocketImpl}'s state, as the JDK keeps it: {@code server} (a listening socket's
     * impl, not a client's), {@code state} (open and neither bound nor connected is
     * {@code ST_UNCONNECTED} with {@code localport} 0), {@code stateLock} (held by its bind, listen
     * and close), and {@code SocketImpl}'s {@code fd}, {@code address} and {@code localport}.
     */
    record Impl(Class<?> type, VarHandle server, VarHandle state, VarHandle stateLock, int unconnected,
                VarHandle fd, VarHandle address, VarHandle localport, MethodHandle fdVal) {

        boolean isServer(Object impl) {
            return type.isInstance(impl) && (boolean) server.get(impl);
        }

        Object lock(Object impl) {
            return stateLock.get(impl);
        }

        /** Open and not yet bound; only under {@link #lock}. */
        boolean isUnbound(Object impl) {
            return (int) state.get(impl) == unconnected && (int) localport.get(impl) == 0;
        }

        int descriptor(Object impl) throws Throwable {
            return (int) fdVal.invokeExact((FileDescriptor) fd.get(impl));
        }

        /** What the JDK's own bind sets: the address asked for, the port bound. */
        void bound(Object impl, InetAddress host, int port) {
            address.set(impl, host);
            localport.set(impl, port);
        }
    }
}
