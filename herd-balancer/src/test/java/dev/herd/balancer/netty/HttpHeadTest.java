package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

class HttpHeadTest {

    private static HttpHead parse(String head) throws HttpHead.MalformedException {
        return HttpHead.parse(head.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void findsFieldsByNameIgnoringCaseAndTrimsValues() throws Exception {
        HttpHead h = parse("GET / HTTP/1.1\r\nHOST: a\r\nX-A:  b c \t\r\nx-a:d\r\n\r\n");
        assertThat(h.fieldCount()).isEqualTo(3);
        assertThat(h.startLineEnd()).isEqualTo(14);
        assertThat(h.indexOf(HttpHead.HOST)).isZero();
        assertThat(h.value(1)).isEqualTo("b c");
        assertThat(h.rawValue(1)).isEqualTo("  b c \t");
        assertThat(h.nameIs(2, "X-A")).isTrue();
        assertThat(h.nameIs(2, "X-AB")).isFalse();
        assertThat(h.indexOf(HttpHead.CONTENT_LENGTH)).isEqualTo(-1);
    }

    @Test
    void writesFieldsAndValuesAsTheyCame() throws Exception {
        HttpHead h = parse("GET / HTTP/1.1\r\nHost:  a:80 \r\nX-A: b\r\n\r\n");
        ByteBuf out = Unpooled.buffer();
        h.writeField(1, out);
        h.writeValue(0, out);
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("X-A: b\r\na:80");
    }

    @Test
    void readsConnectionTokensAcrossLinesAndLists() throws Exception {
        HttpHead h = parse("GET / HTTP/1.1\r\nConnection: Keep-Alive , X-One\r\nconnection: upgrade,,x-two\r\n\r\n");
        assertThat(h.hasToken(HttpHead.CONNECTION, HttpHead.KEEP_ALIVE)).isTrue();
        assertThat(h.hasToken(HttpHead.CONNECTION, HttpHead.UPGRADE)).isTrue();
        assertThat(h.hasToken(HttpHead.CONNECTION, HttpHead.CLOSE)).isFalse();
        assertThat(h.connectionOptions()).containsExactly("x-one", "x-two");
    }

    @Test
    void aHeadWithOnlyStandardConnectionTokensHasNoOptions() throws Exception {
        assertThat(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").connectionOptions()).isEmpty();
        assertThat(parse("GET / HTTP/1.1\r\n\r\n").connectionOptions()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n",       // obs-fold
        "GET / HTTP/1.1\r\nX-A : b\r\n\r\n",            // space before the colon
        "GET / HTTP/1.1\r\nX(A): b\r\n\r\n",            // not a token
        "GET / HTTP/1.1\r\n: b\r\n\r\n",                // no name
        "GET / HTTP/1.1\r\nX-A b\r\n\r\n",              // no colon
        "GET / HTTP/1.1\r\nX-A: b\u0000\r\n\r\n",       // control byte
        "GET / HTTP/1.1\r\nX-A: b\rc\r\n\r\n",          // bare CR
        "GET / HTTP/1.1\nX-A: b\r\n\r\n",               // bare LF
        "GET / HTTP/1.1\r\n\r\nX"})                     // bytes after the end
    void rejectsWhatBreaksTheFieldGrammar(String head) {
        assertThatThrownBy(() -> parse(head)).isInstanceOf(HttpHead.MalformedException.class);
    }

    @Test
    void growsPastTheInitialFieldCapacity() throws Exception {
        StringBuilder sb = new StringBuilder("GET / HTTP/1.1\r\n");
        for (int i = 0; i < 100; i++) {
            sb.append("X-").append(i).append(": ").append(i).append("\r\n");
        }
        HttpHead h = parse(sb.append("\r\n").toString());
        assertThat(h.fieldCount()).isEqualTo(100);
        assertThat(h.value(99)).isEqualTo("99");
    }
}
