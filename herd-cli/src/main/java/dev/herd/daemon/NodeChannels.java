package dev.herd.daemon;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.FileDescriptorCast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.cluster.Descriptors;

/**
 * Node.js's own IPC channels to instances herd spawns itself: one socket pair per run, whose end
 * the process inherits as {@code NODE_CHANNEL_FD}, as PM2's {@code fork} gives each child. Unlike
 * the preload's channel ({@link NodeIpc}'s socket), it carries descriptors, which is what a
 * process that shares its listens needs: herd sends it the socket of each port it asks for, in
 * Node's own handle message, and Node hands it to herd's preload as a TCP handle.
 *
 * <p>One selector thread, started with the first channel, reads every channel; writes come from
 * any thread, without blocking.
 */
final class NodeChannels implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeChannels.class);

    private final Selector selector;
    private final Queue<Link> pending = new ConcurrentLinkedQueue<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(16 * 1024);
    private final Thread thread;
    private volatile boolean closing;

    NodeChannels() throws IOException {
        selector = AFUNIXSelectorProvider.provider().openSelector();
        thread = new Thread(this::serve, "herd-node-channels");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Opens the channel of one run.
     *
     * @param name    the run, for the log
     * @param onLine  each line its process writes, on the selector thread
     */
    Link open(String name, Consumer<String> onLine) throws IOException {
        int[] pair = Descriptors.socketPair();
        AFUNIXSocketChannel ours;
        try {
            ours = FileDescriptorCast.unsafeUsing(pair[0]).as(AFUNIXSocketChannel.class);
            ours.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            Descriptors.close(pair[0]);
            Descriptors.close(pair[1]);
            throw e;
        }
        Link link = new Link(name, ours, pair[1], onLine);
        pending.add(link);
        selector.wakeup();
        return link;
    }

    /** One run's channel. */
    final class Link {
        private final String name;
        private final AFUNIXSocketChannel ours;
        private final Consumer<String> onLine;
        private final IpcWire.Lines lines = new IpcWire.Lines();
        /** The process's end (a raw descriptor), until it has been handed over, then -1; guarded by this. */
        private int theirs;

        private Link(String name, AFUNIXSocketChannel ours, int theirs, Consumer<String> onLine) {
            this.name = name;
            this.ours = ours;
            this.theirs = theirs;
            this.onLine = onLine;
        }

        /** The descriptor of the process's end, in this process. */
        synchronized int childFd() throws IOException {
            if (theirs < 0) {
                throw new ClosedChannelException();
            }
            return theirs;
        }

        /** The process has its copy (or never will): ours goes, so its exit ends the channel. */
        synchronized void handedOver() {
            if (theirs >= 0) {
                Descriptors.close(theirs);
                theirs = -1;
            }
        }

        /**
         * Writes a whole line, with {@code fd} attached when it is not -1, without blocking: a
         * line that does not fit at once (an app that reads nothing) ends the channel.
         */
        synchronized boolean write(byte[] line, int fd) {
            if (!ours.isOpen()) {
                return false;
            }
            ByteBuffer b = ByteBuffer.wrap(line);
            try {
                if (fd >= 0) {
                    FileDescriptor d = FileDescriptorCast.unsafeUsing(fd).getFileDescriptor();
                    ours.setOutboundFileDescriptors(d);
                }
                ours.write(b);
            } catch (IOException e) {
                return false;
            } finally {
                if (fd >= 0) {
                    try {
                        ours.setOutboundFileDescriptors((FileDescriptor[]) null);
                    } catch (IOException e) {
                        log.debug("{}: clearing the descriptors to send: {}", name, e.getMessage());
                    }
                }
            }
            if (b.hasRemaining()) {
                log.warn("{}: its Node.js channel is full, closing it", name);
                close();
                return false;
            }
            return true;
        }

        /** Ends the channel; the process sees it disconnect. Idempotent. */
        synchronized void close() {
            handedOver();
            closeQuietly(ours);
        }

        private void read(SelectionKey key) {
            int n;
            readBuffer.clear();
            try {
                n = ours.read(readBuffer);
            } catch (IOException e) {
                n = -1;
            }
            if (n < 0) {
                key.cancel();
                close();
                log.debug("{}: Node.js channel closed", name);
                return;
            }
            readBuffer.flip();
            for (String line : lines.feed(readBuffer)) {
                onLine.accept(line);
            }
        }
    }

    private void serve() {
        try {
            while (!closing) {
                selector.select();
                Link l;
                while ((l = pending.poll()) != null) {
                    if (l.ours.isOpen()) {
                        l.ours.register(selector, SelectionKey.OP_READ, l);
                    }
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.isValid() && key.isReadable()) {
                        ((Link) key.attachment()).read(key);
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException | RuntimeException e) {
            log.error("the Node.js channels failed: instances lose their channel", e);
        } finally {
            for (SelectionKey key : selector.keys()) {
                ((Link) key.attachment()).close();
            }
            pending.forEach(Link::close);
            closeQuietly(selector);
        }
    }

    /** Ends every channel. */
    @Override
    public void close() {
        closing = true;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            log.debug("closing a Node.js channel: {}", e.getMessage());
        }
    }
}
