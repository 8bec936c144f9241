package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.ToolProvider;

import com.fasterxml.jackson.databind.JsonNode;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * herd heapdump, herd profile and describe's debug port against real JVMs that herd started: a
 * {@code .java} source-launcher app in another working directory, a JDK 25 JVM behind a bash
 * wrapper (two instances), a JVM that loads no agents (JFR fallback), a node app, and JVMs with a
 * JDWP agent on ports chosen at start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiagnosticsIT {

    private static final String HOT_METHOD = "burnCpuInHerdHotMethod";
    /** Burns a quarter of a core in a method profiles must name, for at most two minutes, then idles. */
    private static final String HOT = """
            public class Hot {
                static volatile long sink;
                static final java.util.List<String> kept = new java.util.ArrayList<>();

                static void %s() {
                    long end = System.nanoTime() + 10_000_000L;
                    long x = sink;
                    while (System.nanoTime() < end) {
                        for (int i = 0; i < 10_000; i++) {
                            x = x * 31 + i;
                        }
                    }
                    sink = x;
                }

                public static void main(String[] args) throws Exception {
                    for (int i = 0; i < 1000; i++) {
                        kept.add("herd-fixture-" + i);
                    }
                    System.out.println("hot up");
                    long end = System.nanoTime() + 120_000_000_000L;
                    while (args.length > 0 && System.nanoTime() < end) {
                        %s();
                        Thread.sleep(30);
                    }
                    Thread.sleep(Long.MAX_VALUE);
                }
            }
            """.formatted(HOT_METHOD, HOT_METHOD);
    private static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
    private static final Path JDK17 = Path.of(System.getProperty("java.home"), "bin", "java");

    @TempDir
    static Path tmp;

    private Herd herd;
    private Path otherCwd;

    @BeforeAll
    void startApps() throws Exception {
        herd = new Herd(tmp);
        Path hot = herd.script("Hot.java", HOT);
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), hot.toString()))
                .isZero();
        otherCwd = Files.createDirectories(tmp.resolve("elsewhere"));
        Path wrapperJava = Files.isExecutable(JDK25) ? JDK25 : JDK17;
        Path wrapper = herd.script("run.sh", "echo wrapper up\n\"" + wrapperJava + "\" -cp \"" + classes + "\" Hot burn\n");
        herd.script("idle.js", "console.log('node up'); setInterval(() => {}, 1000);\n");
        herd.script("eco.yml", """
                apps:
                  - name: hot
                    script: %s
                    args: burn
                    cwd: %s
                  - name: wrapped
                    script: %s
                    instances: 2
                  - name: noagent
                    script: %s
                    args: burn
                    jvm_args: -XX:-EnableDynamicAgentLoading
                  - name: debug
                    script: %s
                    instances: 2
                    jvm_args: -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0
                  - name: nodeapp
                    script: idle.js
                    interpreter_args: --inspect=127.0.0.1:0
                  - name: sealed
                    script: %s
                    jvm_args: -XX:+DisableAttachMechanism
                """.formatted(hot, otherCwd, wrapper, hot, hot, hot));
        herd.run("start", "eco.yml").ok();
        // The source launcher compiles before main runs: wait until every program is up.
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            JsonNode list = herd.list();
            assertThat(list).hasSize(8);
            for (JsonNode i : list) {
                Path log = Path.of(i.path("outLog").asText());
                assertThat(log).exists();
                assertThat(Files.readString(log)).as(i.path("name").asText()).containsAnyOf("hot up", "node up");
            }
        });
    }

    @AfterAll
    void stopApps() throws Exception {
        herd.close();
    }

    @Test
    void heapdumpOfASourceLauncherAppInAnotherDirectoryIsAWholeHprofFile() throws Exception {
        Herd.Result r = herd.run("heapdump", "hot").ok();
        Path dump = printedFile(r.out(), "hprof");
        assertThat(dump.getParent()).isEqualTo(herd.home.resolve("dumps"));
        assertThat(dump.getFileName().toString()).matches("hot-0-id0-\\d{8}T\\d{6}Z\\.hprof");
        assertThat(r.out()).contains("heap dump of hot[0] (id 0)").containsPattern("\\(\\d+\\.\\d MB\\)");
        assertThat(Hprof.strings(dump)).contains("Hot", "kept", "sink");
        assertThat(instances("hot")).singleElement().satisfies(i -> assertThat(i.path("cwd").asText()).isEqualTo(otherCwd.toString()));
        // The attach handshake's file in the JVM's working directory is gone again.
        assertThat(otherCwd).isEmptyDirectory();
    }

    @Test
    void aJvmWithItsAttachMechanismDisabledIsToldWhatToRemove() throws Exception {
        long pid = instances("sealed").get(0).path("pid").asLong();
        int id = instances("sealed").get(0).path("id").asInt();
        Herd.Result r = herd.run("heapdump", "sealed");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("herd: sealed[0] (id " + id + "): pid " + pid + " runs with -XX:+DisableAttachMechanism: remove it from"
                + " its jvm_args (or JAVA_TOOL_OPTIONS) and restart it to take dumps and profiles");
        try (var dumps = Files.list(Files.createDirectories(herd.home.resolve("dumps")))) {
            assertThat(dumps.map(f -> f.getFileName().toString())).noneMatch(f -> f.startsWith("sealed"));
        }
    }

    @Test
    void heapdumpOfAnAppDumpsEachInstanceBehindItsWrapper() throws Exception {
        Herd.Result r = herd.run("heapdump", "wrapped").ok();
        List<Path> dumps = printedFiles(r.out(), "hprof");
        assertThat(dumps).hasSize(2).doesNotHaveDuplicates();
        for (Path d : dumps) {
            assertThat(Hprof.strings(d)).contains("Hot", "kept");
        }
        // The JVM, not the wrapper script that herd started, was dumped.
        for (JsonNode i : instances("wrapped")) {
            assertThat(r.out()).doesNotContain("pid " + i.path("pid").asLong() + ":");
        }
    }

    @Test
    void aNamedFileTakesOneInstanceAndIsNeverOverwritten() throws Exception {
        Path file = tmp.resolve("mine.hprof");
        Herd.Result several = herd.run("heapdump", "wrapped", file.toString());
        assertThat(several.code()).isEqualTo(1);
        assertThat(several.err().strip()).isEqualTo("herd: 'wrapped' has 2 instances (ids 1, 2) and " + file
                + " can hold one: name one instance by its id, or leave the file out to write one file per instance");
        assertThat(file).doesNotExist();

        herd.run("heapdump", "1", file.toString()).ok();
        assertThat(Hprof.strings(file)).contains("Hot");
        byte[] first = Files.readAllBytes(file);
        Herd.Result again = herd.run("heapdump", "1", file.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err().strip()).isEqualTo("herd: " + file + " exists: herd does not overwrite it"
                + " (remove it or name another file)");
        assertThat(Files.readAllBytes(file)).isEqualTo(first);
    }

    @Test
    void profileWritesAFlameGraphNamingTheHotMethod() throws Exception {
        Herd.Result r = herd.run("profile", "hot", "--duration", "3s").ok();
        Path html = printedFile(r.out(), "html");
        assertThat(html.getFileName().toString()).matches("hot-0-id0-\\d{8}T\\d{6}Z-cpu\\.html");
        assertThat(r.out()).contains("(cpu, async-profiler) for 3s");
        String page = Files.readString(html);
        assertThat(page).startsWith("<!DOCTYPE html>").contains(HOT_METHOD).endsWith("</html>\n");
    }

    @Test
    void profileOfAnAppInCollapsedFormatCoversEachInstance() throws Exception {
        Herd.Result r = herd.run("profile", "wrapped", "-d", "3", "--format", "collapsed", "--event", "wall").ok();
        List<Path> files = printedFiles(r.out(), "collapsed");
        assertThat(files).hasSize(2);
        for (Path f : files) {
            assertThat(f.getFileName().toString()).endsWith("-wall.collapsed");
            assertThat(Files.readAllLines(f)).anySatisfy(line -> assertThat(line).contains("Hot." + HOT_METHOD));
        }
    }

    @Test
    void aProfileEndsOnTimeInsideTheJvmWhenTheClientIsKilled() throws Exception {
        Path html = tmp.resolve("orphan.html");
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.addAll(List.of("profile", "hot", "-d", "5", "-o", html.toString()));
        Path out = Files.createTempFile(tmp, "profile", ".out");
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("HERD_HOME", herd.home.toString());
        Process client = pb.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(out).contains("herd: profiling hot[0]"));
        } finally {
            client.destroyForcibly().waitFor();
        }
        assertThat(html).doesNotExist();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(html).exists().content().contains(HOT_METHOD).endsWith("</html>\n"));
    }

    @Test
    void aJvmThatLoadsNoAgentsIsRecordedWithJfrInstead() throws Exception {
        Herd.Result r = herd.run("profile", "noagent", "-d", "3").ok();
        assertThat(r.out()).contains("async-profiler could not load into noagent[0]")
                .contains("-XX:-EnableDynamicAgentLoading").contains("instead, recording noagent[0]");
        assertThat(hotFramesIn(printedFile(r.out(), "jfr"))).isPositive();
    }

    @Test
    void formatJfrRecordsWithJfr() throws Exception {
        Path out = tmp.resolve("hot.jfr");
        Herd.Result r = herd.run("profile", "hot", "-d", "2", "-f", "jfr", "-o", out.toString()).ok();
        assertThat(r.out()).doesNotContain("could not load").contains("with JFR (profile settings) for 2s into " + out);
        assertThat(hotFramesIn(out)).isPositive();
    }

    @Test
    void aNodeInstanceGetsWhatToDoInstead() throws Exception {
        Herd.Result dump = herd.run("heapdump", "nodeapp");
        assertThat(dump.code()).isEqualTo(1);
        assertThat(dump.err().strip().lines()).hasSize(1);
        assertThat(dump.err().strip()).isEqualTo("herd: nodeapp[0] (id 6) runs node, not a JVM: add"
                + " --heapsnapshot-signal=SIGUSR2 to its interpreter_args, restart it, then run herd signal SIGUSR2"
                + " nodeapp (node writes a .heapsnapshot into its cwd)");
        Herd.Result profile = herd.run("profile", "nodeapp", "-d", "1");
        assertThat(profile.code()).isEqualTo(1);
        assertThat(profile.err()).startsWith("herd: nodeapp[0] (id 6) runs node, not a JVM: add --cpu-prof");
    }

    @Test
    void aWrongTargetListsTheKnownApps() throws Exception {
        Herd.Result r = herd.run("heapdump", "nope");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo(
                "herd: no app or id 'nope' (known apps: hot, wrapped, noagent, debug, nodeapp, sealed; ids: 0, 1, 2, 3, 4, 5, 6, 7; or all)");
        assertThat(herd.run("profile", "nope").err()).startsWith("herd: no app or id 'nope' (known apps: hot,");
        assertThat(herd.run("profile", "hot", "--event", "heat").err().strip())
                .isEqualTo("herd: --event: 'heat' is not one of cpu, alloc, wall, lock");
    }

    @Test
    void describeShowsEachInstancesRealDebugPort() throws Exception {
        Pattern line = Pattern.compile("debug +jdwp 127\\.0\\.0\\.1:(\\d+) \\(chosen at start, listening\\)");
        Set<Integer> ports = new HashSet<>();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            ports.clear();
            Matcher m = line.matcher(herd.run("describe", "debug").ok().out());
            while (m.find()) {
                ports.add(Integer.parseInt(m.group(1)));
            }
            assertThat(ports).hasSize(2);
        });
        for (int port : ports) {
            // A JDWP agent answers its handshake with the same fourteen bytes.
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write("JDWP-Handshake".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readNBytes(14), StandardCharsets.US_ASCII)).isEqualTo("JDWP-Handshake");
            }
        }
        assertThat(herd.run("describe", "hot").ok().out()).doesNotContain("debug ");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(herd.run("describe", "nodeapp").ok().out())
                .containsPattern("debug +node inspector 127\\.0\\.0\\.1:\\d+ \\(chosen at start, listening\\)"));
    }

    private List<JsonNode> instances(String app) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        herd.list().forEach(i -> {
            if (i.path("name").asText().equals(app)) {
                out.add(i);
            }
        });
        return out;
    }

    /** Samples in the recording whose stack holds the hot method. */
    private static long hotFramesIn(Path jfr) throws IOException {
        long hot = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (e.getEventType().getName().equals("jdk.ExecutionSample") && e.getStackTrace() != null) {
                for (RecordedFrame f : e.getStackTrace().getFrames()) {
                    if (f.getMethod().getName().equals(HOT_METHOD)) {
                        hot++;
                        break;
                    }
                }
            }
        }
        return hot;
    }

    private static Path printedFile(String out, String extension) {
        List<Path> files = printedFiles(out, extension);
        assertThat(files).as(out).hasSize(1);
        return files.get(0);
    }

    /** The files that the "herd: ... of NAME[i] (id N), pid P: FILE (SIZE)" lines name. */
    private static List<Path> printedFiles(String out, String extension) {
        Matcher m = Pattern.compile("pid \\d+: (/\\S+\\." + extension + ") \\(").matcher(out);
        List<Path> files = new ArrayList<>();
        while (m.find()) {
            files.add(Path.of(m.group(1)));
        }
        for (Path f : files) {
            assertThat(f).isRegularFile();
        }
        return files;
    }

    /** A small HPROF reader: checks the header, walks every record to the end of the file, and keeps its strings. */
    static final class Hprof {
        private static final int UTF8 = 0x01;
        private static final int HEAP_DUMP = 0x0C;
        private static final int HEAP_DUMP_SEGMENT = 0x1C;
        private static final int HEAP_DUMP_END = 0x2C;

        static Set<String> strings(Path file) throws IOException {
            Set<String> strings = new HashSet<>();
            boolean heap = false;
            int lastTag = -1;
            try (InputStream raw = Files.newInputStream(file);
                 DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 1 << 16))) {
                byte[] header = new byte[19];
                in.readFully(header);
                assertThat(new String(header, StandardCharsets.US_ASCII)).isEqualTo("JAVA PROFILE 1.0.2\0");
                int idSize = in.readInt();
                assertThat(idSize).isIn(4, 8);
                in.readLong();
                while (true) {
                    int tag;
                    try {
                        tag = in.readUnsignedByte();
                    } catch (EOFException end) {
                        break;
                    }
                    in.readInt();
                    long length = Integer.toUnsignedLong(in.readInt());
                    if (tag == UTF8) {
                        in.skipNBytes(idSize);
                        byte[] text = new byte[(int) (length - idSize)];
                        in.readFully(text);
                        strings.add(new String(text, StandardCharsets.UTF_8));
                    } else {
                        in.skipNBytes(length);
                    }
                    heap |= tag == HEAP_DUMP || tag == HEAP_DUMP_SEGMENT;
                    lastTag = tag;
                }
            }
            assertThat(heap).as("a heap dump record").isTrue();
            assertThat(lastTag).as("the last record").isIn(HEAP_DUMP_END, HEAP_DUMP);
            return strings;
        }
    }
}
