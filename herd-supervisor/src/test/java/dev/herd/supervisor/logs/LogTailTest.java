package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogTailTest {

    @TempDir
    Path dir;

    private Path log() {
        return dir.resolve("api-out.log");
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    @Test
    void lastLinesOfAFile() throws IOException {
        write("api-out.log", "one\ntwo\nthree\nfour\n");

        assertThat(LogTail.lastLines(log(), 2)).containsExactly("three", "four");
    }

    @Test
    void continuesIntoTheRotatedFilesNewestFirst() throws IOException {
        write("api-out.log.2", "old1\nold2\n");
        write("api-out.log.1", "a1\na2\na3\na4\na5\n");
        write("api-out.log", "b1\nb2\n");

        assertThat(LogTail.lastLines(log(), 4)).containsExactly("a4", "a5", "b1", "b2");
        assertThat(LogTail.lastLines(log(), 8)).containsExactly("old2", "a1", "a2", "a3", "a4", "a5", "b1", "b2");
        assertThat(LogTail.lastLines(log(), 100)).containsExactly("old1", "old2", "a1", "a2", "a3", "a4", "a5", "b1",
                "b2");
    }

    @Test
    void aLastLineWithoutNewlineCounts() throws IOException {
        write("api-out.log", "x\ny\nz");

        assertThat(LogTail.lastLines(log(), 2)).containsExactly("y", "z");
        assertThat(LogTail.lastLines(log(), 1)).containsExactly("z");
    }

    @Test
    void moreLinesAskedThanTheFileHasGivesThemAll() throws IOException {
        write("api-out.log", "only\ntwo\n");

        assertThat(LogTail.lastLines(log(), 50)).containsExactly("only", "two");
    }

    @Test
    void keepsEmptyLinesAndStripsCrLf() throws IOException {
        write("api-out.log", "a\r\n\r\nb\n\n");

        assertThat(LogTail.lastLines(log(), 10)).containsExactly("a", "", "b", "");
    }

    @Test
    void missingFilesGiveNoLines() throws IOException {
        assertThat(LogTail.lastLines(log(), 10)).isEmpty();
        write("api-out.log", "");
        assertThat(LogTail.lastLines(log(), 10)).isEmpty();
        assertThat(LogTail.lastLines(log(), 0)).isEmpty();
    }

    @Test
    void findsTheLastLinesOfAFileSpanningManyBlocks() throws IOException {
        String content = IntStream.range(0, 100_000).mapToObj(i -> "line " + i + " ünïcode")
                .collect(Collectors.joining("\n", "", "\n"));
        write("api-out.log", content);

        assertThat(LogTail.lastLines(log(), 3))
                .containsExactly("line 99997 ünïcode", "line 99998 ünïcode", "line 99999 ünïcode");
        assertThat(LogTail.lastLines(log(), 2_000)).hasSize(2_000).startsWith("line 98000 ünïcode");
    }

    @Test
    void aLineLongerThanOneBlockComesBackWhole() throws IOException {
        String longLine = "z".repeat(50_000);
        write("api-out.log", "first\n" + longLine + "\nlast\n");

        assertThat(LogTail.lastLines(log(), 2)).containsExactly(longLine, "last");
        assertThat(LogTail.lastLines(log(), 3)).containsExactly("first", longLine, "last");
    }
}
