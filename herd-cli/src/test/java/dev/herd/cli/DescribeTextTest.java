package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.herd.daemon.InstanceView;

/** What {@code describe} and {@code list} print, from views as the daemon sends them. */
class DescribeTextTest {

    @Test
    void theCommandIsQuotedAsAShellWouldReadItBack() {
        InstanceView v = new InstanceView(0, "app", 0, "fork", 42, "online", 0, 0, 1000, 5, 0, 0,
                List.of("/bin/echo", "a", "b c", "d$e"), "/srv", "/o", "/e", 0, "started", List.of(), null, 0);
        StringWriter text = new StringWriter();

        Tables.printDescribe(new PrintWriter(text), List.of(v));

        assertThat(text.toString()).contains("/bin/echo a 'b c' 'd$e'").doesNotContain("a b c d$e");
    }

    @Test
    void theListLinesUpByTerminalColumnsWhenANameHasWideCharacters() {
        List<InstanceView> views = List.of(view(0, "café-日本"), view(1, "api"));
        StringWriter text = new StringWriter();

        Tables.printList(new PrintWriter(text), views);

        List<String> lines = text.toString().lines().toList();
        // The mode column starts at the same terminal column on every line: 日 and 本 take two each.
        int header = dev.herd.monit.Cells.width(lines.get(0).substring(0, lines.get(0).indexOf("mode")));
        assertThat(lines.subList(1, 3)).allSatisfy(l ->
                assertThat(dev.herd.monit.Cells.width(l.substring(0, l.indexOf("fork")))).isEqualTo(header));
    }

    private static InstanceView view(int id, String name) {
        return new InstanceView(id, name, 0, "fork", 42 + id, "online", 0, 0, 1000, 5, 0, 0,
                List.of("/bin/sleep", "300"), "/srv", "/o", "/e", 0, "started", List.of(), null, 0);
    }
}
