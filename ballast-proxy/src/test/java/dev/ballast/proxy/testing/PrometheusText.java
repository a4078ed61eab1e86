package dev.ballast.proxy.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The samples of a Prometheus text exposition, for assertions: name, labels, value. */
public final class PrometheusText {

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    private final String text;

    private PrometheusText(List<Sample> samples, String text) {
        this.samples = samples;
        this.text = text;
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                String body = line.substring(brace + 1, line.lastIndexOf('}'));
                int i = 0;
                while (i < body.length()) {
                    int eq = body.indexOf('=', i);
                    int close = body.indexOf('"', eq + 2);
                    while (body.charAt(close - 1) == '\\') {
                        close = body.indexOf('"', close + 1);
                    }
                    labels.put(body.substring(i, eq), body.substring(eq + 2, close));
                    i = close + 2; // past the quote and the comma
                }
            } else {
                name = line.substring(0, space);
            }
            samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
        return new PrometheusText(samples, text);
    }

    public List<Sample> samples() {
        return samples;
    }

    /** Samples of {@code name} whose labels include the given {@code name, value} pairs. */
    public List<Sample> find(String name, String... labelPairs) {
        List<Sample> found = new ArrayList<>();
        for (Sample sample : samples) {
            if (!sample.name().equals(name)) {
                continue;
            }
            boolean matches = true;
            for (int i = 0; i < labelPairs.length; i += 2) {
                matches &= labelPairs[i + 1].equals(sample.labels().get(labelPairs[i]));
            }
            if (matches) {
                found.add(sample);
            }
        }
        return found;
    }

    /** The sum of the matching samples' values; 0 when none matches. */
    public double value(String name, String... labelPairs) {
        return find(name, labelPairs).stream().mapToDouble(Sample::value).sum();
    }

    public boolean has(String name) {
        return samples.stream().anyMatch(sample -> sample.name().equals(name));
    }

    @Override
    public String toString() {
        return text;
    }
}
