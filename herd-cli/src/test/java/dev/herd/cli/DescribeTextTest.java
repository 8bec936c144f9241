package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.herd.daemon.InstanceView;

/** What {@code describe} prints, from a view as the daemon sends it. */
class DescribeTextTest {

    @Test
    void theCommandIsQuotedAsAShellWouldReadItBack() {
        InstanceView v = new InstanceView(0, "app", 0, "fork", 42, "online", 0, 0, 1000, 5, 0, 0,
                List.of("/bin/echo", "a", "b c", "d$e"), "/srv", "/o", "/e", 0, "started", List.of(), null, 0);
        StringWriter text = new StringWriter();

        Tables.printDescribe(new PrintWriter(text), List.of(v));

        assertThat(text.toString()).contains("/bin/echo a 'b c' 'd$e'").doesNotContain("a b c d$e");
    }
}
