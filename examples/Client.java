import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The seed's client.ts in Java: sends n GET requests one after the other, prints each answer,
 * then how many each worker served. Needs no build: java examples/Client.java [url] [n]
 * (default http://127.0.0.1:8000/ and 10). For load, percentiles and reports: herd hit.
 */
public final class Client {

    public static void main(String[] args) throws InterruptedException {
        URI url = URI.create(args.length > 0 ? args[0] : "http://127.0.0.1:8000/");
        int total = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, Integer> served = new TreeMap<>();
        int failed = 0;
        for (int i = 1; i <= total; i++) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                String body = r.body().trim();
                System.out.println("Response #" + i + ": " + body);
                if (r.statusCode() / 100 == 2) {
                    served.merge(worker(body), 1, Integer::sum);
                } else {
                    failed++;
                }
            } catch (IOException e) {
                System.out.println("Request #" + i + " failed: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
                failed++;
            }
        }
        System.out.println("Load balancer test completed: " + (total - failed) + " of " + total + " answered 2xx.");
        served.forEach((worker, count) -> System.out.println("  worker " + worker + ": " + count));
        System.exit(failed == 0 ? 0 : 1);
    }

    /** The last number in the body's first line (Hello from worker 4312), or the line itself. */
    private static String worker(String body) {
        String line = body.lines().findFirst().orElse("");
        String[] numbers = line.replaceAll("[^0-9]+", " ").trim().split(" ");
        return numbers[numbers.length - 1].isEmpty() ? line : numbers[numbers.length - 1];
    }
}
