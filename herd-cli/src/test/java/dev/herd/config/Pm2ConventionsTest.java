package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.logs.LogRegistry;
import dev.herd.supervisor.RunAs;

/**
 * What herd does with PM2's conventions: when cluster mode applies, scripts without an
 * extension, special log paths and {@code ~}, {@code --env} without its block, Python's
 * buffering, the instance variables, {@code filter_env}, {@code uid}/{@code gid} and
 * {@code treekill}.
 */
class Pm2ConventionsTest {

    private static final String PASSWD = """
            root:x:0:0:root:/root:/bin/bash
            # a comment
            nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
            web:x:1001:1002:Web:/home/web:/bin/sh
            """;
    private static final String GROUP = """
            root:x:0:
            web:x:1002:
            www:x:33:web
            nogroup:x:65534:
            """;

    @TempDir
    Path tmp;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(tmp);
        fx.file("server.js");
    }

    private LoadedApps load(String yaml) throws ConfigException {
        return fx.loader().load(fx.file("eco.yml", yaml), fx.env(), null, null);
    }

    private LoadedApps load(String yaml, String envName) throws ConfigException {
        return fx.loader().load(fx.file("eco.yml", yaml), fx.env(), envName, null);
    }

    private static AppSpec only(LoadedApps loaded) {
        assertThat(loaded.apps()).hasSize(1);
        return loaded.apps().get(0);
    }

    /** A loader whose daemon runs as {@code uid}, with the users and groups above. */
    private EcosystemLoader loaderAs(int uid) {
        return new EcosystemLoader(fx.home, 4, uid, new Accounts(fx.file("etc/passwd", PASSWD),
                fx.file("etc/group", GROUP)));
    }

    private Path nodeScript(String relative, String permissions) throws IOException {
        Path file = fx.file(relative, "#!/usr/bin/env node\nrequire('http').createServer().listen(process.env.PORT);\n");
        return Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    }

    // 1. When cluster mode applies

    @Test
    void aNodeAppWithInstancesAndAPortButNoExecModeRunsInClusterModeWithANote() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    instances: 4
                    env: {PORT: 3000}
                """);

        assertThat(loaded.clusterOf("api")).isEqualTo(ClusterSpec.onPort(3000));
        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.notes()).containsExactly("apps[0].instances: cluster mode on port 3000 on all interfaces"
                + " (balancer: {host: 127.0.0.1} keeps it local), as PM2 runs a Node app with instances and no"
                + " exec_mode: herd balances the port over its 4 instances, each listening on a PORT of its own, so"
                + " the app must listen on process.env.PORT: one that listens on the port itself fails with"
                + " EADDRINUSE (balancer: {mode: socket} shares the port itself; exec_mode: fork runs them side by"
                + " side)");
    }

    @Test
    void inSocketModeTheNoteSaysAListenOnThePortTakesTheSocket() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    instances: 2
                    port: 8000
                    balancer: {mode: socket}
                """);

        assertThat(loaded.notes()).singleElement().asString().endsWith("as PM2 runs a Node app with instances and no"
                + " exec_mode: herd hands the port's one socket to its 2 instances, and a listen on that port takes it");
    }

    @Test
    void aNodeAppWithInstancesAndNoPortSharesItsListensThroughHerdAsPm2sClusterModeDoes() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    instances: 3
                """);

        assertThat(loaded.clusterOf("api")).isNull();
        assertThat(only(loaded).instances()).isEqualTo(3);
        assertThat(only(loaded).sharesListens()).isTrue();
        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.notes()).containsExactly("apps[0].instances: PM2 runs a Node app with instances and no"
                + " exec_mode in cluster mode, its instances sharing the ports they listen on; with no port for herd"
                + " to balance, herd does the same: it binds each port they listen on once and hands the socket to"
                + " every instance, and the kernel spreads the connections (set port, or env.PORT, for herd's"
                + " balancer in front)");
    }

    @Test
    void aPythonAppWithInstancesAndNoPortRunsInForkModeAndSharesNothing() throws ConfigException {
        fx.file("worker.py");
        LoadedApps loaded = load("""
                apps:
                  - name: w
                    script: worker.py
                    instances: 3
                """);

        assertThat(only(loaded).sharesListens()).isFalse();
    }

    @Test
    void clusterModeByPm2sRuleReadsTheClusterFieldsAndAcceptsThePortPlaceholder() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    args: --port {port}
                    instances: 2
                    port: 8080
                    listen_timeout: 3s
                    balancer: {host: 127.0.0.1}
                """);

        assertThat(loaded.clusterOf("api").port()).isEqualTo(8080);
        assertThat(loaded.clusterOf("api").host()).isEqualTo("127.0.0.1");
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void aMistakeInTheClusterFieldsOfSuchAnAppIsAnError() {
        Path file = fx.file("eco.yml", "script: server.js\ninstances: 2\nport: 8080\nbalancer: {mode: udp}\n");
        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null))
                .hasMessage(file + ":4:18: balancer.mode: expected http, tcp, socket or reuseport, got 'udp'");
    }

    @Test
    void theInstancesOptionOfAStartCountsAsInstances() throws ConfigException {
        LoadedApps loaded = fx.loader().load(fx.file("eco.yml", "script: server.js\nport: 3000\n"), fx.env(), null, "2");

        assertThat(loaded.clusterOf("server").port()).isEqualTo(3000);
        assertThat(only(loaded).instances()).isEqualTo(2);
    }

    @Test
    void anAppNotOnNodeOrWithAnExecModeStaysInForkMode() throws ConfigException {
        fx.file("worker.py");
        LoadedApps loaded = load("""
                apps:
                  - name: py
                    script: worker.py
                    instances: 2
                    port: 3000
                  - name: forked
                    script: server.js
                    exec_mode: fork
                    instances: 2
                    port: 3001
                  - name: one
                    script: server.js
                    port: 3002
                """);

        assertThat(loaded.clusters()).isEmpty();
        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.notes()).isEmpty();
    }

    @Test
    void aScriptThatRunsOnNodeThroughItsShebangLineIsANodeApp() throws Exception {
        nodeScript("bin/www", "rwxr-xr-x");
        LoadedApps loaded = load("script: bin/www\ninstances: 2\nport: 3000\n");

        assertThat(only(loaded).interpreter()).isNull();
        assertThat(loaded.clusterOf("www").port()).isEqualTo(3000);
    }

    @Test
    void incrementVarPortKeepsForkModeSoThatEachInstanceHasItsPort() throws ConfigException {
        LoadedApps loaded = load("script: server.js\ninstances: 2\nenv: {PORT: 3000}\nincrement_var: PORT\n");

        assertThat(loaded.clusters()).isEmpty();
        assertThat(only(loaded).incrementVar()).isEqualTo("PORT");
        assertThat(only(loaded).sharesListens()).as("each binds its own").isFalse();
        assertThat(loaded.notes()).singleElement().asString().startsWith("instances: fork mode: increment_var gives"
                + " each instance a PORT of its own");
    }

    @Test
    void incrementVarPortInAnExplicitClusterIsIgnoredWithAWarning() throws ConfigException {
        LoadedApps loaded = load("script: server.js\nexec_mode: cluster\ninstances: 2\nport: 3000\nincrement_var: PORT\n");

        assertThat(only(loaded).incrementVar()).isNull();
        assertThat(loaded.warnings()).containsExactly(
                "increment_var: in cluster mode each instance gets a PORT of its own, ignored");
    }

    @Test
    void startingANodeScriptWithSeveralInstancesAndNoPortSharesItsListens() throws ConfigException {
        LoadedApps loaded = fx.loader().fromCommand(new StartCommand("server.js", tmp, null, "4", List.of(), null,
                List.of(), fx.env()));

        assertThat(loaded.warnings()).isEmpty();
        assertThat(only(loaded).sharesListens()).isTrue();
        assertThat(loaded.notes()).singleElement().asString().startsWith("start -i: PM2 runs a Node script"
                + " started with -i in cluster mode").contains("herd does the same").contains("--port <port>");
        LoadedApps withPort = fx.loader().fromCommand(new StartCommand("server.js", tmp, null, "4", List.of(), null,
                List.of(), fx.env(), 3000));
        assertThat(withPort.warnings()).isEmpty();
        assertThat(only(withPort).sharesListens()).as("herd's balancer has the port").isFalse();
    }

    // 2. Scripts without an extension

    @Test
    void aTextScriptThatIsNotExecutableRunsWithNodeAndSaysSo() throws Exception {
        Path www = fx.file("bin/www", "require('../app');\n");
        LoadedApps loaded = load("script: bin/www\n");

        AppSpec app = only(loaded);
        assertThat(app.interpreter()).isEqualTo(fx.path("bin/node"));
        assertThat(app.command()).containsExactly(fx.path("bin/node").toString(), www.toString());
        assertThat(loaded.notes()).containsExactly("script: '" + www + "' is not executable: runs with node, as PM2"
                + " runs a script of no known extension (chmod +x it to run it itself)");
    }

    @Test
    void aNonExecutableScriptWithAShebangLineRunsWithItsProgram() throws Exception {
        Path www = nodeScript("bin/www", "rw-r--r--");
        assertThat(only(load("script: bin/www\n")).command()).containsExactly(fx.path("bin/node").toString(),
                www.toString());

        Path tool = fx.file("tool", "#!" + fx.path("bin/bash") + " -e -u\necho hi\n");
        LoadedApps loaded = load("script: tool\n");
        assertThat(only(loaded).command()).containsExactly(fx.path("bin/bash").toString(), "-e -u", tool.toString());
        assertThat(loaded.notes()).containsExactly("script: '" + tool + "' is not executable: runs with "
                + fx.path("bin/bash") + ", as its #! line says");
    }

    @Test
    void anExecutableScriptRunsItself() throws Exception {
        nodeScript("bin/www", "rwxr-xr-x");
        LoadedApps loaded = load("script: bin/www\n");

        assertThat(only(loaded).interpreter()).isNull();
        assertThat(loaded.notes()).isEmpty();
    }

    @Test
    void aShebangProgramThatIsNotThereIsAnError() {
        Path tool = fx.file("tool", "#!/usr/bin/env deno\n");
        Path file = fx.file("eco.yml", "script: tool\n");
        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null)).hasMessage(file + ":1:9: script: '"
                + tool + "' is not executable and 'deno', which its #! line names, is not on PATH (" + fx.bin + ")");
    }

    @Test
    void pm2sOtherExtensionsRunWithTheirInterpreter() throws Exception {
        Path ruby = fx.executable("bin/ruby");
        fx.file("job.rb");
        assertThat(only(load("script: job.rb\n")).interpreter()).isEqualTo(ruby);
    }

    // 3. Special log paths and ~

    @Test
    void nullAndDevNullLogFilesAreNoFiles() throws ConfigException {
        LoadedApps loaded = load("""
                script: server.js
                instances: 3
                exec_mode: fork
                out_file: "NULL"
                error_file: /dev/null
                log_file: "NULL"
                """);

        LogPolicy logs = only(loaded).logs();
        assertThat(logs.outFile()).isEqualTo(LogRegistry.DISCARD);
        assertThat(logs.errorFile()).isEqualTo(LogRegistry.DISCARD);
        assertThat(logs.outFileOf(2, 3)).isEqualTo(LogRegistry.DISCARD);
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void aTildeIsTheHomeOfTheUserWhoStarts() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("users/ann"));
        Path script = fx.file("users/ann/app/server.js");
        Map<String, String> env = new HashMap<>(fx.env());
        env.put("HOME", home.toString());

        AppSpec app = only(fx.loader().load(fx.file("eco.yml", """
                script: ~/app/server.js
                cwd: "~"
                interpreter: ~/../../bin/node
                out_file: ~/logs/out.log
                error_file: ~/logs/err.log
                """), env, null, null));

        assertThat(app.script()).isEqualTo(script);
        assertThat(app.cwd()).isEqualTo(home);
        assertThat(app.interpreter()).isEqualTo(fx.path("bin/node"));
        assertThat(app.logs().outFile()).isEqualTo(home.resolve("logs/out.log"));
        assertThat(app.logs().errorFile()).isEqualTo(home.resolve("logs/err.log"));
    }

    @Test
    void aTildeWithoutHomeIsAnError() {
        Map<String, String> env = new HashMap<>(fx.env());
        env.remove("HOME");
        Path file = fx.file("eco.yml", "script: server.js\nout_file: ~/out.log\n");
        assertThatThrownBy(() -> fx.loader().load(file, env, null, null)).hasMessage(file
                + ":2:11: out_file: '~/out.log' starts with ~, and herd start's environment has no HOME");
    }

    // 4. --env without its block

    @Test
    void anEnvNoAppDefinesIsAWarningAndTheBaseEnvApplies() throws ConfigException {
        LoadedApps loaded = load("script: server.js\nenv: {A: base}\nenv_production: {A: prod}\n", "staging");

        assertThat(only(loaded).env()).containsEntry("A", "base");
        assertThat(loaded.warnings()).containsExactly("--env staging: no app defines env_staging (defined:"
                + " env_production): the apps run with their env only");
    }

    // 5. Python's buffering

    @Test
    void pythonAppsGetUnbufferedOutputUnlessTheySayOtherwise() throws Exception {
        fx.file("worker.py");
        Path gunicorn = fx.file("venv/gunicorn", "#!/usr/bin/env python3\n");
        Files.setPosixFilePermissions(gunicorn, PosixFilePermissions.fromString("rwxr-xr-x"));

        LoadedApps loaded = load("""
                apps:
                  - script: worker.py
                  - name: explicit
                    script: server.js
                    interpreter: python3
                  - script: venv/gunicorn
                  - name: mine
                    script: worker.py
                    env: {PYTHONUNBUFFERED: ""}
                  - script: server.js
                """);

        assertThat(loaded.apps()).extracting(a -> a.name() + "=" + a.env().get("PYTHONUNBUFFERED"))
                .containsExactly("worker=1", "explicit=1", "gunicorn=1", "mine=", "server=null");
    }

    // 6. Instance variables, filter_env, append_env_to_name

    @Test
    void instanceAndIncrementVariablesReachTheSpec() throws ConfigException {
        AppSpec app = only(load("script: server.js\ninstance_var: INSTANCE_ID\nincrement_var: WORKER_PORT\n"
                + "env: {WORKER_PORT: 9000}\n"));

        assertThat(app.instanceVar()).isEqualTo("INSTANCE_ID");
        assertThat(app.instanceVarName()).isEqualTo("INSTANCE_ID");
        assertThat(app.incrementVar()).isEqualTo("WORKER_PORT");
        assertThat(only(load("script: server.js\n")).instanceVarName()).isEqualTo("NODE_APP_INSTANCE");
    }

    @Test
    void anIncrementVarThatHoldsNoNumberIsAnError() {
        Path file = fx.file("eco.yml", "script: server.js\nincrement_var: PORT\nenv: {PORT: auto}\n");
        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null)).hasMessage(file
                + ":2:16: increment_var: PORT is 'auto', not a whole number for each instance to add its index to");
    }

    @Test
    void filterEnvDropsInheritedVariablesOnly() throws ConfigException {
        Map<String, String> client = new HashMap<>(fx.env());
        client.putAll(Map.of("AWS_SECRET", "s", "MY_AWS_KEY", "k", "TOKEN", "t", "LANG", "C"));

        AppSpec all = only(fx.loader().load(fx.file("eco.yml", "script: server.js\nfilter_env: true\nenv: {A: 1}\n"),
                client, null, null));
        assertThat(all.env()).isEqualTo(Map.of("A", "1"));

        AppSpec one = only(fx.loader().load(fx.file("eco.yml", "script: server.js\nfilter_env: TOKEN\n"), client,
                null, null));
        assertThat(one.env()).doesNotContainKey("TOKEN").containsKeys("AWS_SECRET", "LANG", "PATH");

        AppSpec parts = only(fx.loader().load(fx.file("eco.yml", "script: server.js\nfilter_env: [AWS_, TOK]\n"
                + "env: {AWS_REGION: eu}\n"), client, null, null));
        assertThat(parts.env()).doesNotContainKeys("AWS_SECRET", "MY_AWS_KEY", "TOKEN")
                .containsEntry("AWS_REGION", "eu").containsKeys("LANG", "PATH");

        AppSpec none = only(fx.loader().load(fx.file("eco.yml", "script: server.js\nfilter_env: false\n"), client,
                null, null));
        assertThat(none.env()).isEqualTo(client);
    }

    @Test
    void appendEnvToNameNamesTheAppAfterTheEnvGiven() throws ConfigException {
        String yaml = "script: server.js\nappend_env_to_name: true\nenv_production: {A: 1}\n";
        assertThat(only(load(yaml, "production")).name()).isEqualTo("server-production");
        assertThat(only(load(yaml)).name()).isEqualTo("server");
    }

    // 7. uid and gid

    @Test
    void uidAndGidNeedADaemonRunningAsRoot() {
        Path file = fx.file("eco.yml", "script: server.js\nuid: nobody\n");
        assertThatThrownBy(() -> loaderAs(1000).load(file, fx.env(), null, null)).hasMessage(file
                + ":2:6: uid: running an app as another user needs a daemon running as root, and this one runs as"
                + " uid 1000 (start herd as root, or leave out uid and gid)");
    }

    @Test
    void aUserRunsInItsOwnGroupWithItsHome() throws ConfigException {
        AppSpec app = only(loaderAs(0).load(fx.file("eco.yml", "script: server.js\nuid: web\n"), fx.env(), null, null));

        assertThat(app.runAs()).isEqualTo(new RunAs(1001, 1002, true));
        assertThat(app.env()).containsEntry("HOME", "/home/web").containsEntry("USER", "web")
                .containsEntry("LOGNAME", "web");
    }

    @Test
    void aGroupByNameOrIdAndAUserById() throws ConfigException {
        AppSpec byName = only(loaderAs(0).load(fx.file("eco.yml", "script: server.js\nuid: 1001\ngid: www\n"
                + "env: {HOME: /srv}\n"), fx.env(), null, null));
        assertThat(byName.runAs()).isEqualTo(new RunAs(1001, 33, true));
        assertThat(byName.env()).containsEntry("HOME", "/srv");

        AppSpec unknownIds = only(loaderAs(0).load(fx.file("eco.yml", "script: server.js\nuid: 4242\ngid: 4343\n"),
                fx.env(), null, null));
        assertThat(unknownIds.runAs()).isEqualTo(new RunAs(4242, 4343, false));
    }

    @Test
    void accountMistakesAreErrors() {
        String[][] cases = {
                {"uid: ghost\n", ":2:6: uid: no user 'ghost' in /etc/passwd"},
                {"uid: 4242\n", ":2:6: uid: no user with id 4242 in /etc/passwd, so no group to run it in: set gid too"},
                {"uid: web\ngid: ghosts\n", ":3:6: gid: no group 'ghosts' in /etc/group"},
                {"gid: www\n", ":2:6: gid: applies with uid (as in PM2): set uid too"},
                {"uid: -1\n", ":2:6: uid: expected a name or an id from 0 up, got -1"},
        };
        for (String[] c : cases) {
            Path file = fx.file("eco.yml", "script: server.js\n" + c[0]);
            assertThatThrownBy(() -> loaderAs(0).load(file, fx.env(), null, null)).hasMessage(file + c[1]);
        }
    }

    // 8. treekill

    @Test
    void treekillFalseStopsTheMainProcessOnly() throws ConfigException {
        assertThat(only(load("script: server.js\ntreekill: false\n")).stop().mainProcessOnly()).isTrue();
        assertThat(only(load("script: server.js\ntreekill: true\n")).stop().mainProcessOnly()).isFalse();
        assertThat(only(load("script: server.js\n")).stop().mainProcessOnly()).isFalse();
    }
}
