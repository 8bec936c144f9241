package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.balancer.Algorithm;
import dev.herd.balancer.netty.Balancer;
import dev.herd.cluster.BalancerSettings;
import dev.herd.cluster.ClusterSpec;
import dev.herd.cluster.PortSharing;

/** Cluster mode in ecosystem files and on the command line: PM2's port rules and herd's balancer block. */
class ClusterConfigTest {

    @TempDir
    Path tmp;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(tmp);
        fx.file("server.js");
    }

    private LoadedApps load(String content) throws ConfigException {
        return fx.loader().load(fx.file("eco.yml", content), fx.env(), null, null);
    }

    @Test
    void pm2sPortFieldIsThePublicPortAndSetsPort() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    instances: 4
                    port: 3000
                """);

        ClusterSpec c = loaded.clusterOf("api");
        assertThat(c).isEqualTo(ClusterSpec.onPort(3000));
        assertThat(loaded.apps().get(0).env()).containsEntry("PORT", "3000");
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void envPortIsThePublicPortOfAClusterApp() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster_mode
                    env: {PORT: 8000}
                """);

        assertThat(loaded.clusterOf("api").port()).isEqualTo(8000);
    }

    @Test
    void theSelectedEnvironmentsPortCounts() throws ConfigException {
        LoadedApps loaded = fx.loader().load(fx.file("eco.yml", """
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    env: {PORT: 8000}
                    env_production: {PORT: 80}
                """), fx.env(), "production", null);

        assertThat(loaded.clusterOf("api").port()).isEqualTo(80);
    }

    @Test
    void aClusterAppWithNoPortRunsSideBySideWithAWarning() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: worker
                    script: server.js
                    exec_mode: cluster
                    instances: 2
                """);

        assertThat(loaded.clusterOf("worker")).isNull();
        assertThat(loaded.warnings()).singleElement().asString().contains("cluster mode without a port");
    }

    @Test
    void aForkAppKeepsPm2sPortAsItsPortVariable() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    port: 3000
                """);

        assertThat(loaded.clusterOf("api")).isNull();
        assertThat(loaded.apps().get(0).env()).containsEntry("PORT", "3000");
    }

    @Test
    void theBalancerBlockTakesHerdBalancesSettings() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    port: 8080
                    listen_timeout: 20s
                    drain_timeout: 5000
                    reload_parallelism: 2
                    balancer:
                      host: 127.0.0.1
                      algorithm: least-conn
                      health_check: /health
                      health_interval: 1s
                      connect_timeout: 2s
                      max_retries: 1
                      slow_start: 30s
                      instance_header: true
                """);

        ClusterSpec c = loaded.clusterOf("api");
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.listenTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.reloadParallelism()).isEqualTo(2);
        BalancerSettings b = c.balancer();
        assertThat(b.algorithm()).isEqualTo(Algorithm.LEAST_CONN);
        assertThat(b.mode()).isEqualTo(Balancer.Mode.HTTP);
        assertThat(b.healthCheck().httpPath()).isEqualTo("/health");
        assertThat(b.healthCheck().interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(b.readinessPath()).isEqualTo("/health");
        assertThat(b.http().connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(b.http().maxRetries()).isEqualTo(1);
        assertThat(b.slowStart()).isEqualTo(Duration.ofSeconds(30));
        assertThat(b.instanceHeader()).isTrue();
    }

    @Test
    void anUnknownBalancerSettingIsAnErrorWithTheNearestOne() {
        assertThatThrownBy(() -> load("""
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    port: 8080
                    balancer:
                      algoritm: p2c
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(":7:7: apps[0].balancer.algoritm: unknown balancer setting (did you mean 'algorithm'?)");
    }

    @Test
    void badClusterValuesNameTheirField() {
        assertThatThrownBy(() -> load("""
                apps:
                  - script: server.js
                    exec_mode: cluster
                    port: 70000
                """)).hasMessageContaining("apps[0].port: expected a port from 1 to 65535, got 70000");
        assertThatThrownBy(() -> load("""
                apps:
                  - script: server.js
                    exec_mode: cluster
                    env: {PORT: http}
                """)).hasMessageContaining("apps[0].env.PORT: expected a port from 1 to 65535");
        assertThatThrownBy(() -> load("""
                apps:
                  - script: server.js
                    exec_mode: cluster
                    port: 8000
                    balancer: {mode: tcp, instance_header: true}
                """)).hasMessageContaining("are for mode: http");
        assertThatThrownBy(() -> load("""
                apps:
                  - script: server.js
                    exec_mode: cluster
                    port: 8000
                    reload_parallelism: 0
                """)).hasMessageContaining("apps[0].reload_parallelism: expected 1 or more");
    }

    @Test
    void thePortPlaceholderOutsideClusterModeIsAnError() {
        assertThatThrownBy(() -> load("""
                apps:
                  - script: server.js
                    args: --port {port}
                """)).hasMessageContaining("apps[0].args: '{port}' is replaced by an instance's own port in cluster"
                + " mode only");
    }

    @Test
    void clusterSettingsOnAForkAppAreIgnoredWithAWarning() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - script: server.js
                    drain_timeout: 5s
                """);

        assertThat(loaded.warnings()).containsExactly(
                "apps[0].drain_timeout: only used in cluster mode (exec_mode: cluster), ignored");
    }

    @Test
    void waitReadyMakesAClusterAppWaitForItsReadyNotification() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    port: 8000
                    wait_ready: true
                    listen_timeout: 8000
                  - name: job
                    script: server.js
                    wait_ready: true
                """);

        assertThat(loaded.clusterOf("api").waitReady()).isTrue();
        assertThat(loaded.clusterOf("api").listenTimeout()).isEqualTo(Duration.ofSeconds(8));
        assertThat(loaded.apps().get(0).waitReady()).as("cluster mode has its own rule").isNull();
        assertThat(loaded.apps().get(1).waitReady()).isEqualTo(ClusterSpec.DEFAULT_LISTEN_TIMEOUT);
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void aForkAppWaitsForReadyUpToItsListenTimeout() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: job
                    script: server.js
                    wait_ready: true
                    listen_timeout: 3000
                  - name: plain
                    script: server.js
                    listen_timeout: 3000
                """);

        assertThat(loaded.apps().get(0).waitReady()).isEqualTo(Duration.ofSeconds(3));
        assertThat(loaded.apps().get(1).waitReady()).isNull();
        assertThat(loaded.warnings()).containsExactly(
                "apps[1].listen_timeout: used in cluster mode, or with wait_ready: true, ignored");
    }

    @Test
    void shutdownWithMessageIsReadIntoTheStopPolicy() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: quiet
                    script: server.js
                    shutdown_with_message: true
                    kill_timeout: 3000
                  - name: plain
                    script: server.js
                """);

        assertThat(loaded.apps().get(0).stop().shutdownMessage()).isTrue();
        assertThat(loaded.apps().get(0).stop().killTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(loaded.apps().get(1).stop().shutdownMessage()).isFalse();
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void startWithPortIsAClusterApp() throws ConfigException {
        LoadedApps loaded = fx.loader().fromCommand(new StartCommand("server.js", tmp, "api", "4",
                List.of("--port", "{port}"), null, List.of(), fx.env(), 8000));

        assertThat(loaded.clusterOf("api")).isEqualTo(ClusterSpec.onPort(8000));
        assertThat(loaded.apps().get(0).instances()).isEqualTo(4);
        assertThat(loaded.apps().get(0).env()).containsEntry("PORT", "8000");
    }

    @Test
    void startWithThePlaceholderButNoPortIsAnError() {
        assertThatThrownBy(() -> fx.loader().fromCommand(new StartCommand("server.js", tmp, "api", "4",
                List.of("--port", "{port}"), null, List.of(), fx.env())))
                .hasMessageContaining("start: '{port}' is replaced by an instance's own port in cluster mode only:"
                        + " give the public port with --port");
    }

    @Test
    void balancerModeSocketSharesOneSocketInsteadOfAProxy() throws ConfigException {
        LoadedApps loaded = load("""
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    instances: 3
                    port: 3000
                    balancer: {mode: socket, host: 127.0.0.1}
                """);

        ClusterSpec c = loaded.clusterOf("api");
        assertThat(c.sharing()).isEqualTo(PortSharing.SOCKET);
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(3000);
        assertThat(loaded.warnings()).isEmpty();
        assertThat(load("""
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    port: 3000
                """).clusterOf("api").sharing()).as("the proxy stays the default").isEqualTo(PortSharing.PROXY);
    }

    @Test
    void aProxySettingBesideModeSocketIsAnErrorNamingIt() {
        assertThatThrownBy(() -> load("""
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    port: 3000
                    balancer:
                      mode: socket
                      algorithm: least-conn
                """)).hasMessageContaining(":8:7: apps[0].balancer.algorithm: a setting of herd's proxy (mode http or tcp):"
                + " with mode socket the instances accept on the port themselves and herd sees no request");
        assertThatThrownBy(() -> load("""
                apps:
                  - name: api
                    script: server.js
                    exec_mode: cluster
                    port: 3000
                    balancer: {mode: sockets}
                """)).hasMessageContaining("apps[0].balancer.mode: expected http, tcp, socket or reuseport, got 'sockets'");
    }

    @Test
    void startWithPortAndSocketSharesOneSocket() throws ConfigException {
        LoadedApps loaded = fx.loader().fromCommand(new StartCommand("server.js", tmp, "api", "3", List.of(), null,
                List.of(), fx.env(), 8000, null, null, null, null, true, true, StartCommand.Policies.NONE, true));

        assertThat(loaded.clusterOf("api")).isEqualTo(ClusterSpec.onPort(8000).withSharing(PortSharing.SOCKET));
        assertThatThrownBy(() -> fx.loader().fromCommand(new StartCommand("server.js", tmp, "api", "3", List.of(), null,
                List.of(), fx.env(), null, null, null, null, null, true, true, StartCommand.Policies.NONE, true)))
                .hasMessageContaining("start --socket: shares the public port: give it with --port");
    }
}
