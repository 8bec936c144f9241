package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The Node.js channel's wire: hellos, what an app said, and line splitting within a bound. */
class IpcWireTest {

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aHelloNamesTheRunAndThePid() {
        assertThat(IpcWire.hello("{\"herd\":1,\"token\":\"ab12\",\"pid\":4321}"))
                .isEqualTo(new IpcWire.Hello("ab12", 4321));
    }

    @Test
    void anythingElseIsNoHello() {
        assertThat(IpcWire.hello("\"ready\"")).isNull();
        assertThat(IpcWire.hello("{\"herd\":2,\"token\":\"ab12\",\"pid\":1}")).as("another version").isNull();
        assertThat(IpcWire.hello("{\"herd\":1,\"token\":7,\"pid\":1}")).isNull();
        assertThat(IpcWire.hello("{\"herd\":1,\"token\":\"ab12\"}")).isNull();
        assertThat(IpcWire.hello("{\"herd\":1,")).isNull();
        assertThat(IpcWire.hello("")).isNull();
    }

    @Test
    void onlyTheStringReadyIsReady() {
        assertThat(IpcWire.said("\"ready\"")).isInstanceOf(IpcWire.Ready.class);
        assertThat(IpcWire.said(" \"ready\" ")).isInstanceOf(IpcWire.Ready.class);
        assertThat(IpcWire.said("\"Ready\"")).isInstanceOf(IpcWire.Other.class);
        assertThat(IpcWire.said("{\"type\":\"ready\",\"data\":{}}"))
                .isEqualTo(new IpcWire.Other("a message for PM2's bus of type \"ready\""));
        assertThat(IpcWire.said("{\"node_version\":\"20.1.0\"}")).isEqualTo(new IpcWire.Other("a object"));
        assertThat(IpcWire.said("42")).isEqualTo(new IpcWire.Other("a number"));
    }

    @Test
    void aLineThatIsNotJsonIsBadNotAnError() {
        assertThat(IpcWire.said("{\"type\":")).isInstanceOf(IpcWire.Bad.class);
        assertThat(IpcWire.said("ready")).isInstanceOf(IpcWire.Bad.class);
        assertThat(IpcWire.said("")).isEqualTo(new IpcWire.Bad("an empty line"));
    }

    @Test
    void whatHerdSendsIsAJsonStringOnALine() {
        assertThat(new String(IpcWire.line("shutdown"), StandardCharsets.UTF_8)).isEqualTo("\"shutdown\"\n");
        assertThat(new String(IpcWire.line("a \"b\"\n"), StandardCharsets.UTF_8)).isEqualTo("\"a \\\"b\\\"\\n\"\n");
    }

    @Test
    void linesAreSplitAcrossReadsAndAPartialOneWaits() {
        IpcWire.Lines lines = new IpcWire.Lines();

        assertThat(lines.feed(bytes("\"rea"))).isEmpty();
        assertThat(lines.feed(bytes("dy\"\n{\"a\":1}\n\"par"))).containsExactly("\"ready\"", "{\"a\":1}");
        assertThat(lines.feed(bytes("t\"\n"))).containsExactly("\"part\"");
    }

    @Test
    void aLineLongerThanTheBoundIsDroppedUpToItsNewlineAndCounted() {
        IpcWire.Lines lines = new IpcWire.Lines(8);

        assertThat(lines.feed(bytes("12345678\n"))).as("at the bound: kept").containsExactly("12345678");
        assertThat(lines.feed(bytes("123456789"))).isEmpty();
        assertThat(lines.feed(bytes("more and more and more"))).isEmpty();
        assertThat(lines.feed(bytes(" end\n\"ready\"\n"))).containsExactly("\"ready\"");
        assertThat(lines.dropped()).isEqualTo(1);
    }

    @Test
    void aHugeLineNeverHoldsMoreThanTheBound() {
        IpcWire.Lines lines = new IpcWire.Lines();
        byte[] chunk = new byte[1 << 20];
        java.util.Arrays.fill(chunk, (byte) 'x');

        for (int i = 0; i < 8; i++) {
            assertThat(lines.feed(ByteBuffer.wrap(chunk))).isEmpty();
        }

        assertThat(lines.feed(bytes("\n\"ready\"\n"))).containsExactly("\"ready\"");
        assertThat(lines.dropped()).isEqualTo(1);
    }
}
