package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the in-process ecosystem file path, {@link EcosystemLoader#load} on a YAML and a JSON
 * file (a {@code .config.js} file is evaluated by node, not fuzzed here): reading the text,
 * every field's parsing, and resolving the apps against a folder with a few scripts in it.
 *
 * <p>Property: whatever the file holds, the loader returns its apps or throws the one user
 * error, a {@link ConfigException} whose message starts with the file's path; never another
 * exception, which the user would see as a stack trace.
 *
 * <p>A plain test run replays the corpus in {@code EcosystemParserFuzzTestInputs}, ecosystem
 * files in the shapes PM2 users write; CI also fuzzes it for a bounded time (the {@code fuzz}
 * profile).
 */
class EcosystemParserFuzzTest {

    @TempDir
    static Path tmp;
    private static Fixture fx;
    private static EcosystemLoader loader;
    private static Map<String, String> env;

    @BeforeAll
    static void scriptsToStart() {
        fx = new Fixture(tmp);
        for (String script : new String[] {"app.js", "server.js", "worker.py", "api/index.js", "run.sh"}) {
            fx.file(script, "");
        }
        loader = fx.loader(4);
        env = fx.env();
    }

    // An input that takes longer hangs the daemon answering its client; Jazzer makes it a finding.
    @Timeout(10)
    @FuzzTest(maxDuration = "45s")
    void anyFileLoadsOrNamesItsMistake(byte[] input) throws IOException {
        for (String name : new String[] {"ecosystem.yml", "ecosystem.json"}) {
            Path file = Files.write(fx.dir.resolve(name), input);
            try {
                loader.load(file, env, "production", null);
            } catch (ConfigException e) {
                assertThat(e.getMessage()).startsWith(file + ":");
            }
        }
    }
}
