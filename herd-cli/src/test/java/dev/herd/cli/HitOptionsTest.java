package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import picocli.CommandLine;

/** {@code herd hit}'s bad input: one line naming the option, exit 1, before anything is sent. */
class HitOptionsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "https://127.0.0.1/ | herd: URL: expected http://HOST[:PORT]/PATH (no https), got 'https://127.0.0.1/'",
        "127.0.0.1:8000 | herd: URL: expected http://HOST[:PORT]/PATH (no https), got '127.0.0.1:8000'",
        "http://127.0.0.1:9/ -n 0 | herd: -n: expected 1 or more, got 0",
        "http://127.0.0.1:9/ -c 0 | herd: -c: expected 1 to 10000, got 0",
        "http://127.0.0.1:9/ --rate 0 | herd: --rate: expected requests per second, more than 0, got 0.0",
        "http://127.0.0.1:9/ -d 20 | herd: -d: expected a duration with a unit such as 500ms, 20s or 2m, got '20'",
        "http://127.0.0.1:9/ -d 0s | herd: -d: must be more than 0",
        "http://127.0.0.1:9/ --timeout soon | herd: --timeout: expected a duration with a unit such as 500ms, 20s or 2m, got 'soon'",
        "http://127.0.0.1:9/ -H nocolon | herd: -H: expected 'NAME: VALUE', got 'nocolon'",
        "http://127.0.0.1:9/ -X G/T | herd: -X: 'G/T' is not a method name",
    })
    void badValuesAreOneLine(String args, String expected) {
        StringWriter err = new StringWriter();
        String[] argv = ("hit " + args).split(" ");
        CommandLine cl = Main.commandLine(argv);
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute(argv)).isEqualTo(1);
        assertThat(err.toString().strip()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "http://127.0.0.1:9/ --rate fast",
        "http://127.0.0.1:9/ --frobnicate",
        "-n 3",
    })
    void unknownOptionsAndMissingUrlsAreParseErrors(String args) {
        StringWriter err = new StringWriter();
        String[] argv = ("hit " + args).split(" ");
        CommandLine cl = Main.commandLine(argv);
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute(argv)).isEqualTo(2);
        assertThat(err.toString().strip()).startsWith("herd: ").endsWith("(see: herd hit --help)").doesNotContain("\n");
    }
}
