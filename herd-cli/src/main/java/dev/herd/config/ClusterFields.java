package dev.herd.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.herd.balancer.Algorithm;
import dev.herd.balancer.netty.Balancer;
import dev.herd.balancer.netty.HealthCheckSettings;
import dev.herd.balancer.netty.HttpProxySettings;
import dev.herd.balancer.netty.TcpProxySettings;
import dev.herd.cluster.BalancerSettings;
import dev.herd.cluster.ClusterSpec;
import dev.herd.cluster.PortSharing;

/**
 * The cluster-mode fields of one app: whether it is a cluster app, its public port, its
 * {@code balancer:} settings (the names and defaults of {@code herd balance}'s flags) and its
 * reload rules. PM2's own rule decides the port: {@code port} is its shortcut for
 * {@code env.PORT}, and its cluster instances all listen on that port, so either names the
 * public port.
 */
final class ClusterFields {

    /** The fields of {@code balancer:}, as {@code herd balance}'s flags without their dashes. */
    static final List<String> BALANCER_FIELDS = List.of("host", "mode", "algorithm", "health_check", "health_interval",
            "health_timeout", "health_rise", "health_fall", "connect_timeout", "idle_timeout", "header_timeout",
            "response_timeout", "max_retries", "slow_start", "trusted_forward_header", "forwarded_headers",
            "instance_header");

    /** The placeholder a cluster instance's own port replaces in its arguments and environment. */
    static final String PORT_PLACEHOLDER = "{port}";

    private ClusterFields() {
    }

    /**
     * The app's cluster spec, or {@code null} for a fork-mode app.
     *
     * @param cluster  whether the app runs in cluster mode: {@code exec_mode} asks for it, or PM2's
     *                 rule for a Node app with {@code instances} and no {@code exec_mode} does
     * @param fields   the app's fields by herd's name (null values left out)
     * @param env      the app's environment after {@code env_<name>}; its {@code PORT} is set from
     *                 {@code port} here, as PM2 does
     * @param label    the label of a field, as the user spelt it
     * @param r        the app's parser, whose readers check each value's type and range
     * @param warnings where warnings go
     */
    static ClusterSpec read(boolean cluster, Map<String, Node.Entry> fields, Map<String, String> env,
                            java.util.function.Function<String, String> label, AppParser r, List<String> warnings)
            throws ConfigException {
        Integer port = null;
        Node.Entry portField = fields.get("port");
        if (portField != null) {
            port = port(portField.value(), label.apply("port"), r);
            env.put("PORT", Integer.toString(port));
        } else if (cluster && env.containsKey("PORT")) {
            port = portFromEnv(env.get("PORT"));
            if (port == null) {
                Node where = fields.containsKey("env") ? fields.get("env").value() : modeField(fields).value();
                throw r.fail(where, (fields.containsKey("env") ? label.apply("env") : "env") + ".PORT",
                        "expected a port from 1 to 65535 for the cluster's public port, got '" + env.get("PORT") + "'");
            }
        }
        if (!cluster) {
            // wait_ready and listen_timeout apply in fork mode too: forkWaitReady.
            for (String f : List.of("balancer", "drain_timeout", "reload_parallelism")) {
                if (fields.containsKey(f)) {
                    warnings.add(label.apply(f) + ": only used in cluster mode (exec_mode: cluster), ignored");
                }
            }
            return null;
        }
        if (port == null) {
            // Without exec_mode, cluster mode is PM2's choice for a Node app, and its loader says what that needs.
            if (fields.containsKey("exec_mode")) {
                warnings.add(label.apply("exec_mode") + ": cluster mode without a port (no port field, no env.PORT):"
                        + " no balancer; a Node.js app's instances share each port they listen on through herd, as"
                        + " under PM2, and other programs' run side by side and share no port");
            }
            return null;
        }
        BalancerSettings balancer = fields.containsKey("balancer")
                ? balancer(fields.get("balancer").value(), label.apply("balancer"), r)
                : BalancerSettings.DEFAULT;
        String host = fields.containsKey("balancer") ? host(fields.get("balancer").value(), label.apply("balancer"), r)
                : "0.0.0.0";
        Duration listenTimeout = fields.containsKey("listen_timeout")
                ? positive(fields.get("listen_timeout").value(), label.apply("listen_timeout"), r)
                : ClusterSpec.DEFAULT_LISTEN_TIMEOUT;
        Duration drainTimeout = fields.containsKey("drain_timeout")
                ? positive(fields.get("drain_timeout").value(), label.apply("drain_timeout"), r)
                : ClusterSpec.DEFAULT_DRAIN_TIMEOUT;
        int parallelism = 1;
        if (fields.containsKey("reload_parallelism")) {
            Node n = fields.get("reload_parallelism").value();
            parallelism = r.count(n, label.apply("reload_parallelism"));
            if (parallelism < 1) {
                throw r.fail(n, label.apply("reload_parallelism"), "expected 1 or more, got " + n.describe());
            }
        }
        boolean waitReady = fields.containsKey("wait_ready")
                && r.bool(fields.get("wait_ready").value(), label.apply("wait_ready"));
        PortSharing sharing = fields.containsKey("balancer")
                ? sharing(fields.get("balancer").value(), label.apply("balancer"), r)
                : PortSharing.PROXY;
        return new ClusterSpec(host, port, balancer, listenTimeout, drainTimeout, parallelism, waitReady, sharing);
    }

    /** The field that made the app a cluster app: {@code exec_mode}, else {@code instances}, else (for {@code -i}) its script. */
    private static Node.Entry modeField(Map<String, Node.Entry> fields) {
        return fields.getOrDefault("exec_mode", fields.getOrDefault("instances", fields.get("script")));
    }

    /**
     * Fork mode's {@code wait_ready}: its {@code listen_timeout} (herd's cluster default when
     * unset), or {@code null} when it does not wait; a {@code listen_timeout} without it is
     * ignored, with a warning.
     *
     * @param fields the app's fields by herd's name (null values left out)
     */
    static Duration forkWaitReady(Map<String, Node.Entry> fields, java.util.function.Function<String, String> label,
                                  AppParser r, List<String> warnings) throws ConfigException {
        boolean waitReady = fields.containsKey("wait_ready")
                && r.bool(fields.get("wait_ready").value(), label.apply("wait_ready"));
        if (!fields.containsKey("listen_timeout")) {
            return waitReady ? ClusterSpec.DEFAULT_LISTEN_TIMEOUT : null;
        }
        Duration timeout = positive(fields.get("listen_timeout").value(), label.apply("listen_timeout"), r);
        if (!waitReady) {
            warnings.add(label.apply("listen_timeout") + ": used in cluster mode, or with wait_ready: true, ignored");
            return null;
        }
        return timeout;
    }

    /**
     * Rejects {@code {port}} in a fork-mode app, where nothing would replace it.
     *
     * @param values each value that may hold it, by its label
     */
    static void checkNoPlaceholder(Map<String, String> values, ClusterSpec cluster, Blame blame)
            throws ConfigException {
        if (cluster != null) {
            return;
        }
        String how = blame instanceof Blame.InCommand ? "give the public port with --port"
                : "set exec_mode: cluster and a port";
        for (Map.Entry<String, String> v : values.entrySet()) {
            if (v.getValue().contains(PORT_PLACEHOLDER)) {
                throw blame.error(v.getKey(), "'" + PORT_PLACEHOLDER + "' is replaced by an instance's own port in"
                        + " cluster mode only: " + how);
            }
        }
    }

    private static Integer portFromEnv(String value) {
        try {
            int p = Integer.parseInt(value.trim());
            return p >= 1 && p <= 65535 ? p : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static int port(Node node, String label, AppParser r) throws ConfigException {
        Integer p = node instanceof Node.Int || node instanceof Node.Text ? portFromEnv(
                node instanceof Node.Text t ? t.value() : node.describe()) : null;
        if (p == null) {
            throw r.fail(node, label, "expected a port from 1 to 65535, got " + node.describe());
        }
        return p;
    }

    private static Duration positive(Node node, String label, AppParser r) throws ConfigException {
        Duration d = r.duration(node, label);
        if (d.isZero()) {
            throw r.fail(node, label, "must be more than 0");
        }
        return d;
    }

    private static String host(Node node, String label, AppParser r) throws ConfigException {
        Node.Mapping map = (Node.Mapping) node;
        Node.Entry host = map.entries().get("host");
        return host == null || host.value() instanceof Node.Null ? "0.0.0.0" : r.text(host.value(), label + ".host");
    }

    /**
     * {@code mode: socket} shares the port through one socket handed to every instance, {@code
     * mode: reuseport} through one socket per instance ({@code SO_REUSEPORT}); any other mode is
     * the proxy's. The proxy's settings mean nothing then, and are refused.
     */
    private static PortSharing sharing(Node node, String label, AppParser r) throws ConfigException {
        Node.Mapping map = (Node.Mapping) node;
        Node.Entry mode = map.entries().get("mode");
        if (mode == null || !(mode.value() instanceof Node.Text t)
                || !(t.value().equals("socket") || t.value().equals("reuseport"))) {
            return PortSharing.PROXY;
        }
        String name = ((Node.Text) mode.value()).value();
        for (Node.Entry e : map.entries().values()) {
            if (!e.key().equals("mode") && !e.key().equals("host") && !(e.value() instanceof Node.Null)) {
                throw r.failKey(e, FieldPath.key(label, e.key()), "a setting of herd's proxy (mode http or tcp): with"
                        + " mode " + name + " the instances accept on the port themselves and herd sees no request");
            }
        }
        return name.equals("reuseport") ? PortSharing.REUSEPORT : PortSharing.SOCKET;
    }

    private static BalancerSettings balancer(Node node, String label, AppParser r) throws ConfigException {
        if (!(node instanceof Node.Mapping map)) {
            throw r.fail(node, label, "expected an object of balancer settings, got " + node.describe());
        }
        Balancer.Mode mode = Balancer.Mode.HTTP;
        Algorithm algorithm = Algorithm.ROUND_ROBIN;
        HttpProxySettings http = HttpProxySettings.DEFAULT;
        TcpProxySettings tcp = TcpProxySettings.DEFAULT;
        String healthPath = null;
        boolean healthCheck = false;
        HealthCheckSettings hd = HealthCheckSettings.DEFAULT;
        Duration interval = hd.interval();
        Duration timeout = hd.timeout();
        int rise = hd.rise();
        int fall = hd.fall();
        Duration connect = http.connectTimeout();
        Duration idle = null;
        Duration header = http.headerReadTimeout();
        Duration response = http.responseTimeout();
        int retries = http.maxRetries();
        Duration slowStart = Duration.ZERO;
        String trusted = null;
        boolean forwarded = true;
        boolean instanceHeader = false;
        boolean httpOnly = false;
        for (Node.Entry e : map.entries().values()) {
            String key = e.key();
            String l = FieldPath.key(label, key);
            Node v = e.value();
            if (v instanceof Node.Null) {
                continue;
            }
            switch (key) {
                case "host" -> r.text(v, l);
                case "mode" -> {
                    String m = r.text(v, l);
                    mode = switch (m) {
                        // socket and reuseport are no proxy at all (sharing): the proxy's settings stay at their defaults.
                        case "http", "socket", "reuseport" -> Balancer.Mode.HTTP;
                        case "tcp" -> Balancer.Mode.TCP;
                        default -> throw r.fail(v, l, "expected http, tcp, socket or reuseport, got " + v.describe());
                    };
                }
                case "algorithm" -> {
                    try {
                        algorithm = Algorithm.parse(r.text(v, l));
                    } catch (IllegalArgumentException ex) {
                        throw r.fail(v, l, ex.getMessage());
                    }
                }
                case "health_check" -> {
                    healthCheck = true;
                    if (v instanceof Node.Bool b) {
                        healthCheck = b.value();
                    } else {
                        healthPath = r.text(v, l);
                        if (!healthPath.startsWith("/")) {
                            throw r.fail(v, l, "expected a path starting with '/' (or true for a TCP check), got "
                                    + v.describe());
                        }
                    }
                }
                case "health_interval" -> interval = positive(v, l, r);
                case "health_timeout" -> timeout = positive(v, l, r);
                case "health_rise" -> rise = atLeastOne(v, l, r);
                case "health_fall" -> fall = atLeastOne(v, l, r);
                case "connect_timeout" -> connect = positive(v, l, r);
                case "idle_timeout" -> idle = positive(v, l, r);
                case "header_timeout" -> {
                    header = positive(v, l, r);
                    httpOnly = true;
                }
                case "response_timeout" -> {
                    response = positive(v, l, r);
                    httpOnly = true;
                }
                case "max_retries" -> retries = r.count(v, l);
                case "slow_start" -> slowStart = r.duration(v, l);
                case "trusted_forward_header" -> {
                    trusted = r.text(v, l);
                    httpOnly = true;
                }
                case "forwarded_headers" -> forwarded = r.bool(v, l);
                case "instance_header" -> instanceHeader = r.bool(v, l);
                default -> {
                    String hint = Suggestions.nearest(key, BALANCER_FIELDS)
                            .map(known -> " (did you mean '" + known + "'?)").orElse("");
                    throw r.failKey(e, l, "unknown balancer setting" + hint);
                }
            }
        }
        boolean healthTuned = interval != hd.interval() || timeout != hd.timeout() || rise != hd.rise() || fall != hd.fall();
        if (healthTuned && !healthCheck) {
            throw r.fail(node, label, "health_interval, health_timeout, health_rise and health_fall need health_check");
        }
        if (mode == Balancer.Mode.TCP && (httpOnly || instanceHeader || !forwarded)) {
            throw r.fail(node, label, "header_timeout, response_timeout, trusted_forward_header, forwarded_headers"
                    + " and instance_header are for mode: http");
        }
        HealthCheckSettings health = null;
        try {
            if (healthCheck) {
                health = new HealthCheckSettings(healthPath, interval, timeout, rise, fall);
            }
            HttpProxySettings d = HttpProxySettings.DEFAULT;
            http = new HttpProxySettings(connect, header, response, idle != null ? idle : d.idleTimeout(), retries,
                    d.maxHeaderBytes(), d.maxTargetBytes(), d.replayBufferBytes(), d.passiveCoolDown(), trusted, forwarded);
            tcp = new TcpProxySettings(connect, retries, idle, TcpProxySettings.DEFAULT.passiveCoolDown());
        } catch (IllegalArgumentException ex) {
            throw r.fail(node, label, ex.getMessage());
        }
        return new BalancerSettings(mode, algorithm, http, tcp, health, slowStart, instanceHeader);
    }

    private static int atLeastOne(Node v, String l, AppParser r) throws ConfigException {
        int n = r.count(v, l);
        if (n < 1) {
            throw r.fail(v, l, "expected 1 or more, got " + v.describe());
        }
        return n;
    }
}
