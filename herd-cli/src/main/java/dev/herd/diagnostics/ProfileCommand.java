package dev.herd.diagnostics;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.herd.daemon.HerdException;
import dev.herd.daemon.HerdHome;
import dev.herd.daemon.InstanceView;
import dev.herd.supervisor.ProcessTree;

/**
 * {@code herd profile <app|id>}: async-profiler loaded into each JVM instance of the target for a
 * while, writing a flame graph; a JFR recording when the native library cannot load, or when asked.
 * Every instance of an app is profiled at the same time, over the same period.
 */
@Command(name = "profile", description = {"Profile a JVM instance, or each instance of an app at once, with"
        + " async-profiler (a flame graph HTML), or JFR (--format jfr, and when async-profiler cannot load)."
        + " The profile stops inside the JVM after its duration, even if herd is interrupted.",
        "Default file: $HERD_HOME/profiles/<app>-<index>-id<id>-<time>-<event>.<format>; a file you name holds"
                + " one instance and is never overwritten."})
public final class ProfileCommand implements Callable<Integer> {

    /** How long after its end a profile may take to appear in its file. */
    private static final Duration WRITE_GRACE = Duration.ofSeconds(60);
    private static final long POLL_MS = 200;

    @Parameters(index = "0", paramLabel = "<app|id>")
    String target;
    @Option(names = {"-d", "--duration"}, defaultValue = "30s", paramLabel = "DURATION",
            description = "How long to sample: 30s, 2m (a bare number is seconds; default ${DEFAULT-VALUE}).")
    String duration;
    @Option(names = {"-e", "--event"}, paramLabel = "cpu|alloc|wall|lock",
            description = "What async-profiler samples (default cpu); JFR records its profile settings whatever this says.")
    String event;
    @Option(names = {"-f", "--format"}, paramLabel = "html|jfr|collapsed",
            description = "A flame graph, a JFR recording, or collapsed stacks for other tools (default: as -o's"
                    + " extension says, else html).")
    String format;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write (one instance only).")
    Path output;

    /** A profile under way in one instance. */
    private record Running(InstanceView instance, ProcFacts jvm, Path file, String jfrRecording, Instant ends) {
    }

    @Override
    public Integer call() throws HerdException {
        ProfileSpec spec = new ProfileSpec(ProfileSpec.duration(duration),
                choice("--event", event == null ? "cpu" : event, ProfileSpec.Event.class), ProfileSpec.format(format, output));
        if (event != null && spec.format() == ProfileSpec.Format.JFR) {
            System.err.println("herd: warning: --event " + event + " is for async-profiler; a JFR recording samples"
                    + " with the JDK's profile settings (CPU, allocations, locks and more)");
        }
        HerdHome home = HerdHome.of(System.getenv());
        List<InstanceView> instances = OutputFiles.chosen(Targets.instances(target), target, output);
        Path named = output == null ? null : OutputFiles.named(output, Path.of(""), Files::exists, Files::isDirectory);
        int failed = 0;
        List<Running> running = new ArrayList<>();
        for (InstanceView instance : instances) {
            try {
                running.add(start(spec, home, instance, named));
            } catch (HerdException e) {
                System.err.println("herd: " + e.getMessage());
                failed++;
            }
        }
        for (Running r : running) {
            try {
                finish(r);
            } catch (HerdException e) {
                System.err.println("herd: " + e.getMessage());
                failed++;
            }
        }
        return failed == 0 ? 0 : 1;
    }

    private static Running start(ProfileSpec spec, HerdHome home, InstanceView instance, Path named) throws HerdException {
        ProcFacts jvm = Targets.requireJvm(instance, JvmChoice.Purpose.PROFILE);
        Instant now = Instant.now();
        String stem = OutputFiles.stem(instance, now);
        Path dir = home.dir().resolve("profiles");
        String label = JvmChoice.label(instance) + ", pid " + jvm.pid();
        try (Attach attach = Attach.to(instance, jvm)) {
            String whyJfr = null;
            if (spec.format() != ProfileSpec.Format.JFR) {
                Path out = named != null ? named
                        : OutputFiles.fresh(directory(dir), stem + "-" + spec.event().agentName(), spec.format().extension, Files::exists);
                try {
                    attach.loadAgent(ProfilerLibrary.extract(home.dir()), spec.agentStart(out));
                    System.out.println("herd: profiling " + label + " (" + spec.event().agentName() + ", async-profiler) for "
                            + spec.seconds() + "s into " + out);
                    return new Running(instance, jvm, out, null, now.plusSeconds(spec.seconds()));
                } catch (ProfilerLibrary.Unavailable | Attach.AgentFailed e) {
                    whyJfr = e.getMessage();
                }
            }
            Path out = named != null ? OutputFiles.named(OutputFiles.withExtension(named, "jfr"), Path.of(""), Files::exists, Files::isDirectory)
                    : OutputFiles.fresh(directory(dir), stem, "jfr", Files::exists);
            String recording = "herd-" + instance.id() + "-" + now.getEpochSecond();
            String answer = attach.jcmd(spec.jfrStart(recording, out));
            if (!answer.contains("Started recording")) {
                throw new HerdException(label + ": JFR did not start: " + answer.lines().collect(Collectors.joining(" ")));
            }
            System.out.println("herd: " + (whyJfr == null ? "" : "async-profiler could not load into " + label + ": "
                    + whyJfr + "; instead, ") + "recording " + label + " with JFR (profile settings) for " + spec.seconds()
                    + "s into " + out);
            return new Running(instance, jvm, out, recording, now.plusSeconds(spec.seconds()));
        }
    }

    /** Waits for the profile's end, then for its file to be whole. */
    private static void finish(Running r) throws HerdException {
        String label = JvmChoice.label(r.instance()) + ", pid " + r.jvm().pid();
        sleepUntil(r.ends());
        Instant giveUp = r.ends().plus(WRITE_GRACE);
        long previousSize = -1;
        while (true) {
            if (ProcessTree.stat(r.jvm().pid()).filter(s -> s.startTime() == r.jvm().startTime() && !s.isZombie()).isEmpty()) {
                throw new HerdException(label + " exited before its profile was written (herd describe "
                        + r.instance().id() + " says how)");
            }
            long size = size(r.file());
            boolean whole = r.jfrRecording() != null ? size > 0 && size == previousSize && jfrWritten(r)
                    : isWhole(r.file(), size, previousSize);
            if (whole) {
                System.out.println("herd: profile of " + label + ": " + r.file() + " (" + Targets.size(size) + ")");
                return;
            }
            if (Instant.now().isAfter(giveUp)) {
                throw new HerdException(label + ": no profile in " + r.file() + " " + WRITE_GRACE.toSeconds()
                        + "s after its end (the instance's out log may say why)");
            }
            previousSize = size;
            sleepUntil(Instant.now().plusMillis(POLL_MS));
        }
    }

    /** A JFR recording with a duration is listed until it is written, then forgotten. */
    private static boolean jfrWritten(Running r) throws HerdException {
        try (Attach attach = Attach.to(r.instance(), r.jvm())) {
            return attach.jcmd(ProfileSpec.jfrCheck(r.jfrRecording())).contains("Could not find");
        }
    }

    /** async-profiler writes its file at the end in one go: an HTML page is whole at its closing tag. */
    private static boolean isWhole(Path file, long size, long previousSize) {
        if (size <= 0) {
            return false;
        }
        if (!file.getFileName().toString().endsWith(".html")) {
            return size == previousSize;
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] tail = new byte[(int) Math.min(32, size)];
            f.seek(size - tail.length);
            f.readFully(tail);
            return new String(tail, StandardCharsets.ISO_8859_1).strip().endsWith("</html>");
        } catch (IOException e) {
            return false;
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    private static void sleepUntil(Instant when) throws HerdException {
        long millis = Duration.between(Instant.now(), when).toMillis();
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HerdException("interrupted; the profile still stops on time inside the JVM");
        }
    }

    private static Path directory(Path dir) throws HerdException {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new HerdException("cannot create " + dir + ": " + e.getMessage());
        }
    }

    private static <E extends Enum<E>> E choice(String option, String text, Class<E> type) throws HerdException {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(text)) {
                return e;
            }
        }
        throw new HerdException(option + ": '" + text + "' is not one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
    }
}
