package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herd.supervisor.AppSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads PM2 JavaScript ecosystem files with the real node, found on a PATH that holds only it. */
class JsEcosystemTest {

    private static final Path NODE = Path.of("/usr/bin/node");

    @TempDir
    Path tmp;
    Fixture fx;
    Map<String, String> env;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Files.isExecutable(NODE), "node is installed at " + NODE);
        fx = new Fixture(tmp);
        Files.writeString(fx.path("bin/node"), "#!/bin/sh\nexec " + NODE + " \"$@\"\n");
        env = fx.env();
        fx.file("app.js");
    }

    @Test
    void readsACommonJsConfigThatUsesTheClientsEnvironment() throws ConfigException {
        env.put("API_PORT", "4000");
        Path config = fx.file("ecosystem.config.js", """
                console.log('configs may print');
                module.exports = {
                  apps: [{
                    name: 'api',
                    script: './app.js',
                    instances: 'max',
                    env: { PORT: Number(process.env.API_PORT) + 1 },
                  }],
                };
                """);

        AppSpec app = fx.loader(2).load(config, env, null, null).apps().get(0);

        assertThat(app.name()).isEqualTo("api");
        assertThat(app.script()).isEqualTo(fx.path("app.js"));
        assertThat(app.instances()).isEqualTo(2);
        assertThat(app.env()).containsEntry("PORT", "4001").containsEntry("API_PORT", "4000");
    }

    @Test
    void readsAnEsModuleConfig() throws ConfigException {
        Path config = fx.file("ecosystem.config.mjs", "export default { apps: [{ script: 'app.js' }] };\n");

        assertThat(fx.loader().load(config, env, null, null).apps()).extracting(AppSpec::name).containsExactly("app");
    }

    @Test
    void namesTheFileAndFieldWithoutPosition() {
        Path config = fx.file("ecosystem.config.js", "module.exports = { apps: [{ script: 'app.js', retain: 'x' }] };\n");

        assertThatThrownBy(() -> fx.loader().load(config, env, null, null))
                .hasMessage(config + ": apps[0].retain: expected a whole number, got 'x'");
    }

    @Test
    void aSyntaxErrorNamesFileLineAndColumn() {
        Path config = fx.file("ecosystem.config.js", """
                const port = 3000;
                module.exports = {
                  apps: [{ script: 'app.js', env: { PORT: port }, }}],
                };
                """);

        assertThatThrownBy(() -> fx.loader().load(config, env, null, null))
                .hasMessage(config + ":3:52: node could not read ecosystem.config.js: SyntaxError: Unexpected token '}'");
    }

    @Test
    void aSyntaxErrorInAnEsModuleNamesFileLineAndColumn() {
        Path config = fx.file("ecosystem.config.mjs", "export default {\n  apps: [\n    { script: 'app.js' ]\n};\n");

        assertThatThrownBy(() -> fx.loader().load(config, env, null, null))
                .hasMessage(config + ":3:24: node could not read ecosystem.config.mjs: SyntaxError: Unexpected token ']'");
    }

    @Test
    void aSyntaxErrorInAFileTheConfigRequiresNamesThatFile() {
        Path shared = fx.file("shared.js", "module.exports = {\n\tport: 3000,,\n};\n");
        Path config = fx.file("ecosystem.config.js", """
                const shared = require('./shared');
                module.exports = { apps: [{ script: 'app.js' }] };
                """);

        assertThatThrownBy(() -> fx.loader().load(config, env, null, null))
                .hasMessage(shared + ":2:13: node could not read ecosystem.config.js: SyntaxError: Unexpected token ','");
    }

    @Test
    void anErrorThrownByTheConfigNamesWhereInIt() {
        Path config = fx.file("ecosystem.config.js", """
                console.error('reading the config');
                module.exports = {
                  apps: [{ script: process.env.APP_SCRIPT.trim() }],
                };
                """);

        assertThatThrownBy(() -> fx.loader().load(config, env, null, null))
                .hasMessage(config + ":3:43: node could not read ecosystem.config.js: TypeError: Cannot read properties"
                        + " of undefined (reading 'trim')");
    }

    @Test
    void anExitWithoutAnErrorQuotesWhatNodePrinted() {
        Path config = fx.file("ecosystem.config.js", "console.error('no config today');\nprocess.exit(3);\n");

        assertThatThrownBy(() -> fx.loader().load(config, env, null, null))
                .hasMessage(config + ": node could not read ecosystem.config.js (exit 3):\nno config today");
    }

    @Test
    void needsNodeOnThePath() throws Exception {
        Files.delete(fx.path("bin/node"));
        Path config = fx.file("ecosystem.config.js", "module.exports = {};\n");

        assertThatThrownBy(() -> fx.loader().load(config, env, null, null))
                .hasMessage(config + ": node not found on PATH: cannot read ecosystem.config.js");
    }
}
