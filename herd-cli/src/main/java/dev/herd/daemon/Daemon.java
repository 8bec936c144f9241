package dev.herd.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.config.ConfigException;
import dev.herd.config.EcosystemLoader;
import dev.herd.config.LoadedApps;
import dev.herd.config.StartCommand;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.InstanceEvent;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.OrphanReaper;
import dev.herd.supervisor.ProcessState;
import dev.herd.supervisor.ProcessTree;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.SetsidLauncher;
import dev.herd.supervisor.Supervisor;
import dev.herd.supervisor.Ticker;
import dev.herd.supervisor.logs.LogDateFormat;
import dev.herd.supervisor.logs.LogListener;
import dev.herd.supervisor.logs.LogRegistry;
import dev.herd.supervisor.logs.LogTail;
import dev.herd.supervisor.logs.LogWriter;

/**
 * The background process that owns the supervisor: serves the command table on a Unix socket in
 * {@code $HERD_HOME}, to its owner only, until {@code kill}.
 *
 * <p>Threading: one thread accepts; each connection has its own thread (a handful of short
 * requests, and the odd long-lived {@code logs} stream). All process state lives in the
 * {@link Supervisor}, which serialises it on its own loop.
 */
public final class Daemon {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    private static final long SAMPLE_PERIOD_MS = 2000;
    private static final int STREAM_QUEUE = 10_000;

    private interface Handler {
        JsonNode handle(Request request) throws Exception;
    }

    private final HerdHome home;
    private final EcosystemLoader loader;
    private final LogRegistry logs = new LogRegistry();
    private final Supervisor supervisor;
    private final ResourceSampler sampler = new ResourceSampler();
    private final List<Consumer<InstanceEvent>> subscribers = new CopyOnWriteArrayList<>();
    private final Map<Class<? extends Request>, Handler> commands = new LinkedHashMap<>();
    private final CountDownLatch killed = new CountDownLatch(1);
    private final ObjectMapper json = Protocol.json();
    /**
     * The dump holds AppSpecs, whose durations need java.time support that the CLI's mapper goes
     * without. Derived properties (AppSpec.isNode) are written too and ignored when read back.
     */
    private final ObjectMapper dumpJson = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private final String owner;
    private volatile boolean keepForUpdate;
    private final ExecutorService persister = Executors.newSingleThreadExecutor(r -> daemonThread(r, "herd-persist"));
    private final AtomicBoolean persistPending = new AtomicBoolean();

    private Daemon(HerdHome home) {
        this.home = home;
        this.loader = new EcosystemLoader(home.dir(), Runtime.getRuntime().availableProcessors());
        this.owner = System.getProperty("user.name");
        this.supervisor = new Supervisor(new SetsidLauncher(), logs, Ticker.system(), System::currentTimeMillis,
                Math::random, e -> {
                    subscribers.forEach(s -> s.accept(e));
                    persistRunningSoon();
                });
        commands.put(Request.Ping.class, r -> json.createObjectNode().put("pid", ProcessHandle.current().pid()));
        commands.put(Request.Start.class, r -> start((Request.Start) r));
        commands.put(Request.ListAll.class, r -> json.valueToTree(views(sampledList())));
        commands.put(Request.Stop.class, r -> run(((Request.Stop) r).target(), supervisor::stop));
        commands.put(Request.Restart.class, r -> run(((Request.Restart) r).target(), supervisor::restart));
        commands.put(Request.Delete.class, r -> run(((Request.Delete) r).target(), supervisor::delete));
        commands.put(Request.Describe.class, r -> json.valueToTree(views(select(((Request.Describe) r).target()))));
        commands.put(Request.SendSignal.class, r -> signal((Request.SendSignal) r));
        commands.put(Request.Flush.class, r -> flush((Request.Flush) r));
        commands.put(Request.Save.class, r -> save(home.dumpFile()));
        commands.put(Request.Resurrect.class, r -> resurrect((Request.Resurrect) r));
        commands.put(Request.Kill.class, r -> {
            keepForUpdate = ((Request.Kill) r).forUpdate();
            killed.countDown();
            return json.createObjectNode().put("pid", ProcessHandle.current().pid());
        });
    }

    /**
     * Runs a daemon in this process until {@code kill} or SIGTERM; everything it started is
     * stopped before it returns.
     *
     * @throws HerdException if another daemon holds the lock, or the socket cannot be made
     */
    public static void run(HerdHome home) throws HerdException {
        home.ensure();
        try (FileChannel lockChannel = FileChannel.open(home.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockChannel.tryLock()) {
            if (lock == null) {
                throw new HerdException("a herd daemon is already running for " + home.dir() + readPid(home));
            }
            new Daemon(home).serve();
        } catch (IOException e) {
            throw new HerdException("daemon failed: " + e.getMessage(), e);
        }
    }

    private static String readPid(HerdHome home) {
        try {
            return " (pid " + Files.readString(home.pidFile()).trim() + ")";
        } catch (IOException e) {
            return "";
        }
    }

    private void serve() throws IOException {
        // We hold the lock, so a socket file left here belongs to a daemon that died: replace it.
        Files.deleteIfExists(home.socket());
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(home.socket()));
        Files.setPosixFilePermissions(home.socket(), PosixFilePermissions.fromString("rw-------"));
        Files.writeString(home.pidFile(), ProcessHandle.current().pid() + "\n");
        OrphanReaper reaper = new OrphanReaper(1000);
        recoverFromCrash();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemonThread(r, "herd-sampler"));
        timer.scheduleWithFixedDelay(this::sample, 0, SAMPLE_PERIOD_MS, TimeUnit.MILLISECONDS);
        Thread hook = new Thread(() -> shutDown(server, reaper, timer), "herd-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Thread acceptor = daemonThread(() -> accept(server), "herd-accept");
        acceptor.start();
        log.info("herd daemon {} (pid {}) serving {}", Protocol.herdVersion(), ProcessHandle.current().pid(), home.socket());
        try {
            killed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        shutDown(server, reaper, timer);
    }

    private void shutDown(ServerSocketChannel server, OrphanReaper reaper, ScheduledExecutorService timer) {
        try {
            if (keepForUpdate) {
                save(home.updateDumpFile());
            }
            timer.shutdownNow();
            server.close();
            Files.deleteIfExists(home.socket());
            supervisor.close();
            persister.shutdown();
            persister.awaitTermination(5, TimeUnit.SECONDS);
            Files.deleteIfExists(home.runningFile());
            logs.close();
            reaper.close();
            Files.deleteIfExists(home.pidFile());
            log.info("herd daemon stopped");
        } catch (IOException e) {
            log.error("error while shutting down", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void accept(ServerSocketChannel server) {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                daemonThread(() -> serve(ch), "herd-conn").start();
            } catch (IOException e) {
                if (server.isOpen()) {
                    log.error("accept failed", e);
                }
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            InputStream in = Channels.newInputStream(ch);
            OutputStream out = Channels.newOutputStream(ch);
            UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().getName().equals(owner)) {
                log.warn("refused a connection from user {}: this daemon serves {} only", peer.user().getName(), owner);
                reply(out, error("refused: this herd daemon belongs to " + owner + ", and you are " + peer.user().getName()));
                return;
            }
            byte[] frame;
            try {
                frame = Protocol.read(in);
            } catch (IOException e) {
                reply(out, error("bad request: " + e.getMessage()));
                return;
            }
            if (frame == null) {
                return;
            }
            Envelope envelope;
            try {
                envelope = json.readValue(frame, Envelope.class);
            } catch (JsonProcessingException e) {
                reply(out, error("bad request: " + e.getOriginalMessage()));
                return;
            }
            if (envelope.v() != Protocol.VERSION || envelope.request() == null) {
                reply(out, error("this daemon speaks protocol " + Protocol.VERSION + " (herd " + Protocol.herdVersion()
                        + "), the client " + envelope.v() + " (herd " + envelope.client() + "): run 'herd update'"));
                return;
            }
            if (envelope.request() instanceof Request.Logs logsRequest) {
                streamLogs(logsRequest, ch, out);
                return;
            }
            reply(out, handle(envelope.request()));
        } catch (IOException e) {
            log.debug("connection ended: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("connection failed", e);
        }
    }

    private Response handle(Request request) {
        Handler handler = commands.get(request.getClass());
        try {
            return new Response(Protocol.VERSION, Protocol.herdVersion(), true, null, handler.handle(request));
        } catch (HerdException | ConfigException e) {
            return error(e.getMessage());
        } catch (Exception e) {
            Throwable cause = Supervisor.cause(e);
            if (cause instanceof HerdException || cause instanceof IllegalArgumentException
                    || cause instanceof java.util.NoSuchElementException) {
                return error(cause.getMessage());
            }
            log.error("{} failed", request, cause);
            return error("internal error: " + cause + " (see " + home.daemonLog() + ")");
        }
    }

    private static Response error(String message) {
        return new Response(Protocol.VERSION, Protocol.herdVersion(), false, message, null);
    }

    private static void reply(OutputStream out, Object message) throws IOException {
        Protocol.write(out, message);
    }

    private JsonNode start(Request.Start s) throws Exception {
        Path cwd = Path.of(s.cwd());
        List<String> started = new ArrayList<>();
        List<String> alreadyRunning = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        if (EcosystemLoader.isEcosystemFile(s.target())) {
            LoadedApps loaded = loader.load(cwd.resolve(s.target()), s.env(), s.envName(), s.instances());
            warnings.addAll(loaded.warnings());
            for (AppSpec spec : loaded.apps()) {
                List<Integer> existing = idsOfApp(spec.name());
                if (existing.isEmpty()) {
                    supervisor.add(spec).join();
                    started.add(spec.name());
                } else {
                    startExisting(spec.name(), existing, started, alreadyRunning);
                }
            }
        } else if (!Files.exists(cwd.resolve(s.target())) && isKnownTarget(s.target())) {
            // herd start a b c: every word names an app or id, as PM2 takes several.
            for (String target : concat(s.target(), s.args())) {
                startExisting(target, targetIds(target), started, alreadyRunning);
            }
        } else {
            LoadedApps loaded = loader.fromCommand(new StartCommand(s.target(), cwd, s.name(), s.instances(),
                    s.args(), s.interpreter(), s.interpreterArgs(), s.env()));
            warnings.addAll(loaded.warnings());
            for (AppSpec spec : loaded.apps()) {
                supervisor.add(spec).join();
                started.add(spec.name());
            }
        }
        ObjectNode body = json.createObjectNode();
        body.set("started", json.valueToTree(started));
        body.set("alreadyRunning", json.valueToTree(alreadyRunning));
        body.set("warnings", json.valueToTree(warnings));
        return body;
    }

    /** Starts the instances of a target that are not running; one that runs already is left alone and said so. */
    private void startExisting(String target, List<Integer> ids, List<String> started, List<String> alreadyRunning) {
        boolean allRunning = supervisor.list().stream().filter(i -> ids.contains(i.id()))
                .allMatch(i -> i.state().isRunning());
        if (allRunning) {
            alreadyRunning.add(target);
        } else {
            supervisor.start(ids).join();
            started.add(target);
        }
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    private JsonNode run(String target, java.util.function.Function<List<Integer>, CompletableFuture<Void>> action)
            throws HerdException {
        List<Integer> ids = targetIds(target);
        action.apply(ids).join();
        return json.valueToTree(ids);
    }

    private JsonNode signal(Request.SendSignal r) throws HerdException {
        Signal signal;
        try {
            signal = Signal.parse(r.signal());
        } catch (IllegalArgumentException e) {
            throw new HerdException(e.getMessage());
        }
        List<Integer> ids = targetIds(r.target());
        int sent = supervisor.signal(ids, signal).join();
        if (sent == 0) {
            throw new HerdException("no running instance of '" + r.target() + "' to send " + signal.name() + " to");
        }
        return json.createObjectNode().put("sent", sent);
    }

    private JsonNode flush(Request.Flush r) throws HerdException, IOException {
        Set<Path> files = new LinkedHashSet<>();
        for (InstanceInfo i : select(r.target())) {
            files.add(Path.of(i.outLog()));
            files.add(Path.of(i.errLog()));
        }
        for (Path f : files) {
            logs.flush(f);
        }
        return json.valueToTree(files.stream().map(Path::toString).toList());
    }

    /** Writes the process list atomically, readable by its owner only. */
    private JsonNode save(Path file) throws IOException {
        List<AppSpec> apps = supervisor.apps();
        List<InstanceInfo> list = supervisor.list();
        List<String> stopped = apps.stream().map(AppSpec::name)
                .filter(name -> list.stream().filter(i -> i.app().equals(name))
                        .noneMatch(i -> i.state().isRunning() || i.state() == ProcessState.WAITING_RESTART))
                .toList();
        writePrivately(file, dumpJson.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Dump(1, apps, stopped)));
        ObjectNode body = json.createObjectNode();
        body.put("file", file.toString());
        body.put("apps", apps.size());
        return body;
    }

    private JsonNode resurrect(Request.Resurrect r) throws HerdException {
        Path file = r.fromUpdate() ? home.updateDumpFile() : home.dumpFile();
        if (!Files.exists(file)) {
            throw new HerdException("nothing to resurrect: " + file + " does not exist (run 'herd save' first)");
        }
        Dump dump;
        try {
            dump = dumpJson.readValue(file.toFile(), Dump.class);
        } catch (IOException e) {
            throw new HerdException("cannot read " + file + ": " + e.getMessage());
        }
        List<String> restored = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (AppSpec spec : dump.apps()) {
            if (!idsOfApp(spec.name()).isEmpty()) {
                skipped.add(spec.name());
                continue;
            }
            boolean wasStopped = dump.stopped() != null && dump.stopped().contains(spec.name());
            supervisor.add(spec, !wasStopped).join();
            restored.add(spec.name() + (wasStopped ? " (stopped, as saved)" : ""));
        }
        if (r.fromUpdate()) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("cannot delete {}: {}", file, e.getMessage());
            }
        }
        ObjectNode body = json.createObjectNode();
        body.set("restored", json.valueToTree(restored));
        body.set("skipped", json.valueToTree(skipped));
        return body;
    }

    private void streamLogs(Request.Logs r, SocketChannel ch, OutputStream out) throws IOException {
        List<InstanceInfo> selected;
        try {
            selected = select(r.target());
        } catch (HerdException e) {
            reply(out, error(e.getMessage()));
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
        ObjectNode body = json.createObjectNode();
        body.set("files", json.valueToTree(files.keySet().stream().map(Path::toString).toList()));
        reply(out, new Response(Protocol.VERSION, Protocol.herdVersion(), true, null, body));
        for (Map.Entry<Path, InstanceInfo> f : files.entrySet()) {
            InstanceInfo i = f.getValue();
            String stream = f.getKey().toString().equals(i.outLog()) ? "out" : "err";
            for (String line : LogTail.lastLines(f.getKey(), r.lines())) {
                reply(out, new StreamItem("line", i.app(), i.index(), i.id(), stream, 0, line));
            }
        }
        if (!r.follow()) {
            return;
        }
        Set<Integer> ids = new LinkedHashSet<>(selected.stream().map(InstanceInfo::id).toList());
        BlockingQueue<StreamItem> queue = new ArrayBlockingQueue<>(STREAM_QUEUE);
        Map<LogWriter, LogListener> listening = new LinkedHashMap<>();
        Map<Path, LogWriter> open = logs.open();
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
        subscribers.add(events);
        Thread sender = daemonThread(() -> {
            try {
                while (true) {
                    reply(out, queue.take());
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
            subscribers.remove(events);
            listening.forEach(LogWriter::removeListener);
            sender.interrupt();
        }
    }

    /** Coalesces bursts of state changes into one write of the running file, off the supervisor's loop. */
    private void persistRunningSoon() {
        if (persistPending.compareAndSet(false, true)) {
            persister.execute(() -> {
                persistPending.set(false);
                persistRunning();
            });
        }
    }

    private void persistRunning() {
        try {
            List<InstanceInfo> list = supervisor.list();
            Set<String> running = new LinkedHashSet<>();
            List<Running.Process> processes = new ArrayList<>();
            Map<String, AppSpec> specs = new LinkedHashMap<>();
            for (InstanceInfo i : list) {
                specs.putIfAbsent(i.app(), i.spec());
                if (i.state().isRunning() || i.state() == ProcessState.WAITING_RESTART) {
                    running.add(i.app());
                }
                if (i.pid() > 0) {
                    ProcessTree.stat(i.pid()).ifPresent(st -> processes.add(new Running.Process(i.pid(), st.startTime(),
                            i.spec().stop().killTimeout().toMillis())));
                }
            }
            List<AppSpec> apps = running.stream().map(specs::get).toList();
            writePrivately(home.runningFile(), dumpJson.writeValueAsBytes(new Running(apps, processes)));
        } catch (IOException | RuntimeException e) {
            log.error("cannot record the running apps in {}", home.runningFile(), e);
        }
    }

    /**
     * A running file left behind means the previous daemon died with its apps still up and no one
     * supervising them (they keep their ports, and nothing restarts them). Stop what is left of
     * them, then start those apps again under this daemon.
     */
    private void recoverFromCrash() {
        Path file = home.runningFile();
        if (!Files.exists(file)) {
            return;
        }
        Running previous;
        try {
            previous = dumpJson.readValue(file.toFile(), Running.class);
        } catch (IOException e) {
            log.error("cannot read {} left by a previous daemon; its apps may still run: {}", file, e.getMessage());
            return;
        }
        int stopped = 0;
        for (Running.Process p : previous.processes()) {
            Optional<ProcessTree.Stat> st = ProcessTree.stat(p.pid());
            if (st.isPresent() && st.get().startTime() == p.startTime() && !st.get().isZombie()) {
                Supervisor.stopGroup(p.pid(), Duration.ofMillis(p.killTimeoutMillis()));
                stopped++;
            }
        }
        List<String> restarted = new ArrayList<>();
        for (AppSpec spec : previous.apps()) {
            supervisor.add(spec).join();
            restarted.add(spec.name());
        }
        log.warn("the previous daemon ended without stopping its apps: stopped {} leftover process group(s), "
                + "started again: {}", stopped, restarted);
    }

    private void sample() {
        try {
            sampler.sample(runningPids(supervisor.list()), System.nanoTime());
        } catch (RuntimeException e) {
            log.error("sampling failed", e);
        }
    }

    /** The list, with memory figures even for instances started since the last periodic sample. */
    private List<InstanceInfo> sampledList() {
        List<InstanceInfo> list = supervisor.list();
        List<Long> pids = runningPids(list);
        if (!sampler.knows(pids)) {
            sampler.sample(pids, System.nanoTime());
        }
        return list;
    }

    private static List<Long> runningPids(List<InstanceInfo> list) {
        return list.stream().filter(i -> i.pid() > 0).map(InstanceInfo::pid).toList();
    }

    private List<InstanceView> views(List<InstanceInfo> infos) {
        return infos.stream().map(i -> {
            ResourceSampler.Usage u = i.pid() > 0 ? sampler.of(i.pid()) : ResourceSampler.Usage.NONE;
            return new InstanceView(i.id(), i.app(), i.index(), "fork", i.pid(), i.state().label(), i.restarts(),
                    i.unstableRestarts(), i.uptimeMillis(), i.startedAtMillis(), u.cpuPercent(), u.memoryBytes(),
                    i.spec().command(), i.spec().cwd().toString(), i.outLog(), i.errLog(), i.droppedLogLines(),
                    i.lastReason(), i.lastExits());
        }).toList();
    }

    private List<InstanceInfo> select(String target) throws HerdException {
        Set<Integer> ids = new LinkedHashSet<>(targetIds(target));
        return supervisor.list().stream().filter(i -> ids.contains(i.id())).toList();
    }

    private boolean isKnownTarget(String target) {
        try {
            targetIds(target);
            return true;
        } catch (HerdException e) {
            return false;
        }
    }

    private List<Integer> idsOfApp(String name) {
        return supervisor.list().stream().filter(i -> i.app().equals(name)).map(InstanceInfo::id).toList();
    }

    /** An id, an app name or {@code all}; anything else is an error that lists what is known. */
    private List<Integer> targetIds(String target) throws HerdException {
        List<InstanceInfo> all = supervisor.list();
        if ("all".equals(target)) {
            return all.stream().map(InstanceInfo::id).toList();
        }
        List<Integer> byName = all.stream().filter(i -> i.app().equals(target)).map(InstanceInfo::id).toList();
        if (!byName.isEmpty()) {
            return byName;
        }
        if (!target.isEmpty() && target.chars().allMatch(Character::isDigit)) {
            int id = Integer.parseInt(target);
            if (all.stream().anyMatch(i -> i.id() == id)) {
                return List.of(id);
            }
        }
        Set<String> names = new LinkedHashSet<>(all.stream().map(InstanceInfo::app).toList());
        throw new HerdException(names.isEmpty()
                ? "no app or id '" + target + "': herd runs no apps"
                : "no app or id '" + target + "' (known apps: " + String.join(", ", names) + "; ids: "
                        + all.stream().map(i -> Integer.toString(i.id())).collect(java.util.stream.Collectors.joining(", "))
                        + "; or all)");
    }

    private static Thread daemonThread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Replaces a file atomically with one only its owner can read: it holds the apps' environments. */
    private static void writePrivately(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The saved process list.
     *
     * @param version format version
     * @param apps    every app
     * @param stopped the apps none of whose instances ran when it was saved (null in older dumps)
     */
    record Dump(int version, List<AppSpec> apps, List<String> stopped) {
    }

    /**
     * What ran under this daemon: the apps with live instances, and their processes.
     *
     * @param apps      apps to start again after a crash
     * @param processes group leaders to stop if they outlived the daemon
     */
    record Running(List<AppSpec> apps, List<Process> processes) {

        /** A group leader, identified across pid reuse by its start time. */
        record Process(long pid, long startTime, long killTimeoutMillis) {
        }
    }
}
