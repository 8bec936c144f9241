package dev.herd.balancer.netty;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Nanoseconds of http mode's own work on the heads of one exchange, without I/O: splitting and
 * checking the request head's fields and writing the head the backend gets, then the same for the
 * response (the guard's and reader's framing checks, a few field lookups more, are not in). The stable
 * figure to follow when changing the head path, where wrk runs on a shared machine vary by ±15%.
 * Heads: what wrk sends and node's hello answers, or a browser's request and a richer response.
 * Run with {@code bench/jmh.sh HttpHeadBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HttpHeadBenchmark {

    private static final String WRK_REQUEST = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
    private static final String NODE_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            + "Date: Thu, 26 Nov 2026 02:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
            + "Content-Length: 12\r\n\r\n";
    private static final String BROWSER_REQUEST = "GET /products/42?ref=home HTTP/1.1\r\nHost: shop.example\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            + "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
            + "Connection: keep-alive\r\nCookie: session=0123456789abcdef; theme=dark\r\n"
            + "Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\n"
            + "X-Forwarded-For: 203.0.113.7\r\n\r\n";
    private static final String RICH_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + "Date: Thu, 26 Nov 2026 02:00:00 GMT\r\nCache-Control: private, max-age=0\r\n"
            + "Set-Cookie: session=0123456789abcdef; Path=/; HttpOnly\r\nVary: Accept-Encoding\r\n"
            + "Content-Encoding: gzip\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n";

    /** Which pair of heads: {@code wrk} (the peer benchmark's) or {@code browser}. */
    @Param({"wrk", "browser"})
    public String heads;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final InetSocketAddress backend = InetSocketAddress.createUnresolved("127.0.0.1", 3001);
    private byte[] request;
    private byte[] response;

    @Setup
    public void setUp() {
        boolean wrk = heads.equals("wrk");
        request = (wrk ? WRK_REQUEST : BROWSER_REQUEST).getBytes(StandardCharsets.ISO_8859_1);
        response = (wrk ? NODE_RESPONSE : RICH_RESPONSE).getBytes(StandardCharsets.ISO_8859_1);
    }

    @Benchmark
    public int requestHead() throws HttpHead.MalformedException {
        // A copy per request, as the guard makes one from the socket's buffer.
        HttpHead head = HttpHead.parse(request.clone());
        String key = HttpForwardHeaders.clientKey(head, null, "127.0.0.1");
        ByteBuf out = HttpForwardHeaders.request(alloc, head, false, true, false, key, backend);
        int n = out.readableBytes();
        out.release();
        return n;
    }

    @Benchmark
    public int responseHead() throws HttpHead.MalformedException {
        HttpHead head = HttpHead.parse(response.clone());
        ByteBuf out = HttpForwardHeaders.response(alloc, head, false, HttpForwardHeaders.BodyFraming.AS_IS, true, false);
        int n = out.readableBytes();
        out.release();
        return n;
    }
}
