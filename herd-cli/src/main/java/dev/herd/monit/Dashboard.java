package dev.herd.monit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jline.keymap.BindingReader;
import org.jline.keymap.KeyMap;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.Curses;
import org.jline.utils.Display;
import org.jline.utils.InfoCmp.Capability;

import dev.herd.daemon.HerdException;

/**
 * The thin loop that owns the terminal: full screen on the alternate screen, raw mode, cursor
 * hidden. Threads turn keys, resizes, samples of the daemon's list (once a second), log lines and
 * actions' outcomes into {@link MonitEvent}s on one queue; this loop hands each to
 * {@link MonitModel#step}, carries out the effects, and draws {@link Screen#render} after each
 * batch. The terminal is restored on every way out: {@code q}, Ctrl-C, the end of input, and a
 * shutdown hook for SIGTERM.
 */
public final class Dashboard {

    /** What a caller without a terminal is told, on one line. */
    public static final String NO_TERMINAL = "herd: monit needs a terminal (stdin and stdout a tty, TERM not dumb);"
            + " use herd list, or the web dashboard (herd metrics --port 9209)";

    private static final long POLL_SECONDS = 1;
    /** Events decided on between two draws at most, so that a flood of log lines cannot hold the screen still. */
    private static final int BATCH = 1000;

    private final DaemonLink link;
    private final Terminal terminal;
    private final Clock clock;
    private final BlockingQueue<MonitEvent> events = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "herd-monit-poll"));
    private final ExecutorService actions = Executors.newSingleThreadExecutor(r -> daemon(r, "herd-monit-action"));
    /** Guards the terminal between the loop and the shutdown hook. */
    private final Object screen = new Object();
    private boolean restored;
    private Attributes saved;
    /** What leaves the full screen: cursor shown, keypad back, main screen; worked out while the terminal is open. */
    private byte[] leave = new byte[0];
    private Display display;
    private int shownWidth = -1;
    private int shownHeight = -1;
    private Thread logs;

    private Dashboard(DaemonLink link, Terminal terminal, Clock clock) {
        this.link = link;
        this.terminal = terminal;
        this.clock = clock;
    }

    /**
     * Runs monit until the user leaves; without a terminal, prints {@link #NO_TERMINAL} to
     * {@code err} and returns 1 at once, before asking the daemon anything.
     *
     * @return the exit status
     */
    public static int run(DaemonLink link, PrintStream err) {
        Terminal terminal = openTerminal();
        if (terminal == null) {
            err.println(NO_TERMINAL);
            return 1;
        }
        return new Dashboard(link, terminal, Clock.systemUTC()).loop();
    }

    /** The system terminal, or null when stdin or stdout is not one, or it is dumb. */
    private static Terminal openTerminal() {
        try {
            // dumb(true): no warning on stderr when there is no terminal, just a dumb one to refuse.
            Terminal t = TerminalBuilder.builder().system(true).dumb(true)
                    .systemOutput(TerminalBuilder.SystemOutput.SysOut).nativeSignals(true).build();
            if (t.getType() == null || t.getType().startsWith(Terminal.TYPE_DUMB)) {
                t.close();
                return null;
            }
            return t;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private int loop() {
        Thread hook = new Thread(this::restore, "herd-monit-restore");
        PrintStream err = System.err;
        RuntimeException failure = null;
        try {
            saved = terminal.enterRawMode();
            leave = (sequence(Capability.cursor_normal) + sequence(Capability.keypad_local)
                    + sequence(Capability.exit_ca_mode)).getBytes(terminal.encoding());
            Runtime.getRuntime().addShutdownHook(hook);
            // What the client prints while the screen is up (a version warning) goes to the status line.
            System.setErr(new PrintStream(new StatusStream(), true, StandardCharsets.UTF_8));
            terminal.puts(Capability.enter_ca_mode);
            terminal.puts(Capability.keypad_xmit);
            terminal.puts(Capability.cursor_invisible);
            terminal.flush();
            display = new Display(terminal, true);
            terminal.handle(Terminal.Signal.WINCH, s -> events.add(resized()));
            terminal.handle(Terminal.Signal.INT, s -> events.add(new MonitEvent.Pressed(Key.QUIT)));
            // Suspending would leave the shell on the alternate screen in raw mode.
            terminal.handle(Terminal.Signal.TSTP, Terminal.SignalHandler.SIG_IGN);
            MonitEvent.Resized size = resized();
            MonitState state = MonitState.initial(size.width(), size.height(), canShow(terminal.encoding()));
            draw(state);
            daemon(this::readKeys, "herd-monit-keys").start();
            poller.scheduleWithFixedDelay(this::poll, 0, POLL_SECONDS, TimeUnit.SECONDS);
            while (true) {
                MonitEvent event = events.take();
                int decided = 0;
                do {
                    MonitModel.Step step = MonitModel.step(state, event);
                    state = step.state();
                    for (Effect effect : step.effects()) {
                        if (effect instanceof Effect.Quit) {
                            return 0;
                        }
                        carryOut(effect);
                    }
                } while (++decided < BATCH && (event = events.poll()) != null);
                draw(state);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (RuntimeException e) {
            failure = e;
            return 1;
        } finally {
            poller.shutdownNow();
            actions.shutdownNow();
            stopLogs();
            restore();
            System.setErr(err);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException | IllegalArgumentException alreadyGoneOrRunning) {
                // The JVM is shutting down (the hook runs or ran), or the hook was never added.
            }
            if (failure != null) {
                // Said once the terminal is back, on one line: the screen it broke is gone.
                err.println("herd: monit stopped: " + failure);
            }
        }
    }

    private void carryOut(Effect effect) {
        if (effect instanceof Effect.FollowLogs f) {
            follow(f);
        } else if (effect instanceof Effect.StopLogs) {
            stopLogs();
        } else if (effect instanceof Effect.Act a) {
            actions.execute(() -> act(a));
        }
    }

    private void poll() {
        try {
            events.add(new MonitEvent.Listed(link.list(), clock.millis()));
        } catch (HerdException e) {
            events.add(new MonitEvent.ListFailed(e.getMessage()));
        } catch (RuntimeException e) {
            // Not thrown out: that would cancel the schedule, and nothing would say why.
            events.add(new MonitEvent.ListFailed(String.valueOf(e)));
        }
    }

    private void act(Effect.Act a) {
        String name = a.action().verb() + " " + a.label();
        try {
            link.act(a.action(), a.target(), step -> events.add(new MonitEvent.Outcome(name + ": " + step, false)));
            events.add(new MonitEvent.Outcome(a.action().done() + " " + a.label(), false));
        } catch (HerdException e) {
            events.add(new MonitEvent.Outcome(name + " failed: " + e.getMessage(), true));
        } catch (RuntimeException e) {
            events.add(new MonitEvent.Outcome(name + " failed: " + e, true));
        }
    }

    /** Follows one log stream on its own thread; interrupting the thread closes its connection. */
    private void follow(Effect.FollowLogs f) {
        stopLogs();
        logs = daemon(() -> {
            try {
                link.followLogs(f.target(), f.lines(), item -> events.add(new MonitEvent.LogLine(f.generation(), item)));
                events.add(new MonitEvent.LogEnded(f.generation(), "the daemon closed it"));
            } catch (HerdException e) {
                events.add(new MonitEvent.LogEnded(f.generation(), e.getMessage()));
            } catch (RuntimeException e) {
                events.add(new MonitEvent.LogEnded(f.generation(), String.valueOf(e)));
            }
        }, "herd-monit-logs");
        logs.start();
    }

    private void stopLogs() {
        if (logs != null) {
            logs.interrupt();
            logs = null;
        }
    }

    private void readKeys() {
        KeyMap<Key> keys = keyMap(terminal);
        BindingReader reader = new BindingReader(terminal.reader());
        try {
            Key k;
            while ((k = reader.readBinding(keys)) != null) {
                if (k != Key.OTHER) {
                    events.add(new MonitEvent.Pressed(k));
                }
            }
        } catch (RuntimeException closed) {
            // The terminal was closed under the reader: monit is ending.
        }
        events.add(new MonitEvent.Pressed(Key.QUIT));
    }

    private MonitEvent.Resized resized() {
        Size size = terminal.getSize();
        return new MonitEvent.Resized(size.getColumns(), size.getRows());
    }

    private void draw(MonitState state) {
        synchronized (screen) {
            if (restored) {
                return;
            }
            if (state.width() != shownWidth || state.height() != shownHeight) {
                shownWidth = state.width();
                shownHeight = state.height();
                display.clear();
                display.resize(shownHeight, shownWidth);
            }
            if (shownWidth > 0 && shownHeight > 0) {
                display.update(Screen.render(state), -1);
            }
        }
    }

    /** Leaves the alternate screen, shows the cursor and puts the terminal's settings back; once. */
    private void restore() {
        synchronized (screen) {
            if (restored) {
                return;
            }
            restored = true;
            try {
                terminal.flush();
            } catch (RuntimeException e) {
                // Closed already: JLine's own shutdown hook may have run first.
            }
            // Straight to stdout, not through the terminal: on SIGTERM, JLine's own shutdown hook may
            // close the terminal at the same time, and what is written to a closed one is lost.
            System.out.write(leave, 0, leave.length);
            System.out.flush();
            try {
                if (saved != null) {
                    terminal.setAttributes(saved);
                }
                terminal.close();
            } catch (IOException | RuntimeException e) {
                // Closed already: JLine's close puts the terminal's first settings back itself.
            }
        }
    }

    private String sequence(Capability capability) {
        String s = terminal.getStringCapability(capability);
        return s == null ? "" : Curses.tputs(s);
    }

    /** The keys, as the terminal sends them: its own sequences (terminfo) and the common ones. */
    static KeyMap<Key> keyMap(Terminal terminal) {
        KeyMap<Key> map = new KeyMap<>();
        // Without these, an unbound key is held until another arrives, and delays the one after it.
        map.setNomatch(Key.OTHER);
        map.setUnicode(Key.OTHER);
        bind(map, Key.UP, terminal, Capability.key_up, "\033[A", "\033OA", "k");
        bind(map, Key.DOWN, terminal, Capability.key_down, "\033[B", "\033OB", "j");
        bind(map, Key.PAGE_UP, terminal, Capability.key_ppage, "\033[5~", KeyMap.ctrl('B'), "b");
        bind(map, Key.PAGE_DOWN, terminal, Capability.key_npage, "\033[6~", KeyMap.ctrl('F'), " ");
        bind(map, Key.LOG_TOP, terminal, Capability.key_home, "\033[H", "\033OH", "\033[1~", "g");
        bind(map, Key.LOG_BOTTOM, terminal, Capability.key_end, "\033[F", "\033OF", "\033[4~", "G");
        map.bind(Key.SCOPE, "a");
        map.bind(Key.RESTART, "r");
        map.bind(Key.RELOAD, "R", "l");
        map.bind(Key.STOP, "s");
        // Ctrl-C arrives as a byte only if the terminal does not turn it into SIGINT.
        map.bind(Key.QUIT, "q", KeyMap.ctrl('C'));
        return map;
    }

    private static void bind(KeyMap<Key> map, Key key, Terminal terminal, Capability capability, String... common) {
        List<String> sequences = new ArrayList<>(List.of(common));
        String own = KeyMap.key(terminal, capability);
        if (own != null && !own.isEmpty()) {
            sequences.add(own);
        }
        map.bind(key, sequences);
    }

    /** Whether the terminal's encoding has the block elements, arrows and rules the screen draws. */
    static boolean canShow(Charset encoding) {
        return encoding.newEncoder().canEncode("▁▂▃▄▅▆▇█▶━…·↑↓");
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Hands each line written to it to the status line. */
    private final class StatusStream extends OutputStream {
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.UTF_8).strip();
                line.reset();
                if (!text.isEmpty()) {
                    events.add(new MonitEvent.Outcome(text, false));
                }
            } else {
                line.write(b);
            }
        }
    }
}
