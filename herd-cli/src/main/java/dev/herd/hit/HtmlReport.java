package dev.herd.hit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The {@code --report} page: one self-contained HTML file, charts drawn as inline SVG (no script,
 * no style sheet or font fetched), so it opens anywhere without a network. Per second of the run:
 * requests, p50 and p99 latency, errors, and each instance's answers stacked, so a reload shows
 * as instances changing colour with the other lines flat; then each instance's share.
 */
final class HtmlReport {

    private static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
        "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    private static final int WIDTH = 900;
    private static final int HEIGHT = 180;
    private static final int LEFT = 60;
    private static final int BOTTOM = 24;

    private HtmlReport() {
    }

    static String render(HitSummary s) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>herd hit ")
                .append(escape(s.url())).append("</title>\n<style>body{font:14px sans-serif;margin:24px;color:#222}"
                        + "h2{font-size:15px;margin:20px 0 4px}td,th{padding:2px 10px;text-align:right}"
                        + "td:first-child,th:first-child{text-align:left}svg text{font:11px sans-serif}</style></head><body>\n");
        h.append("<h1>herd hit ").append(escape(s.url())).append("</h1>\n<p>")
                .append(SummaryText.format(s).lines().map(HtmlReport::escape).reduce((a, b) -> a + "<br>" + b).orElse(""))
                .append("</p>\n");
        List<HitSummary.Second> t = s.timeline();
        h.append("<h2>Requests per second</h2>\n")
                .append(lines(t, List.of(new Series("requests/s", COLOURS[0], x -> x.requests()))));
        h.append("<h2>Latency (ms): p50 and p99</h2>\n").append(lines(t, List.of(
                new Series("p50", COLOURS[0], HitSummary.Second::p50), new Series("p99", COLOURS[1], HitSummary.Second::p99))));
        h.append("<h2>Errors per second</h2>\n")
                .append(lines(t, List.of(new Series("errors/s", COLOURS[3], x -> x.errors()))));
        List<String> names = new ArrayList<>();
        s.instances().forEach(i -> names.add(i.instance()));
        h.append("<h2>Answers per second by instance</h2>\n").append(stacked(t, names));
        h.append("<h2>Share by instance</h2>\n<table><tr><th>instance</th><th>answers</th><th>share</th></tr>\n");
        for (int i = 0; i < s.instances().size(); i++) {
            HitSummary.InstanceShare share = s.instances().get(i);
            h.append("<tr><td><span style=\"color:").append(colour(i)).append("\">&#9632;</span> ")
                    .append(escape(share.instance())).append("</td><td>").append(share.requests()).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.1f%%", 100 * share.share())).append("</td></tr>\n");
        }
        return h.append("</table>\n</body></html>\n").toString();
    }

    private record Series(String name, String colour, ToDoubleFunction<HitSummary.Second> value) {
    }

    private static String lines(List<HitSummary.Second> t, List<Series> series) {
        double max = 0;
        for (Series se : series) {
            for (HitSummary.Second x : t) {
                max = Math.max(max, se.value().applyAsDouble(x));
            }
        }
        StringBuilder svg = frame(t.size(), max);
        for (Series se : series) {
            svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(se.colour()).append("\" points=\"");
            for (int i = 0; i < t.size(); i++) {
                svg.append(fmt(x(i, t.size()))).append(',').append(fmt(y(se.value().applyAsDouble(t.get(i)), max))).append(' ');
            }
            svg.append("\"><title>").append(escape(se.name())).append("</title></polyline>\n");
        }
        legend(svg, series.stream().map(Series::name).toList(), series.stream().map(Series::colour).toList());
        return svg.append("</svg>\n").toString();
    }

    private static String stacked(List<HitSummary.Second> t, List<String> names) {
        double max = t.stream().mapToDouble(x -> x.instances().values().stream().mapToLong(Long::longValue).sum()).max().orElse(0);
        StringBuilder svg = frame(t.size(), max);
        double barWidth = Math.max(1, (WIDTH - LEFT - 10) / (double) Math.max(1, t.size()) - 1);
        for (int i = 0; i < t.size(); i++) {
            double base = 0;
            for (int n = 0; n < names.size(); n++) {
                long count = t.get(i).instances().getOrDefault(names.get(n), 0L);
                if (count == 0) {
                    continue;
                }
                double top = y(base + count, max);
                svg.append("<rect x=\"").append(fmt(x(i, t.size()) - barWidth / 2)).append("\" y=\"").append(fmt(top))
                        .append("\" width=\"").append(fmt(barWidth)).append("\" height=\"").append(fmt(y(base, max) - top))
                        .append("\" fill=\"").append(colour(n)).append("\"><title>").append(escape(names.get(n)))
                        .append(": ").append(count).append(" in second ").append(t.get(i).second()).append("</title></rect>\n");
                base += count;
            }
        }
        List<String> colours = new ArrayList<>();
        for (int n = 0; n < names.size(); n++) {
            colours.add(colour(n));
        }
        legend(svg, names, colours);
        return svg.append("</svg>\n").toString();
    }

    /** The axes, with the highest value and the run's length in seconds written on them. */
    private static StringBuilder frame(int seconds, double max) {
        StringBuilder svg = new StringBuilder();
        svg.append("<svg width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\">\n");
        int bottom = HEIGHT - BOTTOM;
        svg.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(bottom).append("\" x2=\"").append(WIDTH - 10)
                .append("\" y2=\"").append(bottom).append("\" stroke=\"#888\"/>\n");
        svg.append("<line x1=\"").append(LEFT).append("\" y1=\"10\" x2=\"").append(LEFT).append("\" y2=\"").append(bottom)
                .append("\" stroke=\"#888\"/>\n");
        svg.append("<text x=\"").append(LEFT - 4).append("\" y=\"14\" text-anchor=\"end\">").append(fmt(max)).append("</text>\n");
        svg.append("<text x=\"").append(LEFT - 4).append("\" y=\"").append(bottom).append("\" text-anchor=\"end\">0</text>\n");
        svg.append("<text x=\"").append(WIDTH - 10).append("\" y=\"").append(HEIGHT - 6).append("\" text-anchor=\"end\">")
                .append(seconds).append(" s</text>\n");
        return svg;
    }

    private static void legend(StringBuilder svg, List<String> names, List<String> colours) {
        int x = LEFT + 10;
        for (int i = 0; i < names.size() && i < 20; i++) {
            svg.append("<rect x=\"").append(x).append("\" y=\"").append(HEIGHT - 16).append("\" width=\"10\" height=\"10\" fill=\"")
                    .append(colours.get(i)).append("\"/><text x=\"").append(x + 14).append("\" y=\"").append(HEIGHT - 7)
                    .append("\">").append(escape(names.get(i))).append("</text>\n");
            x += 24 + 7 * Math.min(names.get(i).length(), 20);
        }
    }

    private static double x(int i, int n) {
        double span = WIDTH - LEFT - 10;
        return LEFT + (n <= 1 ? span / 2 : span * (i + 0.5) / n);
    }

    private static double y(double value, double max) {
        double bottom = HEIGHT - BOTTOM;
        return max <= 0 ? bottom : bottom - (bottom - 10) * value / max;
    }

    private static String colour(int i) {
        return COLOURS[i % COLOURS.length];
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
