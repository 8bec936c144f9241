package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.herd.daemon.Envelope;
import dev.herd.daemon.InstanceView;
import dev.herd.daemon.Protocol;
import dev.herd.daemon.RecordJson;
import dev.herd.daemon.Request;
import dev.herd.daemon.Response;
import dev.herd.supervisor.ExitRecord;
import dev.herd.supervisor.Signal;

/** {@code list} without databind says and reads what the daemon's databind writes and reads. */
class ListWireTest {

    @Test
    void theRequestIsTheEnvelopeOfListAll() throws Exception {
        byte[] lean = RecordJson.bytes(new DaemonClient.ListEnvelope(Protocol.VERSION, "0.1.0", new DaemonClient.ListRequest("list")));

        assertThat(new String(lean)).isEqualTo(new String(Protocol.json().writeValueAsBytes(
                new Envelope(Protocol.VERSION, "0.1.0", new Request.ListAll()))));
        assertThat(Protocol.json().readValue(lean, Envelope.class).request()).isInstanceOf(Request.ListAll.class);
    }

    @Test
    void theAnswerIsReadAsTheDaemonWroteIt() throws Exception {
        var json = Protocol.json();
        List<InstanceView> views = List.of(new InstanceView(3, "api", 1, "cluster", 42, "online", 2, 0, 1000, 5, 12.5, 1 << 20,
                List.of("node", "a.js"), "/srv", "/o", "/e", 0, "started",
                List.of(new ExitRecord(1, 143, Signal.SIGTERM, 5, true)), new InstanceView.Cluster(8000, 20001, "ready", null,
                        new InstanceView.Traffic(10, 1, 2, 10, 1.5, 0.2, 0.8, 4.5)), 300L << 20));
        byte[] frame = json.writeValueAsBytes(new Response(Protocol.VERSION, "0.1.0", true, null, json.valueToTree(views)));

        assertThat(RecordJson.read(frame, DaemonClient.ListAnswer.class))
                .isEqualTo(new DaemonClient.ListAnswer(Protocol.VERSION, "0.1.0", true, null, views));
        byte[] failed = json.writeValueAsBytes(new Response(Protocol.VERSION, "0.1.0", false, "no", null));
        assertThat(RecordJson.read(failed, DaemonClient.ListAnswer.class))
                .isEqualTo(new DaemonClient.ListAnswer(Protocol.VERSION, "0.1.0", false, "no", null));
    }
}
