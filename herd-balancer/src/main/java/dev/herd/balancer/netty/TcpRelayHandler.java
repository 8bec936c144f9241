package dev.herd.balancer.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Relays what one channel of a {@link TcpConnection} reads to the other, as Netty's
 * HexDumpProxy: auto-read is off and the next read is asked for only when the previous chunk
 * has been written, so at most one chunk per direction waits in the proxy however slow the
 * receiver is.
 *
 * <p>Threading: both channels of the connection are on one event loop (see
 * {@link TcpConnection}), so the peer's state read here is never stale.
 */
final class TcpRelayHandler extends ChannelInboundHandlerAdapter {

    private final TcpConnection connection;
    private final TcpConnection.Side side;

    TcpRelayHandler(TcpConnection connection, TcpConnection.Side side) {
        this.connection = connection;
        this.side = side;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (side == TcpConnection.Side.CLIENT) {
            connection.start();
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel peer = connection.peerOf(side);
        if (peer == null) {
            // Only the client reads before the backend is connected, and only on epoll's half-close.
            connection.holdEarly(msg);
            return;
        }
        peer.writeAndFlush(msg).addListener((ChannelFutureListener) written -> {
            if (written.isSuccess()) {
                TcpConnection.readMore(ctx.channel());
            } else {
                connection.failed(side == TcpConnection.Side.CLIENT ? TcpConnection.Side.BACKEND : TcpConnection.Side.CLIENT);
                written.channel().close();
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            connection.inputShutdown(side);
        } else if (evt instanceof IdleStateEvent) {
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connection.closed(side);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset or other I/O failure: this side is gone; channelInactive then resets the peer.
        connection.failed(side);
        ctx.close();
    }
}
