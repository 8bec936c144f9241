package dev.herd.cli;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Type;
import java.net.StandardProtocolFamily;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

import com.sun.management.HotSpotDiagnosticMXBean;

import com.fasterxml.jackson.core.type.TypeReference;

import dev.herd.daemon.Daemon;
import dev.herd.daemon.Envelope;
import dev.herd.daemon.HerdException;
import dev.herd.daemon.HerdHome;
import dev.herd.daemon.InstanceLimit;
import dev.herd.daemon.InstanceView;
import dev.herd.daemon.Protocol;
import dev.herd.daemon.RecordJson;
import dev.herd.daemon.Request;
import dev.herd.daemon.Response;
import dev.herd.daemon.StreamItem;

/**
 * The CLI's side of the socket: connects to the daemon, starting it first when asked to, sends
 * one request and reads the answer.
 */
final class DaemonClient {

    private static final long START_TIMEOUT_MS = 15_000;
    private static final long POLL_MS = 20;

    private static final TypeReference<List<InstanceView>> VIEWS = new TypeReference<>() {
    };

    private final HerdHome home;

    DaemonClient(HerdHome home) {
        this.home = home;
    }

    /** Whether a daemon answers on the socket. */
    boolean isRunning() {
        try (SocketChannel ignored = connect()) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Sends one request and returns the daemon's successful answer.
     *
     * @param autostart start the daemon if none runs
     * @throws HerdException with the daemon's message when the command failed
     */
    Response call(Request request, boolean autostart) throws HerdException {
        try (SocketChannel ch = open(autostart)) {
            OutputStream out = Channels.newOutputStream(ch);
            InputStream in = Channels.newInputStream(ch);
            Protocol.write(out, new Envelope(Protocol.VERSION, Protocol.herdVersion(), request));
            return readResponse(in);
        } catch (IOException e) {
            throw new HerdException("lost the daemon on " + home.socket() + ": " + e.getMessage());
        }
    }

    /** Sends a streaming request, then hands each pushed item to {@code sink} until the daemon ends the stream. */
    Response stream(Request request, Consumer<StreamItem> sink) throws HerdException {
        return stream(request, answer -> { }, sink);
    }

    /** As {@link #stream(Request, Consumer)}, handing the daemon's answer to {@code answered} before the first item. */
    Response stream(Request request, Consumer<Response> answered, Consumer<StreamItem> sink) throws HerdException {
        try (SocketChannel ch = open(true)) {
            OutputStream out = Channels.newOutputStream(ch);
            InputStream in = Channels.newInputStream(ch);
            Protocol.write(out, new Envelope(Protocol.VERSION, Protocol.herdVersion(), request));
            Response response = readResponse(in);
            answered.accept(response);
            byte[] frame;
            while ((frame = Protocol.read(in)) != null) {
                sink.accept(Protocol.json().readValue(frame, StreamItem.class));
            }
            return response;
        } catch (IOException e) {
            throw new HerdException("lost the daemon on " + home.socket() + ": " + e.getMessage());
        }
    }

    /** {@code list}'s request, as {@link Envelope} and {@link Request.ListAll} are written. */
    record ListEnvelope(int v, String client, ListRequest request) {
    }

    /** {@link Request.ListAll} with its type name, as Jackson writes it. */
    record ListRequest(String cmd) {
    }

    /** {@link Response} to {@code list}, with its body typed. */
    record ListAnswer(int v, String daemon, boolean ok, String error, List<InstanceView> body) {
    }

    private static final Type LIST_ANSWER = ListAnswer.class;

    /**
     * Every instance, without Jackson databind when {@link RecordJson} handles {@link InstanceView}:
     * {@code list} is the command run most, and setting databind up was a third of its time.
     */
    List<InstanceView> list() throws HerdException {
        if (!RecordJson.supports(LIST_ANSWER)) {
            return Protocol.json().convertValue(call(new Request.ListAll(), true).body(), VIEWS);
        }
        try (SocketChannel ch = open(true)) {
            Protocol.writeFrame(Channels.newOutputStream(ch),
                    RecordJson.bytes(new ListEnvelope(Protocol.VERSION, Protocol.herdVersion(), new ListRequest("list"))));
            ListAnswer answer = (ListAnswer) RecordJson.read(frame(Channels.newInputStream(ch)), LIST_ANSWER);
            check(answer.daemon(), answer.ok(), answer.error());
            return answer.body() != null ? answer.body() : List.of();
        } catch (IOException e) {
            throw new HerdException("lost the daemon on " + home.socket() + ": " + e.getMessage());
        }
    }

    private Response readResponse(InputStream in) throws IOException, HerdException {
        Response response = Protocol.json().readValue(frame(in), Response.class);
        check(response.daemon(), response.ok(), response.error());
        return response;
    }

    private byte[] frame(InputStream in) throws IOException, HerdException {
        byte[] frame = Protocol.read(in);
        if (frame == null) {
            throw new HerdException("the daemon closed the connection without an answer (see " + home.daemonLog() + ")");
        }
        return frame;
    }

    private static void check(String daemon, boolean ok, String error) throws HerdException {
        if (daemon != null && !daemon.equals(Protocol.herdVersion())) {
            System.err.println("herd: the daemon runs herd " + daemon + ", this is herd "
                    + Protocol.herdVersion() + ": run 'herd update' to replace it (apps are kept)");
        }
        if (!ok) {
            throw new HerdException(error);
        }
    }

    private SocketChannel open(boolean autostart) throws HerdException {
        try {
            return connect();
        } catch (IOException e) {
            if (!autostart) {
                throw new HerdException("no herd daemon is running for " + home.dir());
            }
        }
        startDaemon();
        try {
            return connect();
        } catch (IOException e) {
            throw new HerdException("cannot reach the daemon at " + home.socket() + ": " + e.getMessage());
        }
    }

    private SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(home.socket()));
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Starts {@code herd daemon} in the background under its {@link DaemonGuardian} (unless
     * {@value DaemonGuardian#VARIABLE} is off): its own session (no terminal's signals reach it),
     * stdin from /dev/null, output to {@code daemon.log}; then waits until it answers.
     */
    void startDaemon() throws HerdException {
        boolean guarded = DaemonGuardian.wanted(System.getenv());
        home.ensure();
        List<String> daemon = new ArrayList<>();
        daemon.add(javaBinary());
        daemon.addAll(daemonJvmArgs(InstanceLimit.of(System.getenv(), "herd update"), DaemonClient::vmHasOption));
        DaemonArchive archive = new DaemonArchive(Path.of(ownJar()), System.getProperty("java.version"));
        daemon.addAll(archive.options());
        daemon.add("-cp");
        daemon.add(ownJar());
        daemon.add(DaemonMain.class.getName());
        List<String> argv = new ArrayList<>();
        argv.add("setsid");
        argv.addAll(guarded ? DaemonGuardian.standard().wrap(home.dir(), daemon) : daemon);
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.daemonLog().toFile()))
                .redirectErrorStream(true);
        pb.environment().put("HERD_HOME", home.dir().toString());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new HerdException("cannot start the daemon: " + e.getMessage());
        }
        // setsid(1) execs the guardian (or the daemon) in place, as it forks only as a group
        // leader, which our child is not: it lives until the daemon that dumps has exited for good.
        archive.started(p.pid());
        // Refused for another daemon's lock (its guardian started one first): that one answers soon.
        if (awaitAnswer(() -> p.isAlive() || p.exitValue() == Daemon.AlreadyRunning.EXIT_CODE)) {
            return;
        }
        if (!p.isAlive()) {
            throw new HerdException("the daemon exited at start (code " + p.exitValue() + "): " + lastLine(home.daemonLog()));
        }
        throw new HerdException("the daemon did not answer within " + START_TIMEOUT_MS + " ms (see " + home.daemonLog() + ")");
    }

    /** Waits until {@code daemon}, just started, answers; false when it exits first or does not answer in time. */
    boolean awaitAnswer(ProcessHandle daemon) throws HerdException {
        return awaitAnswer(daemon::isAlive);
    }

    private boolean awaitAnswer(BooleanSupplier starting) throws HerdException {
        long deadline = System.nanoTime() + START_TIMEOUT_MS * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (isRunning()) {
                return true;
            }
            if (!starting.getAsBoolean()) {
                return isRunning();
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HerdException("interrupted while waiting for the daemon");
            }
        }
        return false;
    }

    private static String lastLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /**
     * Small, steady footprint: the daemon holds little, and a resident JVM should not hoard memory.
     * Without -Xms the serial collector commits its whole initial heap (a 64th of the machine's
     * memory, up to -Xmx) at once: 128 MB of RSS for nothing. The heap grows with a raised instance
     * limit, which would be no use without. JNA is native access, which JDK 22+ warns about unless
     * allowed.
     *
     * <p>Both JIT tiers: the daemon carries cluster apps' public ports, and C1 alone cost their
     * proxy 1.3-1.5x the CPU per request (measured beside C2 with herd balance and wrk on two node
     * backends); C2 compiles only what gets hot, so an idle daemon pays ~13 MB of RSS for it (63 to
     * 77 MB). The collector made no measurable difference to the proxy: serial keeps it small.
     *
     * <p>The native heap trimmed every few seconds where the JVM has the option (later updates of
     * 17 and 21, and 22 on; asked of the JVM rather than told by its version): memory that C2 and
     * the threads freed goes back to the system instead of staying with malloc, 8-9 MB of RSS with
     * 10 apps (measured beside the same daemon without it).
     *
     * @param vmOption whether the JVM that will run the daemon (this one's {@code java}) knows an
     *                 {@code -XX} option of this name
     */
    static List<String> daemonJvmArgs(InstanceLimit limit, Predicate<String> vmOption) {
        List<String> args = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xss512k", "-Xms8m",
                "-Xmx" + limit.heapMegabytes() + "m",
                "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:MaxMetaspaceSize=96m",
                "--enable-native-access=ALL-UNNAMED",
                // A daemon out of heap would go on, half alive, answering nothing: it exits instead,
                // and the next command's daemon takes its apps over (Leftovers, the running file).
                "-XX:+ExitOnOutOfMemoryError"));
        if (vmOption.test(TRIM_OPTION)) {
            args.add("-XX:" + TRIM_OPTION + "=" + TRIM_INTERVAL_MS);
        }
        return List.copyOf(args);
    }

    private static final String TRIM_OPTION = "TrimNativeHeapInterval";
    private static final long TRIM_INTERVAL_MS = 5000;

    /** Whether this JVM has an {@code -XX} option of this name: the daemon runs on the same {@code java}. */
    static boolean vmHasOption(String name) {
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    static String ownJar() {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate herd's own jar", e);
        }
    }
}
