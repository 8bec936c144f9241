package dev.herd.balancer.netty;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.balancer.AdminState;
import dev.herd.balancer.Backend;
import dev.herd.balancer.BackendListener;
import dev.herd.balancer.Health;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Active health checks: every {@link HealthCheckSettings#interval()} each backend is probed (a
 * TCP connect, or an HTTP {@code GET} that must answer 2xx or 3xx) within
 * {@link HealthCheckSettings#timeout()}, and its {@link Backend#setHealth(Health) health} follows
 * the rise/fall rule of {@link HealthTracker}. Each change of health is logged at INFO and told to
 * the {@link BackendListener}.
 *
 * <p>Threading: all the checker's state, its probes' channels and their callbacks live on one
 * event loop taken from the group at construction, so nothing here is locked. A backend whose
 * previous check is still running is skipped for that round. The group is the caller's: closing
 * the checker does not shut it down.
 */
public final class HealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final HealthCheckSettings settings;
    private final LongSupplier nanoTime;
    private final BackendListener listener;

    /** Confined to {@link #loop}. */
    private final Map<Backend, HealthTracker> trackers = new IdentityHashMap<>();
    /** Confined to {@link #loop}. */
    private final Map<Backend, HealthProbe> inFlight = new IdentityHashMap<>();
    private volatile ScheduledFuture<?> schedule;
    private volatile boolean closed;

    /**
     * @param group          where the checks run (one of its loops); its transport must suit
     *                       {@code channelFactory}
     * @param channelFactory makes the client sockets, e.g. {@code NioSocketChannel::new} on an
     *                       NIO group or {@code EpollSocketChannel::new} on an epoll one
     * @param settings       what to check, how often, and the rise/fall counts
     * @param nanoTime       monotonic ticker (nanoseconds), to time the checks for the log
     */
    public HealthChecker(EventLoopGroup group, ChannelFactory<? extends Channel> channelFactory,
            HealthCheckSettings settings, LongSupplier nanoTime) {
        this(group, channelFactory, settings, nanoTime, BackendListener.NONE);
    }

    /**
     * As the other constructor, telling {@code listener} of each change of health the checks
     * decide, on the checker's event loop.
     */
    public HealthChecker(EventLoopGroup group, ChannelFactory<? extends Channel> channelFactory,
            HealthCheckSettings settings, LongSupplier nanoTime, BackendListener listener) {
        Objects.requireNonNull(group, "group");
        this.listener = Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(channelFactory, "channelFactory");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.loop = group.next();
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(channelFactory)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis()));
    }

    /**
     * Starts checking: a first round at once, then one every interval. The supplier is read on
     * each round, so backends added later are checked and removed ones forgotten; a backend's
     * first tracked health is the one it has when first seen. A backend in
     * {@link AdminState#MAINTENANCE} is not checked and its counts are forgotten: it is not
     * expected to serve (an instance still starting, or one that crashed), and once admitted its
     * checks start afresh from the health it is admitted with.
     *
     * @throws IllegalStateException when already started or closed
     */
    public synchronized void start(Supplier<List<Backend>> backends) {
        Objects.requireNonNull(backends, "backends");
        if (schedule != null || closed) {
            throw new IllegalStateException("health checker already started or closed");
        }
        long interval = settings.interval().toNanos();
        schedule = loop.scheduleAtFixedRate(() -> round(backends), 0, interval, TimeUnit.NANOSECONDS);
    }

    /** Stops the checks and abandons those in flight; health stays as last set. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (schedule != null) {
            schedule.cancel(false);
        }
        if (!loop.isShuttingDown()) {
            loop.execute(() -> {
                for (HealthProbe probe : inFlight.values()) {
                    probe.cancel();
                }
                inFlight.clear();
            });
        }
    }

    private void round(Supplier<List<Backend>> backends) {
        if (closed) {
            return;
        }
        List<Backend> current;
        try {
            current = new ArrayList<>(backends.get());
        } catch (RuntimeException e) {
            // An exception would end the periodic task: log it and keep checking next round.
            log.warn("Could not list the backends to check", e);
            return;
        }
        current.removeIf(b -> b.admin() == AdminState.MAINTENANCE);
        Set<Backend> checked = Collections.newSetFromMap(new IdentityHashMap<>());
        checked.addAll(current);
        trackers.keySet().retainAll(checked);
        for (Backend backend : current) {
            if (!inFlight.containsKey(backend)) {
                check(backend);
            }
        }
    }

    private void check(Backend backend) {
        long startedNanos = nanoTime.getAsLong();
        HealthProbe probe = HealthProbe.start(bootstrap, loop, backend.address(), settings.httpPath(),
                settings.timeout().toNanos(), (passed, detail) -> {
                    inFlight.remove(backend);
                    if (!closed) {
                        long tookMillis = TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - startedNanos);
                        record(backend, passed, detail + " in " + tookMillis + " ms");
                    }
                });
        if (!probe.isDone()) {
            inFlight.put(backend, probe);
        }
    }

    private void record(Backend backend, boolean passed, String detail) {
        if (backend.admin() == AdminState.MAINTENANCE) {
            // Put in maintenance while this check ran: it does not count against it.
            return;
        }
        HealthTracker tracker = trackers.computeIfAbsent(backend,
                b -> new HealthTracker(settings.rise(), settings.fall(), b.health()));
        Health before = tracker.health();
        Health after = passed ? tracker.onSuccess() : tracker.onFailure();
        if (after != before) {
            backend.setHealth(after);
            log.info("Backend {} is now {} (was {}; last check: {})", backend.id(), after.name().toLowerCase(Locale.ROOT),
                    before.name().toLowerCase(Locale.ROOT), detail);
            Listeners.healthChanged(listener, backend, before, after);
        }
    }
}
