package dev.herd.balancer.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * One direction of a raw byte tunnel after an HTTP upgrade ({@code 101}): relays what it reads to
 * the peer and reads again only once the write succeeded (back-pressure, as Netty's HexDumpProxy).
 * End of input shuts the peer's output down after what was relayed is written (half-close); the
 * tunnel closes when both directions ended or either side fails.
 *
 * <p>Threading: both channels of a tunnel share one event loop, so {@link Link} is plain state.
 */
final class HttpTunnelHandler extends ChannelInboundHandlerAdapter {

    /** State shared by the two directions of one tunnel. */
    static final class Link {
        private final Runnable onClosed;
        private int inputsEnded;
        private int closed;

        /** @param onClosed run once, when both channels closed */
        Link(Runnable onClosed) {
            this.onClosed = onClosed;
        }
    }

    private final Channel peer;
    private final Link link;
    private boolean inputEnded;

    HttpTunnelHandler(Channel peer, Link link) {
        this.peer = peer;
        this.link = link;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            // An empty end-of-message left over by a removed HTTP codec.
            ReferenceCountUtil.release(msg);
            return;
        }
        peer.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                readUnlessEnded(ctx.channel());
            } else {
                closeBoth(ctx.channel());
            }
        });
    }

    /**
     * Asks for more input unless it ended: there is none to come, and Netty 4.2's epoll transport
     * fails a read asked of a half-closed socket it stopped watching (epoll_ctl ENOENT), closing it.
     */
    static void readUnlessEnded(Channel ch) {
        if (!(ch instanceof DuplexChannel duplex) || !duplex.isInputShutdown()) {
            ch.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !inputEnded) {
            inputEnded = true;
            link.inputsEnded++;
            if (link.inputsEnded == 2) {
                closeBoth(ctx.channel());
            } else if (peer instanceof DuplexChannel duplex) {
                // Shutting output fails writes still queued, so it waits for the last one.
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> duplex.shutdownOutput());
            } else {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (++link.closed == 2) {
            link.onClosed.run();
        }
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeBoth(ctx.channel());
    }

    private void closeBoth(Channel self) {
        self.close();
        peer.close();
    }
}
