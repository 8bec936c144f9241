package dev.herd.balancer.netty;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One check of one backend: a TCP connect, or an HTTP {@code GET} whose status line must be 2xx
 * (or 3xx, for a health check), all within the timeout. Reports once, through {@link Result},
 * unless cancelled. {@link HealthChecker} and {@link ReadinessProbe} run it.
 *
 * <p>Threading: the bootstrap's group is the caller's single event loop, so the connect
 * listener, the handler, the timer and {@link #cancel()} all run on that thread.
 */
final class HealthProbe {

    /** The outcome of a probe. */
    @FunctionalInterface
    interface Result {
        /**
         * @param passed whether the check passed
         * @param detail what was seen, for the log (e.g. {@code status 500}, {@code timed out})
         */
        void report(boolean passed, String detail);
    }

    /** Longest status line read before the answer counts as not HTTP. */
    private static final int MAX_STATUS_LINE = 1024;

    private final Result result;
    private final boolean redirectsPass;
    private Channel channel;
    private ScheduledFuture<?> timer;
    private boolean done;

    private HealthProbe(Result result, boolean redirectsPass) {
        this.result = result;
        this.redirectsPass = redirectsPass;
    }

    /**
     * Starts a check; must be called on {@code bootstrap}'s event loop.
     *
     * @param bootstrap    group ({@code loop}), channel factory and connect timeout set; the
     *                     handler is added here
     * @param loop         the bootstrap's event loop, the caller's thread
     * @param address      the backend
     * @param httpPath     path to GET, or null for a TCP check
     * @param timeoutNanos the whole check's deadline from now
     * @param result       told the outcome once, on {@code loop}
     */
    static HealthProbe start(Bootstrap bootstrap, EventLoop loop, InetSocketAddress address, String httpPath,
            long timeoutNanos, Result result) {
        return start(bootstrap, loop, address, httpPath, timeoutNanos, true, result);
    }

    /**
     * As the other {@code start}; {@code redirectsPass} false makes a 3xx answer fail, as a
     * readiness probe wants (a redirect to a login page is no sign that the app is up).
     */
    static HealthProbe start(Bootstrap bootstrap, EventLoop loop, InetSocketAddress address, String httpPath,
            long timeoutNanos, boolean redirectsPass, Result result) {
        HealthProbe probe = new HealthProbe(result, redirectsPass);
        // The timer comes first: a connect to loopback may complete, or fail, inside connect().
        probe.timer = loop.schedule(() -> probe.finish(false, "timed out"), timeoutNanos, TimeUnit.NANOSECONDS);
        ChannelFuture connect = bootstrap.clone()
                .handler(httpPath == null ? new ChannelInboundHandlerAdapter() : probe.new StatusLineHandler())
                .connect(address);
        probe.channel = connect.channel();
        if (probe.done) {
            probe.channel.close();
            return probe;
        }
        connect.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                probe.finish(false, String.valueOf(f.cause().getMessage()));
            } else if (httpPath == null) {
                probe.finish(true, "connected");
            } else {
                String request = "GET " + httpPath + " HTTP/1.1\r\nHost: " + hostHeader(address)
                        + "\r\nConnection: close\r\n\r\n";
                f.channel().writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
            }
        });
        return probe;
    }

    /** Whether it has reported or been cancelled. */
    boolean isDone() {
        return done;
    }

    /** Stops the check without reporting (the checker is closing). */
    void cancel() {
        done = true;
        timer.cancel(false);
        channel.close();
    }

    private void finish(boolean passed, String detail) {
        if (done) {
            return;
        }
        done = true;
        timer.cancel(false);
        if (channel != null) {
            channel.close();
        }
        result.report(passed, detail);
    }

    static String hostHeader(InetSocketAddress address) {
        String host = address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** Whether {@code line} is an HTTP status line with a 2xx or 3xx code. */
    static boolean passes(String line) {
        return passes(line, true);
    }

    /** Whether {@code line} is an HTTP status line with a 2xx code, or 3xx when {@code redirectsPass}. */
    static boolean passes(String line, boolean redirectsPass) {
        String[] parts = line.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/") || parts[1].length() != 3) {
            return false;
        }
        char first = parts[1].charAt(0);
        return (first == '2' || first == '3' && redirectsPass)
                && Character.isDigit(parts[1].charAt(1)) && Character.isDigit(parts[1].charAt(2));
    }

    /** Collects the response up to the end of its status line and judges it. */
    private final class StatusLineHandler extends ChannelInboundHandlerAdapter {

        private final StringBuilder line = new StringBuilder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                while (buf.isReadable() && !done) {
                    char c = (char) (buf.readByte() & 0xff);
                    if (c == '\n') {
                        String status = line.toString().strip();
                        finish(passes(status, redirectsPass), status.isEmpty() ? "empty status line" : status);
                    } else if (line.length() >= MAX_STATUS_LINE) {
                        finish(false, "status line longer than " + MAX_STATUS_LINE + " bytes");
                    } else {
                        line.append(c);
                    }
                }
            } finally {
                buf.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish(false, "closed before a status line");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finish(false, String.valueOf(cause.getMessage()));
        }
    }
}
