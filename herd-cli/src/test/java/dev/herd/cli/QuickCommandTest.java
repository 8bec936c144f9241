package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Which command lines skip picocli: plain lists only, parsed as picocli parses them. */
class QuickCommandTest {

    @Test
    void theNamesAndTheOptionAreListsOwn() throws NoSuchFieldException {
        Command command = Main.ListCmd.class.getAnnotation(Command.class);
        List<String> names = new ArrayList<>(List.of(command.aliases()));
        names.add(command.name());
        assertThat(QuickCommand.LIST_NAMES).containsExactlyInAnyOrderElementsOf(names);
        assertThat(Main.ListCmd.class.getDeclaredField("json").getAnnotation(Option.class).names())
                .containsExactly(QuickCommand.JSON);
        assertThat(java.util.Arrays.stream(Main.ListCmd.class.getDeclaredFields()).filter(f -> f.isAnnotationPresent(Option.class)))
                .hasSize(1);
    }

    @Test
    void aPlainListIsRunWithoutPicocli() {
        assertThat(QuickCommand.plainList(new String[]{"list"})).satisfies(l -> assertThat(l.json).isFalse());
        assertThat(QuickCommand.plainList(new String[]{"ls", "--json"})).satisfies(l -> assertThat(l.json).isTrue());
        assertThat(QuickCommand.plainList(new String[]{"status"})).isNotNull();
    }

    @Test
    void anythingElseGoesToPicocli() {
        for (String[] args : List.of(new String[0], new String[]{"start", "x.js"}, new String[]{"list", "--help"},
                new String[]{"list", "--jsn"}, new String[]{"list", "--json", "--json"}, new String[]{"--version"},
                new String[]{"list", "-h"})) {
            assertThat(QuickCommand.plainList(args)).as(String.join(" ", args)).isNull();
        }
    }
}
