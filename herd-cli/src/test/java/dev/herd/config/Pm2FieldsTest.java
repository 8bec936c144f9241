package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The field table against PM2's own schema: every field and alias PM2 reads is known to herd. */
class Pm2FieldsTest {

    /**
     * Every key of PM2's {@code lib/API/schema.json} (Unitech/pm2 at version 7.0.3, commit
     * 31adee80), in its order, with its {@code alias} list; {@code cmd} and {@code command} are the
     * aliases of {@code script} that {@code Common.verifyConfs} in {@code lib/Common.js} adds. The
     * schema's one pattern key, {@code ^env_\S*$}, is tested on its own.
     */
    private static final Map<String, List<String>> PM2_SCHEMA = schema(
            "script: exec cmd command", "name", "name_prefix", "filter_env", "namespace", "install_url", "cwd", "args",
            "exec_interpreter: interpreter", "node_args: interpreterArgs interpreter_args",
            "out_file: out output out_log", "error_file: error err err_file err_log", "log_file: log", "disable_logs",
            "log_type", "log_date_format", "time", "env", "max_memory_restart", "pid_file: pid", "restart_delay",
            "exp_backoff_restart_delay", "source_map_support", "disable_source_map_support", "wait_ready", "instances",
            "kill_timeout", "shutdown_with_message", "listen_timeout", "cron_restart: cron", "merge_logs: combine_logs",
            "vizion", "autostart", "autorestart", "stop_exit_codes", "watch_delay", "watch", "ignore_watch",
            "watch_options", "min_uptime", "max_restarts", "execute_command", "exec_mode", "force",
            "append_env_to_name", "post_update", "trace", "disable_trace", "v8", "event_loop_inspector",
            "deep_monitoring", "increment_var", "instance_var", "pmx", "automation", "treekill", "port", "username",
            "uid: user", "gid", "windowsHide", "kill_retry_time", "write", "io");

    private static Map<String, List<String>> schema(String... lines) {
        Map<String, List<String>> keys = new LinkedHashMap<>();
        for (String line : lines) {
            String[] parts = line.split(":", 2);
            keys.put(parts[0], parts.length == 1 ? List.of() : List.of(parts[1].trim().split(" ")));
        }
        return keys;
    }

    @Test
    void everyKeyOfPm2sSchemaAndEveryAliasAndCamelCaseFormNameOneField() {
        PM2_SCHEMA.forEach((key, aliases) -> {
            Pm2Fields.Field field = Pm2Fields.lookup(key).orElseThrow(() -> new AssertionError(key + " is unknown"));
            for (String alias : aliases) {
                assertThat(Pm2Fields.lookup(alias)).as(alias + ", an alias of " + key).contains(field);
            }
            assertThat(Pm2Fields.lookup(Pm2Fields.camelCase(key))).as("camelCase of " + key).contains(field);
        });
    }

    @Test
    void everyPm2FieldOfTheTableIsInPm2sSchemaAndNoHerdFieldIs() {
        Set<String> schemaNames = PM2_SCHEMA.entrySet().stream()
                .flatMap(e -> Stream.concat(Stream.of(e.getKey()), e.getValue().stream()))
                .collect(Collectors.toSet());
        for (Pm2Fields.Field field : Pm2Fields.ALL) {
            boolean inSchema = schemaNames.contains(field.name());
            assertThat(inSchema).as(field.name() + " is " + field.origin()).isEqualTo(field.origin() == Pm2Fields.Origin.PM2);
            assertThat(schemaNames).as("aliases of " + field.name()).containsAll(field.aliases());
        }
    }

    @Test
    void everyIgnoredFieldSaysWhatHerdDoesInsteadAndOnlyIgnoredOnesAreQuietOnSomeValues() {
        for (Pm2Fields.Field field : Pm2Fields.ALL) {
            if (field.status() == Pm2Fields.Status.IGNORED) {
                assertThat(field.instead()).as(field.name()).isNotBlank().doesNotEndWith("ignored");
            } else {
                assertThat(field.instead()).as(field.name()).isEmpty();
                assertThat(field.quiet()).as(field.name()).isEmpty();
            }
        }
    }

    @Test
    void herdNamesTwoFieldsByTheAliasItPrefers() {
        assertThat(Pm2Fields.lookup("exec_interpreter").map(Pm2Fields.Field::name)).contains("interpreter");
        assertThat(Pm2Fields.lookup("node_args").map(Pm2Fields.Field::name)).contains("interpreter_args");
        assertThat(Pm2Fields.herdName("err_file")).isEqualTo("error_file");
        assertThat(Pm2Fields.herdName("colour")).isEqualTo("colour");
    }

    @ParameterizedTest
    @CsvSource({
            "max_restarts, maxRestarts",
            "exp_backoff_restart_delay, expBackoffRestartDelay",
            "error_file, errorFile",
            "script, script",
            "windowsHide, windowsHide",
            "v8, v8",
            "a_b_cd, abCd",
    })
    void camelCaseIsPm2sRule(String snake, String camel) {
        assertThat(Pm2Fields.camelCase(snake)).isEqualTo(camel);
    }

    @Test
    void camelCaseFormsOfAliasesAreReadToo() {
        assertThat(Pm2Fields.lookup("errLog").map(Pm2Fields.Field::name)).contains("error_file");
        assertThat(Pm2Fields.lookup("combineLogs").map(Pm2Fields.Field::name)).contains("merge_logs");
        assertThat(Pm2Fields.lookup("execInterpreter").map(Pm2Fields.Field::name)).contains("interpreter");
        assertThat(Pm2Fields.lookup("nodeArgs").map(Pm2Fields.Field::name)).contains("interpreter_args");
    }

    @Test
    void spellingsAreExactCaseSensitiveAndListNamesFirst() {
        assertThat(Pm2Fields.lookup("Script")).isEmpty();
        assertThat(Pm2Fields.lookup("MAX_RESTARTS")).isEmpty();
        List<String> spellings = Pm2Fields.spellings();
        assertThat(spellings).doesNotHaveDuplicates();
        assertThat(spellings.subList(0, Pm2Fields.ALL.size()))
                .containsExactlyElementsOf(Pm2Fields.ALL.stream().map(Pm2Fields.Field::name).toList());
    }
}
