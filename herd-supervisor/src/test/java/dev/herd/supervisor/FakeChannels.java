package dev.herd.supervisor;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Message channels with no socket behind them: the test says when a run's process connects and
 * when it says {@code 'ready'}, and reads what was sent to it.
 */
public final class FakeChannels implements InstanceChannels {

    /** One run's channel. */
    public static final class FakeChannel implements Channel {
        final String app;
        final int index;
        private final Runnable ready;
        private final String token;
        private final List<String> sent = new CopyOnWriteArrayList<>();
        private volatile boolean connected;
        private volatile boolean closed;

        FakeChannel(String app, int index, Runnable ready, String token) {
            this.app = app;
            this.index = index;
            this.ready = ready;
            this.token = token;
        }

        @Override
        public void addTo(Map<String, String> env) {
            env.put("FAKE_CHANNEL", token);
        }

        @Override
        public boolean send(String message) {
            if (!connected || closed) {
                return false;
            }
            sent.add(message);
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }

        /** Its process connected. */
        public void connect() {
            connected = true;
        }

        /** Its process said {@code 'ready'}. */
        public void sayReady() {
            ready.run();
        }

        public List<String> sent() {
            return sent;
        }

        public boolean closed() {
            return closed;
        }

        public String token() {
            return token;
        }
    }

    private final List<FakeChannel> opened = new CopyOnWriteArrayList<>();
    private volatile String failNextOpen;

    @Override
    public Channel open(String app, int index, Runnable ready) throws IOException {
        if (failNextOpen != null) {
            String why = failNextOpen;
            failNextOpen = null;
            throw new IOException(why);
        }
        FakeChannel c = new FakeChannel(app, index, ready, "token-" + opened.size());
        opened.add(c);
        return c;
    }

    /** The next open fails with this message. */
    public void failNextOpen(String message) {
        failNextOpen = message;
    }

    /** The newest channel. */
    public FakeChannel last() {
        return opened.get(opened.size() - 1);
    }

    /** Every channel opened, oldest first. */
    public List<FakeChannel> opened() {
        return opened;
    }
}
