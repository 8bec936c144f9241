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
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.herd.supervisor.InstanceEvent;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.logs.LogFormat;
import dev.herd.supervisor.logs.LogHistory;
import dev.herd.supervisor.logs.LogListener;
import dev.herd.supervisor.logs.LogRegistry;
import dev.herd.supervisor.logs.LogWriter;
import dev.herd.supervisor.logs.Stream;

/**
 * {@code herd logs}: the last lines of the target's log files (or those since a moment, each with
 * the time its file's {@code LineTimes} give), all of them in the order they were written, then,
 * with {@code follow}, new lines and changes of state as they come, until the client goes away.
 * The answer names the files read ({@code files}), and the combined logs left out because they
 * repeat those lines ({@code combined}); an instance whose out or error file is {@code /dev/null}
 * and that keeps a combined log is read from that log, the only file with all its lines. Lines show as herd's readers show them: the
 * message of a JSON line, a timestamped line with its timestamp. A slow client never slows
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
        if (r.lines() < LogHistory.ALL) {
            Protocol.write(out, ControlServer.error("logs --lines: expected 0 or more, got " + r.lines()));
            return;
        }
        Map<Path, Source> sources = new LinkedHashMap<>();
        Set<String> combined = new LinkedHashSet<>();
        for (InstanceInfo i : selected) {
            LogFormat format = i.spec().logs().format();
            // Where a stream goes to no file of its own, only the combined log holds its lines: read
            // that alone then, which has the other stream's lines too.
            boolean bothKept = !isDiscarded(i.outLog()) && !isDiscarded(i.errLog());
            if (i.logFile() != null && !bothKept && r.out() && r.err()) {
                sources.putIfAbsent(Path.of(i.logFile()), new Source(i, "log", format));
                continue;
            }
            if (r.out()) {
                sources.putIfAbsent(Path.of(i.outLog()), new Source(i, "out", format));
            }
            if (r.err()) {
                sources.putIfAbsent(Path.of(i.errLog()), new Source(i, "err", format));
            }
            if (i.logFile() != null) {
                combined.add(i.logFile());
            }
        }
        List<String> files = sources.keySet().stream().filter(p -> !isDiscarded(p.toString())).map(Path::toString)
                .toList();
        ObjectNode answer = json.createObjectNode();
        answer.set("files", json.valueToTree(files));
        answer.set("combined", json.valueToTree(combined));
        Protocol.write(out, ControlServer.ok(answer));
        long since = r.since() == null ? LogHistory.EVER : r.since();
        List<StreamItem> past = new ArrayList<>();
        for (Map.Entry<Path, Source> f : sources.entrySet()) {
            Source s = f.getValue();
            if (isDiscarded(f.getKey().toString())) {
                continue;
            }
            for (LogHistory.Line line : LogHistory.read(f.getKey(), r.lines(), since)) {
                past.add(new StreamItem("line", s.info().app(), s.info().index(), s.info().id(), s.stream(),
                        line.epochMillis(), s.format().shown(line.text())));
            }
        }
        // In the order they were written, across files (a stable sort: lines of one 10 ms grain of
        // the times keep their file's order, and lines of files without times come first, as they were).
        past.sort(Comparator.comparingLong(StreamItem::time));
        for (StreamItem item : past) {
            Protocol.write(out, item);
        }
        if (r.follow()) {
            follow(r, selected, sources, ch, out);
        }
    }

    /**
     * A file that {@code logs} reads and follows for an instance.
     *
     * @param stream {@code out}, {@code err}, or {@code log} for a combined log, read when it is
     *               the only file the instance keeps (its live lines still say their stream)
     */
    private record Source(InstanceInfo info, String stream, LogFormat format) {
    }

    private static boolean isDiscarded(String file) {
        return Path.of(file).equals(LogRegistry.DISCARD);
    }

    private void follow(Request.Logs r, List<InstanceInfo> selected, Map<Path, Source> sources, SocketChannel ch,
                        OutputStream out) throws IOException {
        Set<Integer> ids = new LinkedHashSet<>(selected.stream().map(InstanceInfo::id).toList());
        boolean all = "all".equals(r.target());
        BlockingQueue<StreamItem> queue = new ArrayBlockingQueue<>(QUEUE);
        Map<LogWriter, LogListener> listening = new LinkedHashMap<>();
        Map<Path, LogWriter> open = apps.logs().open();
        for (Map.Entry<Path, Source> f : sources.entrySet()) {
            LogWriter writer = open.get(f.getKey().toAbsolutePath().normalize());
            if (writer != null && !listening.containsKey(writer)) {
                // Called on the log writer's thread: offer, never wait, so a slow client cannot stall the logs.
                // Live lines read as past lines do. A writer may carry other instances' lines (a
                // merged file, /dev/null): only the selected ones go.
                LogFormat format = f.getValue().format();
                LogListener l = line -> {
                    if ((all || ids.contains(line.id())) && (line.stream() == Stream.OUT ? r.out() : r.err())) {
                        queue.offer(new StreamItem("line", line.app(), line.instance(), line.id(),
                                line.stream().label(), line.epochMillis(), format.shown(line)));
                    }
                };
                writer.addListener(l);
                listening.put(writer, l);
            }
        }
        Consumer<InstanceEvent> events = e -> {
            if (all || ids.contains(e.id())) {
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
