package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's table of PM2's fields says what {@link Pm2Fields} does: a field implemented or
 * ignored in the code is so in the table, so the table cannot fall behind the code.
 */
class ReadmeFieldTableTest {

    private static final Pattern NAME = Pattern.compile("`([a-zA-Z0-9_]+)`");

    /** The table's rows: the first cell's field names (no aliases), and the second cell. */
    private record Row(List<String> fields, String herd) {
    }

    private static List<Row> rows() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf("### Every field of PM2's schema");
        assertThat(start).as("the README's PM2 field table").isNotNegative();
        String section = readme.substring(start, readme.indexOf("\n### ", start + 1));
        return section.lines().filter(l -> l.startsWith("| `")).map(l -> {
            String[] cells = l.split(" \\| ", 2);
            // Aliases are in brackets: only the names outside them are PM2's field names.
            String names = cells[0].replaceAll("\\([^)]*\\)", "");
            Matcher m = NAME.matcher(names);
            List<String> fields = new java.util.ArrayList<>();
            while (m.find()) {
                fields.add(m.group(1));
            }
            return new Row(fields, cells[1]);
        }).toList();
    }

    @Test
    void everyPm2FieldHasOneRowThatSaysWhetherHerdIgnoresIt() throws IOException {
        List<Row> rows = rows();
        for (Pm2Fields.Field f : Pm2Fields.ALL) {
            if (f.origin() != Pm2Fields.Origin.PM2) {
                continue;
            }
            List<Row> mine = rows.stream().filter(r -> r.fields().contains(f.name())).toList();
            assertThat(mine).as(f.name()).hasSize(1);
            boolean ignored = mine.get(0).herd().startsWith("Ignored");
            assertThat(ignored).as(f.name() + ": " + mine.get(0).herd())
                    .isEqualTo(f.status() == Pm2Fields.Status.IGNORED);
        }
    }

    @Test
    void theTableNamesNoFieldTheCodeDoesNotKnow() throws IOException {
        for (Row r : rows()) {
            for (String field : r.fields()) {
                assertThat(Pm2Fields.ALL).as(field).anyMatch(f -> f.name().equals(field));
            }
        }
    }
}
