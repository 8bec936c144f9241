package dev.herd.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.herd.supervisor.InstanceEvent;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.logs.LogDateFormat;
import dev.herd.supervisor.logs.LogListener;
import dev.herd.supervisor.logs.LogHistory;
import dev.herd.supervisor.logs.LogWriter;

/**
 * {@code herd logs}: the last lines of the target's log files (or those since a moment, each with
 * the time its file's {@code LineTimes} give), then, with {@code follow}, new
 * lines and changes of state as they come, until the client goes away. A slow client never slows
 * the apps or their log files: live items wait in a bounded queue, and those that do not fit are
 * dropped.
 */
final class LogStream {

    private static final int QUEUE = 10_000;

    private final Apps apps;
    private final Commands commands;
    private final ObjectMapper json = Protocol.json();

    /**
     * @param apps     the log files and the changes of state
     * @param commands resolves the target
     */
    LogStream(Apps apps, Commands commands) {
        this.apps = apps;
        this.commands = commands;
    }

    /** Serves one {@code logs} request on its connection's thread; returns when the stream ends. */
    void serve(Request.Logs r, SocketChannel ch, OutputStream out) throws IOException {
        List<InstanceInfo> selected;
        try {
            selected = commands.select(r.target());
        } catch (HerdException e) {
            Protocol.write(out, ControlServer.error(e.getMessage()));
            return;
        }
        Map<Path, InstanceInfo> files = new LinkedHashMap<>();
        for (InstanceInfo i : selected) {
            if (r.out()) {
                files.putIfAbsent(Path.of(i.outLog()), i);
            }
            if (r.err()) {
                files.putIfAbsent(Path.of(i.errLog()), i);
            }
        }
        if (r.lines() < LogHistory.ALL) {
            Protocol.write(out, ControlServer.error("logs --lines: expected 0 or more, got " + r.lines()));
            return;
        }
        Protocol.write(out, ControlServer.ok(json.createObjectNode()
                .set("files", json.valueToTree(files.keySet().stream().map(Path::toString).toList()))));
        long since = r.since() == null ? LogHistory.EVER : r.since();
        List<StreamItem> past = new ArrayList<>();
        for (Map.Entry<Path, InstanceInfo> f : files.entrySet()) {
            InstanceInfo i = f.getValue();
            String stream = f.getKey().toString().equals(i.outLog()) ? "out" : "err";
            for (LogHistory.Line line : LogHistory.read(f.getKey(), r.lines(), since)) {
                past.add(new StreamItem("line", i.app(), i.index(), i.id(), stream, line.epochMillis(), line.text()));
            }
        }
        // In the order they were written, across files (a stable sort: lines of one second keep
        // their file's order, and lines of files without times come first, as they were).
        past.sort(Comparator.comparingLong(StreamItem::time));
        for (StreamItem item : past) {
            Protocol.write(out, item);
        }
        if (r.follow()) {
            follow(r, selected, files, ch, out);
        }
    }

    private void follow(Request.Logs r, List<InstanceInfo> selected, Map<Path, InstanceInfo> files, SocketChannel ch,
                        OutputStream out) throws IOException {
        Set<Integer> ids = new LinkedHashSet<>(selected.stream().map(InstanceInfo::id).toList());
        BlockingQueue<StreamItem> queue = new ArrayBlockingQueue<>(QUEUE);
        Map<LogWriter, LogListener> listening = new LinkedHashMap<>();
        Map<Path, LogWriter> open = apps.logs().open();
        for (Map.Entry<Path, InstanceInfo> f : files.entrySet()) {
            LogWriter writer = open.get(f.getKey().toAbsolutePath().normalize());
            if (writer != null) {
                // Called on the log writer's thread: offer, never wait, so a slow client cannot stall the logs.
                // Live lines carry the file's timestamp too, so past and live lines read alike.
                String pattern = f.getValue().spec().logs().dateFormat();
                LogDateFormat format = pattern == null ? null : LogDateFormat.parse(pattern);
                LogListener l = line -> queue.offer(new StreamItem("line", line.app(), line.instance(), -1,
                        line.stream().label(), line.epochMillis(),
                        format == null ? line.text() : format.format(line.epochMillis()) + " " + line.text()));
                writer.addListener(l);
                listening.put(writer, l);
            }
        }
        Consumer<InstanceEvent> events = e -> {
            if (ids.contains(e.id()) || "all".equals(r.target())) {
                queue.offer(new StreamItem("event", e.app(), e.index(), e.id(), null, e.epochMillis(), e.toString()));
            }
        };
        apps.subscribe(events);
        Thread sender = ControlServer.daemonThread(() -> {
            try {
                while (true) {
                    Protocol.write(out, queue.take());
                }
            } catch (IOException | InterruptedException e) {
                // The client went away or the stream ended: nothing to report.
            }
        }, "herd-logs-stream");
        sender.start();
        try {
            // The client sends nothing more; reading only tells when it goes away. Read the channel
            // itself: a stream from Channels.newInputStream would hold the channel's blocking lock
            // while it waits, and the sender's writes need that lock.
            ByteBuffer one = ByteBuffer.allocate(1);
            while (ch.read(one) >= 0) {
                one.clear();
            }
        } finally {
            apps.unsubscribe(events);
            listening.forEach(LogWriter::removeListener);
            sender.interrupt();
        }
    }
}
