package dev.herd.balancer.netty;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * The last handler of a backend channel: hands what the backend sends to the exchange that owns
 * the connection, or, while the connection sits in the pool, closes it on anything but silence.
 *
 * <p>Threading: the channel lives on its client channel's event loop, so the owner is called on
 * its own loop and needs no synchronisation.
 */
final class HttpBackendHandler extends ChannelInboundHandlerAdapter {

    /** What a backend connection reports to the exchange using it. */
    interface Owner {
        void backendRead(ChannelHandlerContext ctx, Object msg);

        /** The end of one socket read's messages: the moment to flush what they produced. */
        void backendReadComplete(ChannelHandlerContext ctx);

        /** The connection failed or closed; {@code cause} may be null (a clean close). */
        void backendClosed(ChannelHandlerContext ctx, Throwable cause);

        /** The connection's writability changed (its outbound buffer crossed a water mark). */
        void backendWritabilityChanged(ChannelHandlerContext ctx);
    }

    private final HttpBackendPool pool;
    private final HttpResponseReader reader;
    private ChannelHandlerContext ctx;
    private Owner owner;
    private InetSocketAddress pooledAt;
    private long pooledSinceNanos;
    private long idleTimeoutNanos;
    private ScheduledFuture<?> idleClose;

    HttpBackendHandler(HttpBackendPool pool, HttpResponseReader reader) {
        this.pool = pool;
        this.reader = reader;
    }

    /** The connection's response reader, which the owner tells what to expect. */
    HttpResponseReader reader() {
        return reader;
    }

    void attach(Owner owner) {
        this.owner = owner;
    }

    /** Detaches the owner; the caller then pools or closes the channel. */
    void detach() {
        this.owner = null;
    }

    /**
     * Starts the idle clock. A busy connection enters and leaves the pool once per request, so
     * the close timer is not rescheduled each time: one stays pending and, when it fires, closes
     * the connection only if it has sat in the pool for the whole timeout, else re-arms itself
     * for the rest (or stops while the connection is in use). Times are the executor's ticker's.
     */
    void enterPool(InetSocketAddress address, long idleTimeoutNanos) {
        pooledAt = address;
        this.idleTimeoutNanos = idleTimeoutNanos;
        pooledSinceNanos = ctx.executor().ticker().nanoTime();
        if (idleClose == null) {
            scheduleIdleCheck(idleTimeoutNanos);
        }
    }

    void leavePool() {
        pooledAt = null;
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleClose = ctx.executor().schedule(this::idleCheck, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void idleCheck() {
        idleClose = null;
        if (pooledAt == null) {
            return;
        }
        long left = pooledSinceNanos + idleTimeoutNanos - ctx.executor().ticker().nanoTime();
        if (left > 0) {
            scheduleIdleCheck(left);
        } else {
            ctx.close();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (owner != null) {
            owner.backendRead(ctx, msg);
        } else {
            // Nothing is expected on an idle connection: a late or unsolicited response.
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (owner != null) {
            owner.backendReadComplete(ctx);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (owner != null) {
            owner.backendWritabilityChanged(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // The reader before us already ended a read-until-close body; http mode has no use
            // for a half-open backend connection.
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (pooledAt != null) {
            pool.remove(ctx.channel(), pooledAt);
            leavePool();
        }
        if (idleClose != null) {
            idleClose.cancel(false);
            idleClose = null;
        }
        Owner o = owner;
        owner = null;
        if (o != null) {
            o.backendClosed(ctx, null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Owner o = owner;
        owner = null;
        if (o != null) {
            o.backendClosed(ctx, cause);
        }
        ctx.close();
    }
}
