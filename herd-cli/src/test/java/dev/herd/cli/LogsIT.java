package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.daemon.Protocol;

/** PM2's log fields and {@code herd logs}, with the real jar and daemon, each test in its own HERD_HOME. */
class LogsIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d: ";

    @TempDir
    Path tmp;

    private Herd herd;

    @BeforeEach
    void setUp() throws Exception {
        herd = new Herd(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        herd.close();
    }

    private static List<String> lines(Path file) throws Exception {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    @Test
    void aCombinedLogWithTimeGetsBothStreamsWithPm2sTimestampAndFlushEmptiesItToo() throws Exception {
        herd.script("talk.sh", "for i in 1 2 3; do echo out-$i; sleep 0.2; echo err-$i >&2; sleep 0.2; done;"
                + " exec sleep 300\n");
        herd.script("eco.yml", "apps:\n  - name: talk\n    script: talk.sh\n    log_file: combined.log\n"
                + "    time: true\n");
        herd.run("start", "eco.yml").ok();
        Path combined = herd.work.resolve("combined.log");
        await().atMost(WAIT).until(() -> lines(combined).size() == 6);

        assertThat(lines(combined)).allMatch(l -> l.matches(TIME + "(out|err)-\\d"))
                .extracting(l -> l.substring(l.indexOf(": ") + 2))
                .containsExactly("out-1", "err-1", "out-2", "err-2", "out-3", "err-3");
        assertThat(lines(herd.home.resolve("logs/talk-out.log"))).hasSize(3).allMatch(l -> l.matches(TIME + "out-\\d"));
        assertThat(lines(herd.home.resolve("logs/talk-error.log"))).hasSize(3).allMatch(l -> l.matches(TIME + "err-\\d"));

        String describe = herd.run("describe", "talk").ok().out();
        assertThat(describe).containsPattern("combined log +" + Pattern.quote(combined.toString()))
                .containsPattern("log lines +after their time YYYY-MM-DDTHH:mm:ss")
                .containsPattern("log rotation +at 10.0mb, 5 rotated files kept \\(max_size, retain\\)");
        String logs = herd.run("logs", "talk", "--nostream").ok().out();
        assertThat(logs).as("the combined log is named, not read: it has the same lines")
                .contains("(not " + combined + ", the combined log: it has the same lines)")
                .containsPattern("talk\\[0\\] err \\| " + TIME + "err-3");
        assertThat(logs.lines().filter(l -> l.contains("out-1"))).hasSize(1);

        assertThat(herd.run("flush", "talk").ok().out()).contains("herd: flushed " + combined);
        assertThat(combined).isEmptyFile();
    }

    @Test
    void flushWhileAnAppWritesLeavesWholeLinesInEveryFile() throws Exception {
        herd.script("flood.sh", "i=0; while true; do i=$((i+1)); echo \"line $i of the flood\";"
                + " echo \"err $i of the flood\" >&2; sleep 0.002; done\n");
        herd.script("eco.yml", "apps:\n  - name: flood\n    script: flood.sh\n    log_file: all.log\n");
        herd.run("start", "eco.yml").ok();
        Path all = herd.work.resolve("all.log");
        Path out = herd.home.resolve("logs/flood-out.log");
        Path err = herd.home.resolve("logs/flood-error.log");
        for (int i = 0; i < 4; i++) {
            await().atMost(WAIT).until(() -> Files.exists(all) && Files.size(all) > 0);
            assertThat(herd.run("flush", "flood").ok().out()).contains("herd: flushed " + all);
        }
        await().atMost(WAIT).until(() -> lines(all).size() > 10);
        herd.run("stop", "flood").ok();

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(lines(all)).isNotEmpty().allMatch(l -> l.matches("(line|err) \\d+ of the flood"));
            assertThat(lines(out)).isNotEmpty().allMatch(l -> l.matches("line \\d+ of the flood"));
            assertThat(lines(err)).isNotEmpty().allMatch(l -> l.matches("err \\d+ of the flood"));
        });
    }

    /** Two instances that write in turn, one line per 250 ms slot of the clock: even slots instance 0, odd ones 1. */
    private static final String TURNS = """
            const i = Number(process.env.HERD_APP_INSTANCE);
            const slot = 250;
            let n = 0;
            function next() {
              const now = Date.now();
              let s = Math.floor(now / slot) + 1;
              if (s % 2 !== i) s++;
              setTimeout(() => {
                console.log(`slot ${s} from ${i}`);
                if (++n < 6) next();
              }, s * slot - now);
            }
            next();
            setInterval(() => {}, 1 << 30);
            """;

    @Test
    void logsSaysWhichFilesItTailsAndInterleavesInstancesByTime() throws Exception {
        herd.script("turns.js", TURNS);
        herd.script("eco.yml", "apps:\n  - name: turns\n    script: turns.js\n    instances: 2\n    exec_mode: fork\n");
        herd.run("start", "eco.yml").ok();
        Path first = herd.home.resolve("logs/turns-out-0.log");
        Path second = herd.home.resolve("logs/turns-out-1.log");
        await().atMost(WAIT).until(() -> lines(first).size() == 6 && lines(second).size() == 6);

        String out = herd.run("logs", "turns", "--nostream", "--lines", "20").ok().out();

        assertThat(out.lines().toList()).startsWith(
                "[TAILING] Tailing last 20 lines for [turns] process (change the value with --lines option),"
                        + " in the order written, of:",
                "  " + first, "  " + herd.home.resolve("logs/turns-error-0.log"),
                "  " + second, "  " + herd.home.resolve("logs/turns-error-1.log"));
        List<Long> slots = new ArrayList<>();
        List<String> instances = new ArrayList<>();
        Matcher m = Pattern.compile("turns\\[(\\d)\\]     \\| slot (\\d+) from \\1").matcher(out);
        while (m.find()) {
            instances.add(m.group(1));
            slots.add(Long.parseLong(m.group(2)));
        }
        assertThat(slots).hasSize(12).isSorted().doesNotHaveDuplicates();
        // Written in turn, so shown in turn: the instance changes line after line, not once per file or second.
        long changes = java.util.stream.IntStream.range(1, instances.size())
                .filter(k -> !instances.get(k).equals(instances.get(k - 1))).count();
        assertThat(changes).as("%s", out).isGreaterThanOrEqualTo(8);
    }

    @Test
    void jsonLogTypeWritesPm2sObjectsAndHerdShowsTheirMessages() throws Exception {
        herd.script("json.sh", "echo 'hello \"you\"'; echo oops >&2; exec sleep 300\n");
        herd.script("eco.yml", "apps:\n  - name: js\n    script: json.sh\n    log_type: json\n");
        herd.run("start", "eco.yml").ok();
        Path out = herd.home.resolve("logs/js-out.log");
        Path err = herd.home.resolve("logs/js-error.log");
        await().atMost(WAIT).until(() -> lines(out).size() == 1 && lines(err).size() == 1);

        JsonNode line = Protocol.json().readTree(lines(out).get(0));
        assertThat(line.fieldNames()).toIterable().containsExactly("message", "timestamp", "type", "process_id", "app_name");
        assertThat(line.path("message").asText()).isEqualTo("hello \"you\"\n");
        assertThat(java.time.Instant.parse(line.path("timestamp").asText())).isBefore(java.time.Instant.now());
        assertThat(line.path("type").asText()).isEqualTo("out");
        assertThat(line.path("process_id").asInt()).isEqualTo(herd.list().get(0).path("id").asInt());
        assertThat(line.path("app_name").asText()).isEqualTo("js");
        assertThat(Protocol.json().readTree(lines(err).get(0)).path("type").asText()).isEqualTo("err");

        assertThat(herd.run("logs", "js", "--nostream").ok().out())
                .contains("js[0]     | hello \"you\"\n").contains("js[0] err | oops\n");
        JsonNode shown = Protocol.json().readTree(herd.run("logs", "js", "--nostream", "--json", "--out").ok().out());
        assertThat(shown.path("text").asText()).isEqualTo("hello \"you\"");
    }

    @Test
    void anInstanceThatKeepsOnlyACombinedLogIsTailedFromIt() throws Exception {
        herd.script("only.sh", "echo first; sleep 0.2; echo second >&2; exec sleep 300\n");
        herd.script("eco.yml", "apps:\n  - name: only\n    script: only.sh\n    out_file: /dev/null\n"
                + "    error_file: /dev/null\n    log_file: all.log\n");
        herd.run("start", "eco.yml").ok();
        Path all = herd.work.resolve("all.log");
        await().atMost(WAIT).until(() -> lines(all).size() == 2);

        assertThat(herd.run("logs", "only", "--nostream").ok().out().lines().toList()).containsExactly(
                "[TAILING] Tailing last 15 lines for [only] process (change the value with --lines option),"
                        + " in the order written, of:",
                "  " + all, "only[0]     | first", "only[0]     | second");
    }

    @Test
    void anInstanceWhoseErrorsGoOnlyToItsCombinedLogIsTailedFromThatLog() throws Exception {
        herd.script("half.sh", "echo first; sleep 0.2; echo second >&2; exec sleep 300\n");
        herd.script("eco.yml", "apps:\n  - name: half\n    script: half.sh\n    error_file: \"NULL\"\n"
                + "    log_file: all.log\n");
        herd.run("start", "eco.yml").ok();
        Path all = herd.work.resolve("all.log");
        await().atMost(WAIT).until(() -> lines(all).size() == 2);

        // Its out file has "first" only; the error line is in the combined log alone.
        assertThat(herd.run("logs", "half", "--nostream").ok().out().lines().toList()).containsExactly(
                "[TAILING] Tailing last 15 lines for [half] process (change the value with --lines option),"
                        + " in the order written, of:",
                "  " + all, "half[0]     | first", "half[0]     | second");
    }

    @Test
    void disableLogsKeepsNoFileButLogsStillFollowsNewLines() throws Exception {
        herd.script("quiet.sh", "while true; do echo not-kept; sleep 0.2; done\n");
        herd.script("eco.yml", "apps:\n  - name: quiet\n    script: quiet.sh\n    disable_logs: true\n");
        herd.run("start", "eco.yml").ok();
        await().atMost(WAIT).until(() -> herd.list().get(0).path("status").asText().equals("online"));

        try (var files = Files.list(herd.home.resolve("logs"))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("quiet"));
        }
        assertThat(herd.run("describe", "quiet").ok().out()).containsPattern("out log +/dev/null");
        assertThat(herd.run("logs", "quiet", "--nostream").ok().out())
                .isEqualTo("[TAILING] No log files for [quiet] process (they go to /dev/null)\n");
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.addAll(List.of("logs", "quiet", "--lines", "0"));
        Path followed = tmp.resolve("follow.out");
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(followed.toFile()).redirectErrorStream(true);
        pb.environment().put("HERD_HOME", herd.home.toString());
        Process follow = pb.start();
        try {
            await().atMost(WAIT).untilAsserted(() ->
                    assertThat(Files.readString(followed)).contains("quiet[0]     | not-kept"));
        } finally {
            follow.destroy();
            follow.waitFor();
        }
    }
}
