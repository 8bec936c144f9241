package dev.herd.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.function.IntUnaryOperator;

/**
 * Hands out the internal ports cluster instances listen on, so that two apps, a restart, or
 * another program on the machine never collide. Ports come from below the kernel's ephemeral
 * range, where no outgoing connection takes one by chance; each is checked free (by binding it)
 * when handed out, and held until released, so that two instances never share one.
 *
 * <p>Thread-safe.
 */
public final class PortAllocator {

    /** How many ports are tried before giving up. */
    private static final int ATTEMPTS = 200;

    private final int low;
    private final int high;
    private final IntPredicate isFree;
    private final IntUnaryOperator random;
    private final Set<Integer> held = new HashSet<>();

    /**
     * @param low    first port of the range
     * @param high   last port of the range
     * @param isFree whether a port can be bound now
     * @param random a uniform value in [0, bound) for a bound, to spread the ports tried
     */
    public PortAllocator(int low, int high, IntPredicate isFree, IntUnaryOperator random) {
        if (low < 1 || high > 65535 || low > high) {
            throw new IllegalArgumentException("bad port range " + low + "-" + high);
        }
        this.low = low;
        this.high = high;
        this.isFree = isFree;
        this.random = random;
    }

    /** Ports from 20000 up to the start of this machine's ephemeral range, checked by binding. */
    public static PortAllocator forThisMachine() {
        int ephemeralLow = ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
        int low = 20000;
        int high = ephemeralLow - 1;
        if (high - low < 1000) {
            // An unusual ephemeral range leaves little room below it: use the top of the port space instead.
            low = 61000;
            high = 65535;
        }
        return new PortAllocator(low, high, PortAllocator::canBind,
                bound -> java.util.concurrent.ThreadLocalRandom.current().nextInt(bound));
    }

    /** The first port of the kernel's ephemeral range (Linux's default is 32768). */
    static int ephemeralLow(Path rangeFile) {
        // Read by line: Files.readString trusts the size /proc reports, and gets the first byte only.
        try (BufferedReader r = Files.newBufferedReader(rangeFile)) {
            String line = r.readLine();
            return Integer.parseInt(line.trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }

    /**
     * Whether a server could listen on {@code port} on every address now: bound on the wildcard
     * address, as an app's own {@code listen(port)} would be, with SO_REUSEADDR as servers set it.
     */
    static boolean canBind(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A free port, held until {@link #release}d.
     *
     * @throws IllegalStateException when none is found
     */
    public synchronized int allocate() {
        int size = high - low + 1;
        int start = random.applyAsInt(size);
        for (int i = 0; i < Math.min(ATTEMPTS, size); i++) {
            int port = low + (start + i) % size;
            if (!held.contains(port) && isFree.test(port)) {
                held.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no free internal port in " + low + "-" + high + " after "
                + Math.min(ATTEMPTS, size) + " tries");
    }

    /**
     * Holds a port given out earlier (by a daemon before a crash), so that the instance it
     * belongs to keeps it.
     *
     * @return false if it is held already
     */
    public synchronized boolean hold(int port) {
        return held.add(port);
    }

    /** Gives a port back. */
    public synchronized void release(int port) {
        held.remove(port);
    }

    /** Whether a server could bind {@code port} now (whoever holds it). */
    public boolean isFree(int port) {
        return isFree.test(port);
    }

    /** Whether the port is held. */
    public synchronized boolean isHeld(int port) {
        return held.contains(port);
    }
}
