package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import org.junit.jupiter.api.Test;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HttpForwardHeadersTest {

    /** Each row: the request's forwarding field lines ({@code ~} between lines) and the key. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "X-Forwarded-For: 10.0.0.1, 10.0.0.2       | 10.0.0.2",
        "X-Forwarded-For: 10.0.0.1, 10.0.0.2,      | 10.0.0.2",
        "X-Forwarded-For: 10.0.0.1 ,  ,            | 10.0.0.1",
        "x-forwarded-for: 10.0.0.1~X-Forwarded-For: 10.0.0.3 | 10.0.0.3",
        "X-Forwarded-For: 10.0.0.1~X-Forwarded-For: ,        | 10.0.0.1",
        "X-Forwarded-For: ,                        | 127.0.0.9",
        "X-Other: 10.0.0.1                         | 127.0.0.9"})
    void theClientKeyIsTheLastNonEmptyElementOfTheTrustedChain(String fields, String key) throws Exception {
        String head = "GET / HTTP/1.1\r\nHost: h\r\n" + fields.strip().replace("~", "\r\n") + "\r\n\r\n";
        HttpHead h = HttpHead.parse(head.getBytes(StandardCharsets.ISO_8859_1));
        assertThat(HttpForwardHeaders.clientKey(h, "X-Forwarded-For", "127.0.0.9")).isEqualTo(key);
    }

    @Test
    void anUpgradeKeepsTheConnectionSpecificFieldsItNamesAndNamesThemAgain() throws Exception {
        String head = "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings, X-Private\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQAAP__\r\nKeep-Alive: timeout=5\r\n\r\n";
        HttpHead h = HttpHead.parse(head.getBytes(StandardCharsets.ISO_8859_1));
        assertThat(forward(h, true)).isEqualTo("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAAQAAP__\r\nconnection: upgrade, http2-settings\r\n\r\n");
        assertThat(forward(h, false)).as("without an upgrade they are dropped").isEqualTo("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    }

    private static String forward(HttpHead h, boolean upgrade) {
        ByteBuf out = HttpForwardHeaders.request(ByteBufAllocator.DEFAULT, h, upgrade, false, false, "127.0.0.1",
                new InetSocketAddress("127.0.0.1", 80));
        try {
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }
}
