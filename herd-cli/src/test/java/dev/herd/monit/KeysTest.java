package dev.herd.monit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.jline.keymap.BindingReader;
import org.jline.keymap.KeyMap;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bytes an xterm-like terminal sends, decoded as monit's keys, on a terminal over byte streams.
 * Ctrl-C is not among them: the terminal turns it into SIGINT (MonitIT covers that).
 */
// A terminal on streams never sees the end of its input, so each test reads as many keys as it expects.
@Timeout(30)
class KeysTest {

    /** Held: JUL keeps loggers weakly. Closing a pty terminal makes JLine warn about its pump, which is noise here. */
    private static final Logger JLINE = Logger.getLogger("org.jline");

    @BeforeAll
    static void quietJline() {
        JLINE.setLevel(Level.OFF);
    }

    private static List<Key> decode(String typed, int count) throws Exception {
        try (Terminal t = TerminalBuilder.builder().system(false).type("xterm").encoding(StandardCharsets.UTF_8)
                .streams(new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)), OutputStream.nullOutputStream())
                .build()) {
            // As the dashboard does: a terminal in canonical mode would hold the keys until a newline.
            t.enterRawMode();
            KeyMap<Key> keys = Dashboard.keyMap(t);
            BindingReader reader = new BindingReader(t.reader());
            List<Key> out = new ArrayList<>();
            while (out.size() < count) {
                out.add(reader.readBinding(keys));
            }
            return out;
        }
    }

    @Test
    void arrowsInEitherCursorModeAndVimKeysMoveTheSelection() throws Exception {
        assertThat(decode("\033[A\033OAk\033[B\033OBj", 6))
                .containsExactly(Key.UP, Key.UP, Key.UP, Key.DOWN, Key.DOWN, Key.DOWN);
    }

    @Test
    void pagingAndEndsOfTheLogPane() throws Exception {
        assertThat(decode("\033[5~\033[6~\033[H\033[F\033[1~\033[4~gG\u0002\u0006", 10))
                .containsExactly(Key.PAGE_UP, Key.PAGE_DOWN, Key.LOG_TOP, Key.LOG_BOTTOM, Key.LOG_TOP, Key.LOG_BOTTOM,
                        Key.LOG_TOP, Key.LOG_BOTTOM, Key.PAGE_UP, Key.PAGE_DOWN);
    }

    @Test
    void actionsScopeAndQuit() throws Exception {
        assertThat(decode("rRlsaq", 6)).containsExactly(Key.RESTART, Key.RELOAD, Key.RELOAD, Key.STOP, Key.SCOPE,
                Key.QUIT);
    }

    @Test
    void otherKeysComeOutAsOtherAndDoNotHoldBackTheNext() throws Exception {
        assertThat(decode("xr", 2)).containsExactly(Key.OTHER, Key.RESTART);
        assertThat(decode("ér", 2)).containsExactly(Key.OTHER, Key.RESTART);
        assertThat(decode("\033[15~r", 6)).endsWith(Key.RESTART).containsOnly(Key.OTHER, Key.RESTART);
    }

    @Test
    void aUtf8TerminalShowsBlockElementsAndAnAsciiOneDoesNot() {
        assertThat(Dashboard.canShow(StandardCharsets.UTF_8)).isTrue();
        assertThat(Dashboard.canShow(StandardCharsets.US_ASCII)).isFalse();
    }
}
