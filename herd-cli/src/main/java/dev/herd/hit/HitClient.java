package dev.herd.hit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Carries out a {@link HitPlan} on Netty: {@code connections} connections, each sending one
 * request at a time (no pipelining), over at most one event loop per core, epoll where the
 * machine has it. The requests' order and due times come from a {@link Schedule}; what happened
 * is counted by a {@link Tally}.
 *
 * <p>Threading: each connection, its channels and its timers live on one event loop; the
 * schedule and the tally are shared and thread-safe. {@link #stop()} and {@link #summary()} may
 * be called from any thread while {@link #run} runs.
 */
public final class HitClient {

    /** Bytes of a body kept to find its first line; the rest is read and dropped. */
    private static final int MAX_LINE_BYTES = 1024;
    /** Methods whose requests carry no body, so no {@code Content-Length: 0} either. */
    private static final Set<String> BODYLESS = Set.of("GET", "HEAD", "DELETE", "OPTIONS", "TRACE");
    /** The methods RFC 9110 (9.2.2) calls idempotent: a client may send them again. */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");

    private final HitPlan plan;
    private final LongSupplier clock = System::nanoTime;
    private volatile Schedule schedule;
    private volatile Tally tally;
    private volatile boolean stopped;

    public HitClient(HitPlan plan) {
        this.plan = plan;
    }

    /**
     * Sends the plan's requests and returns the summary once the last one ended (answered, failed
     * or timed out).
     *
     * @param listener told of each exchange as it ends, on an event-loop thread: in order for one
     *                 connection, interleaved for several; it must not block
     * @throws IOException when the target's host cannot be resolved
     */
    public HitSummary run(Consumer<Exchange> listener) throws IOException, InterruptedException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(plan.target().getHost()), plan.port());
        boolean epoll = Epoll.isAvailable();
        int threads = Math.min(plan.connections(), Runtime.getRuntime().availableProcessors());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        HttpHeaders headers = headers();
        byte[] body = plan.body() == null ? new byte[0] : plan.body().getBytes(StandardCharsets.UTF_8);
        warmUp(headers);
        CountDownLatch connected = new CountDownLatch(plan.connections());
        CountDownLatch done = new CountDownLatch(plan.connections());
        List<Lane> lanes = new ArrayList<>();
        try {
            for (int i = 0; i < plan.connections(); i++) {
                EventLoop loop = group.next();
                Bootstrap bootstrap = new Bootstrap().group(loop)
                        .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, plan.timeout().toMillis()));
                Lane lane = new Lane(loop, bootstrap, address, headers, body, listener, done);
                lanes.add(lane);
                loop.execute(() -> lane.connectAhead(connected));
            }
            // The clock starts once the connections are open (or failed): an open loop's first
            // requests would otherwise be charged for the client's own start.
            connected.await(plan.timeout().toNanos(), TimeUnit.NANOSECONDS);
            long start = clock.getAsLong();
            tally = new Tally(plan.target().toString(), plan.rate(), start, plan.duration());
            schedule = plan.rate() > 0 ? Schedule.openLoop(start, plan.count(), plan.duration(), plan.rate())
                    : Schedule.closedLoop(start, plan.count(), plan.duration());
            if (stopped) {
                schedule.stop();
            }
            for (Lane lane : lanes) {
                lane.loop.execute(lane::next);
            }
            done.await();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        return tally.summary(clock.getAsLong(), stopped);
    }

    /** Sends no new request; {@link #run} returns once those in flight ended. */
    public void stop() {
        stopped = true;
        Schedule s = schedule;
        if (s != null) {
            s.stop();
        }
    }

    /** The run so far, marked interrupted, or null before {@link #run} started. */
    public HitSummary summary() {
        Tally t = tally;
        return t == null ? null : t.summary(clock.getAsLong(), true);
    }

    /**
     * Runs the HTTP codec once over canned bytes, on no socket, so that loading its classes is not
     * charged to the first requests' latency.
     */
    private void warmUp(HttpHeaders headers) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec());
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(plan.method()),
                plan.pathAndQuery(), Unpooled.EMPTY_BUFFER, headers, EmptyHttpHeaders.INSTANCE));
        ch.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", StandardCharsets.US_ASCII));
        ch.finishAndReleaseAll();
    }

    private HttpHeaders headers() {
        HttpHeaders h = new DefaultHttpHeaders();
        int port = plan.target().getPort();
        h.set(HttpHeaderNames.HOST, plan.target().getHost() + (port > 0 ? ":" + port : ""));
        h.set(HttpHeaderNames.USER_AGENT, "herd-hit");
        h.set(HttpHeaderNames.ACCEPT, "*/*");
        for (HitPlan.Header header : plan.headers()) {
            h.set(header.name(), header.value());
        }
        if (plan.body() != null) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, plan.body().getBytes(StandardCharsets.UTF_8).length);
        } else if (!BODYLESS.contains(plan.method())) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
        if (!plan.keepAlive()) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return h;
    }

    /**
     * One connection's loop: take a slot, wait until it is due, send, read the response or give up
     * at the timeout, then take the next. A new channel is opened when there is none (the first
     * request, after a failure, or for each request without keep-alive).
     */
    private final class Lane {
        private final EventLoop loop;
        private final Bootstrap bootstrap;
        private final InetSocketAddress address;
        private final HttpHeaders headers;
        private final byte[] body;
        private final Consumer<Exchange> listener;
        private final CountDownLatch done;
        private final long timeoutNanos = plan.timeout().toNanos();
        private final HttpMethod method = HttpMethod.valueOf(plan.method());
        private final String uri = plan.pathAndQuery();

        private Channel channel;
        /** Answers the current channel has carried: a request on one that carried some went on a kept-alive connection. */
        private int servedOnChannel;
        /** Whether the request in flight went on a kept-alive connection, and whether it was sent again already. */
        private boolean onKeptAlive;
        private boolean resent;
        /** The request in flight, or null. */
        private Schedule.Slot current;
        private ScheduledFuture<?> timer;
        private int status;
        private String instanceHeader;
        private boolean responseKeepAlive;
        private final byte[] line = new byte[MAX_LINE_BYTES];
        private int lineLength;
        private boolean lineEnded;

        Lane(EventLoop loop, Bootstrap bootstrap, InetSocketAddress address, HttpHeaders headers, byte[] body,
             Consumer<Exchange> listener, CountDownLatch done) {
            this.loop = loop;
            this.bootstrap = bootstrap.handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpClientCodec(), new Inbound(Lane.this));
                }
            });
            this.address = address;
            this.headers = headers;
            this.body = body;
            this.listener = listener;
            this.done = done;
        }

        /** Opens the first connection before the run's clock starts; a failure is left for the first request to meet. */
        void connectAhead(CountDownLatch connected) {
            ChannelFuture connecting = bootstrap.connect(address);
            Channel c = connecting.channel();
            channel = c;
            connecting.addListener(f -> {
                if (!f.isSuccess() && channel == c) {
                    channel = null;
                }
                connected.countDown();
            });
        }

        void next() {
            Schedule.Slot slot = schedule.next(clock.getAsLong());
            if (slot == null) {
                dropChannel();
                done.countDown();
                return;
            }
            long wait = slot.dueNanos() - clock.getAsLong();
            if (wait > 0) {
                loop.schedule(() -> send(slot), wait, TimeUnit.NANOSECONDS);
            } else {
                send(slot);
            }
        }

        private void send(Schedule.Slot slot) {
            current = slot;
            status = 0;
            instanceHeader = null;
            lineLength = 0;
            lineEnded = false;
            resent = false;
            timer = loop.schedule(() -> expire(slot), timeoutNanos, TimeUnit.NANOSECONDS);
            if (channel != null && channel.isActive()) {
                onKeptAlive = servedOnChannel > 0;
                write(slot);
                return;
            }
            connectAndWrite(slot);
        }

        private void expire(Schedule.Slot slot) {
            fail(slot, ErrorKind.TIMEOUT, "no response in " + plan.timeout().toMillis() + " ms");
        }

        /** Opens a new connection for the request in flight; its timeout keeps running. */
        private void connectAndWrite(Schedule.Slot slot) {
            onKeptAlive = false;
            dropChannel();
            ChannelFuture connecting = bootstrap.connect(address);
            Channel c = connecting.channel();
            channel = c;
            connecting.addListener(f -> {
                if (current != slot || channel != c) {
                    return;
                }
                if (f.isSuccess()) {
                    write(slot);
                } else {
                    fail(slot, Failures.classify(f.cause()), Failures.describe(f.cause()));
                }
            });
        }

        private void write(Schedule.Slot slot) {
            ByteBuf content = body.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
            // The headers are shared by every request and never changed after headers() built them.
            channel.writeAndFlush(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, content,
                    headers, EmptyHttpHeaders.INSTANCE)).addListener(f -> {
                        if (!f.isSuccess()) {
                            failOrResend(slot, Failures.classify(f.cause()), Failures.describe(f.cause()));
                        }
                    });
        }

        void onHead(Channel c, HttpResponse response) {
            if (c != channel || current == null) {
                return;
            }
            status = response.status().code();
            instanceHeader = response.headers().get(InstanceRule.HEADER);
            responseKeepAlive = HttpUtil.isKeepAlive(response);
        }

        void onContent(Channel c, ByteBuf content) {
            if (c != channel || current == null || lineEnded) {
                return;
            }
            int n = content.readableBytes();
            for (int i = 0; i < n && lineLength < MAX_LINE_BYTES; i++) {
                byte b = content.getByte(content.readerIndex() + i);
                if (b == '\n') {
                    lineEnded = true;
                    return;
                }
                line[lineLength++] = b;
            }
        }

        void onEnd(Channel c) {
            if (c != channel || current == null) {
                return;
            }
            // An interim answer (100 Continue, 103 Early Hints): the real one follows.
            if (status >= 100 && status < 200 && status != 101) {
                status = 0;
                return;
            }
            Schedule.Slot slot = current;
            current = null;
            timer.cancel(false);
            String first = new String(line, 0, lineLength, StandardCharsets.UTF_8).strip();
            servedOnChannel++;
            record(Exchange.answered(slot.number(), clock.getAsLong() - slot.dueNanos(), status,
                    InstanceRule.identify(instanceHeader, first), first));
            // After a 101 the connection speaks another protocol: never send the next request on it.
            if (!plan.keepAlive() || !responseKeepAlive || status == 101) {
                dropChannel();
            }
            next();
        }

        void onClosed(Channel c) {
            if (c == channel && current != null) {
                failOrResend(current, ErrorKind.RESET, "connection closed before the response ended");
            }
        }

        void onError(Channel c, Throwable cause) {
            if (c == channel && current != null) {
                failOrResend(current, Failures.classify(cause), Failures.describe(cause));
            } else {
                c.close();
            }
        }

        /**
         * A kept-alive connection that ended before any byte of the answer was most likely closed by
         * the server as idle while the request was on its way; HTTP clients send an idempotent
         * request again on a new connection then (RFC 9110, 9.2.2), once.
         */
        private void failOrResend(Schedule.Slot slot, ErrorKind kind, String detail) {
            if (current == slot && plan.retry() && onKeptAlive && !resent && status == 0 && kind == ErrorKind.RESET
                    && IDEMPOTENT.contains(plan.method())) {
                resent = true;
                tally.retried();
                connectAndWrite(slot);
                return;
            }
            fail(slot, kind, detail);
        }

        private void fail(Schedule.Slot slot, ErrorKind kind, String detail) {
            if (current != slot) {
                return;
            }
            current = null;
            timer.cancel(false);
            record(Exchange.failed(slot.number(), clock.getAsLong() - slot.dueNanos(), kind, detail));
            dropChannel();
            // Through the loop's queue: a connect refused at once would otherwise recurse into the next one.
            loop.execute(this::next);
        }

        private void record(Exchange e) {
            tally.record(e, clock.getAsLong());
            listener.accept(e);
        }

        private void dropChannel() {
            if (channel != null) {
                channel.close();
                channel = null;
            }
            servedOnChannel = 0;
        }
    }

    /** Passes a channel's responses to its lane; runs on the lane's event loop. */
    private static final class Inbound extends ChannelInboundHandlerAdapter {
        private final Lane lane;

        Inbound(Lane lane) {
            this.lane = lane;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof DecoderResultProvider p && p.decoderResult().isFailure()) {
                    lane.onError(ctx.channel(), p.decoderResult().cause());
                    return;
                }
                if (msg instanceof HttpResponse response) {
                    lane.onHead(ctx.channel(), response);
                }
                if (msg instanceof HttpContent content) {
                    lane.onContent(ctx.channel(), content.content());
                }
                if (msg instanceof LastHttpContent) {
                    lane.onEnd(ctx.channel());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            lane.onClosed(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            lane.onError(ctx.channel(), cause);
        }
    }
}
