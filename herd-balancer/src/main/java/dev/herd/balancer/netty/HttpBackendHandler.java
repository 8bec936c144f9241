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

        /** The connection failed or closed; {@code cause} may be null (a clean close). */
        void backendClosed(ChannelHandlerContext ctx, Throwable cause);
    }

    private final HttpBackendPool pool;
    private ChannelHandlerContext ctx;
    private Owner owner;
    private InetSocketAddress pooledAt;
    private ScheduledFuture<?> idleClose;

    HttpBackendHandler(HttpBackendPool pool) {
        this.pool = pool;
    }

    void attach(Owner owner) {
        this.owner = owner;
    }

    /** Detaches the owner; the caller then pools or closes the channel. */
    void detach() {
        this.owner = null;
    }

    void enterPool(InetSocketAddress address, long idleTimeout, TimeUnit unit) {
        pooledAt = address;
        idleClose = ctx.executor().schedule(() -> {
            ctx.close();
        }, idleTimeout, unit);
    }

    void leavePool() {
        pooledAt = null;
        if (idleClose != null) {
            idleClose.cancel(false);
            idleClose = null;
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // The codec before us already ended a read-until-close body; http mode has no use
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
