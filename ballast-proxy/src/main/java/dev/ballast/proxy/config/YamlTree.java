package dev.ballast.proxy.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads YAML text into a {@link Node} tree with a token walk over Jackson's YAML parser. Binding
 * straight to records would lose line numbers and fill silent defaults; the tree keeps both honest.
 */
final class YamlTree {

    // "key:" with nothing after it reads as empty, not as the empty string, so sections default. The
    // parser's own size limit (3 Mi characters) is raised to the file's (ConfigFile.MAX_BYTES), which
    // is checked first and said so: a file within it must not fail as a syntax error.
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            .loaderOptions(loaderOptions())
            .build();

    private static LoaderOptions loaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(ConfigFile.MAX_BYTES + 1);
        return options;
    }

    /**
     * The most values aliases may repeat in all. An alias reuses its anchor's node, but whatever reads
     * the tree reads it once per alias: a few aliases of a large anchor, or aliases of aliases, would
     * turn a small file into more than the heap holds, and end a running proxy at a reload.
     */
    static final int MAX_ALIASED_VALUES = 100_000;
    /** Enough to show a file of zeros or one with a pasted escape for what it is, and no more. */
    private static final int MAX_CHARACTER_PROBLEMS = 5;

    /** {@code &name} where YAML allows an anchor: after a space, a flow bracket, a comma, ':', '?' or '-'. */
    private static final Pattern WRITTEN_ANCHOR = Pattern.compile("(?<![^\\s\\[{,:?-])&([^\\s,\\[\\]{}]+)");

    private final YAMLParser parser;
    private final String yaml;
    private final Problems problems;
    private final Map<String, Node> anchors = new HashMap<>();
    /** How many values each anchored node holds, counting those its own aliases repeat. */
    private final Map<String, Long> anchorSizes = new HashMap<>();
    /** Values read so far, each alias counted as all it repeats. */
    private long values;
    private long aliasedValues;
    /** The line of each {@code &name} written in the text, found at the first unknown alias. */
    private Map<String, Integer> writtenAnchors;

    private YamlTree(YAMLParser parser, String yaml, Problems problems) {
        this.parser = parser;
        this.yaml = yaml;
        this.problems = problems;
    }

    /** The document's root, or null after recording why there is none (syntax error, empty file). */
    static Node read(String yaml, String sourceName, Problems problems) {
        if (refusedCharacters(yaml, sourceName, problems)) {
            return null;
        }
        try (YAMLParser parser = FACTORY.createParser(yaml)) {
            try {
                YamlTree tree = new YamlTree(parser, yaml, problems);
                if (parser.nextToken() == null) {
                    problems.error(sourceName, 0, "the configuration is empty (expected: listeners, upstreams and routes)");
                    return null;
                }
                Node root = tree.value("");
                if (parser.nextToken() != null) {
                    problems.error(sourceName, line(parser.currentTokenLocation()),
                            "more than one YAML document (expected: one)");
                    return null;
                }
                return root;
            } catch (JsonProcessingException e) {
                // A limit's exception has no location of its own: the parser's token is where it was hit.
                int line = e.getLocation() != null ? line(e.getLocation()) : line(parser.currentTokenLocation());
                syntaxError(e, line, sourceName, problems);
                return null;
            }
        } catch (IOException e) {
            // Reading from a String: only a parser failure can get here.
            problems.error(sourceName, 0, "invalid YAML: " + e.getMessage());
            return null;
        }
    }

    /**
     * Records each character YAML does not allow anywhere in a file (C0 controls but tab and line
     * breaks, DEL, C1 controls but NEL, U+FFFE and U+FFFF, a lone surrogate), up to {@link
     * #MAX_CHARACTER_PROBLEMS}, with its line. The parser refuses them too, but with no line and no
     * name of the character: a NUL-filled file after a crash, or an escape pasted from a terminal,
     * would read as a problem at line 1.
     */
    private static boolean refusedCharacters(String yaml, String sourceName, Problems problems) {
        int line = 1;
        int found = 0;
        for (int i = 0; i < yaml.length() && found < MAX_CHARACTER_PROBLEMS; i++) {
            char c = yaml.charAt(i);
            if (c == '\n' || (c == '\r' && (i + 1 == yaml.length() || yaml.charAt(i + 1) != '\n'))) {
                line++;
            } else if (Character.isHighSurrogate(c) && i + 1 < yaml.length() && Character.isLowSurrogate(yaml.charAt(i + 1))) {
                i++; // a character above U+FFFF: allowed
            } else if (!allowed(c)) {
                problems.error(sourceName, line, String.format("invalid YAML: character U+%04X is not allowed in a"
                        + " YAML file (inside a double-quoted string, write it as \\u%04X)", (int) c, (int) c));
                found++;
            }
        }
        return found > 0;
    }

    /** YAML 1.1's printable set, which SnakeYAML reads by (a lone surrogate is not in it). */
    private static boolean allowed(char c) {
        return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0x7E) || c == 0x85
                || (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD);
    }

    /** SnakeYAML's message spans lines with carets; a problem is one line with the line number apart. */
    private static void syntaxError(JsonProcessingException e, int lineOfToken, String sourceName, Problems problems) {
        if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblem() != null) {
            String context = marked.getContext() == null ? ""
                    : " (" + marked.getContext() + (marked.getContextMark() == null ? ""
                    : " that starts at line " + (marked.getContextMark().getLine() + 1)) + ")";
            int line = marked.getProblemMark() == null ? lineOfToken : marked.getProblemMark().getLine() + 1;
            problems.error(sourceName, line, "invalid YAML: " + marked.getProblem() + context);
            return;
        }
        String firstLine = e.getOriginalMessage().lines().findFirst().orElse("").strip();
        // Said in the file's terms rather than the parser's (a class name, a Java method to call).
        if (e instanceof StreamConstraintsException) {
            firstLine = "lists and mappings nested too deeply (at most " + StreamReadConstraints.DEFAULT_MAX_DEPTH
                    + " levels)";
        } else if (firstLine.startsWith("Expected a field name")) {
            firstLine = "a key must be plain text, not a list, a mapping or an alias";
        }
        problems.error(sourceName, lineOfToken, "invalid YAML: " + firstLine);
    }

    /** The value at the parser's token, or null after recording why an alias there is refused. */
    private Node value(String path) throws IOException {
        int line = line(parser.currentTokenLocation());
        if (parser.isCurrentAlias()) {
            return alias(path, line);
        }
        String anchor = parser.getObjectId();
        long before = values++;
        JsonToken token = parser.currentToken();
        if (token == null) { // what the parser makes of a tag its text does not fit, as `!!int +`
            throw new JsonParseException(parser, "a value that does not fit its tag (such as !!int on text that is"
                    + " not a whole number)");
        }
        Node node = switch (token) {
            case START_OBJECT -> mapping(path, line);
            case START_ARRAY -> sequence(path, line);
            case VALUE_NULL -> new Node.Empty(line);
            default -> new Node.Scalar(parser.getText(), line);
        };
        if (anchor != null) {
            anchors.put(anchor, node);
            anchorSizes.put(anchor, values - before);
        }
        return node;
    }

    /**
     * {@code *name} repeats the node anchored {@code &name}; errors inside it show the anchor's lines.
     * Null after recording why it cannot: a key is then left out, and a list item kept as empty so that
     * the items after it keep their positions.
     */
    private Node alias(String path, int line) throws IOException {
        String name = parser.getText();
        Node anchored = anchors.get(name);
        if (anchored == null) {
            problems.error(path, line, anchoredSingleValueAbove(name, line)
                    ? "alias '*" + name + "' of a single value (anchors work on lists and mappings only; expected:"
                            + " the value written out)"
                    : "unknown alias '*" + name + "' (expected: an anchor '&" + name + "' earlier in the file)");
            return null;
        }
        long size = anchorSizes.get(name);
        if (aliasedValues + size > MAX_ALIASED_VALUES) {
            if (aliasedValues <= MAX_ALIASED_VALUES) {
                problems.error(path, line, "aliases repeat more than " + MAX_ALIASED_VALUES + " values in all"
                        + " (expected: fewer or smaller aliases; aliases of aliases multiply)");
                aliasedValues = MAX_ALIASED_VALUES + 1L; // said once
            }
            return null;
        }
        aliasedValues += size;
        values += size;
        return anchored;
    }

    /**
     * Whether {@code &name} is written at or above {@code line}. The YAML parser keeps anchors of lists
     * and mappings only, so an alias of an anchored single value finds no anchor: this tells that case
     * from a missing one, for the message. The text is scanned once, whatever the number of aliases.
     */
    private boolean anchoredSingleValueAbove(String name, int line) {
        if (writtenAnchors == null) {
            writtenAnchors = new HashMap<>();
            Matcher anchor = WRITTEN_ANCHOR.matcher(yaml);
            int lineOfMatch = 1;
            int counted = 0;
            while (anchor.find()) {
                for (; counted < anchor.start(); counted++) {
                    if (yaml.charAt(counted) == '\n') {
                        lineOfMatch++;
                    }
                }
                writtenAnchors.putIfAbsent(anchor.group(1), lineOfMatch);
            }
        }
        Integer written = writtenAnchors.get(name);
        return written != null && written <= line;
    }

    private Node mapping(String path, int line) throws IOException {
        Map<String, Node> entries = new LinkedHashMap<>();
        Map<String, Integer> keyLines = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            int keyLine = line(parser.currentTokenLocation());
            parser.nextToken();
            String childPath = Paths.key(path, key);
            Node child = value(childPath);
            Integer first = keyLines.get(key);
            if (key.equals("<<")) {
                problems.error(childPath, keyLine,
                        "merge keys (<<) are not supported (expected: the keys written out)");
                continue;
            }
            if (first != null) {
                problems.error(childPath, keyLine, "duplicate key (first at line " + first + ")");
                continue;
            }
            if (child == null) {
                continue; // said already
            }
            entries.put(key, child);
            keyLines.put(key, keyLine);
        }
        return new Node.Mapping(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(keyLines), line);
    }

    private Node sequence(String path, int line) throws IOException {
        List<Node> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            int itemLine = line(parser.currentTokenLocation());
            Node item = value(Paths.index(path, items.size()));
            items.add(item != null ? item : new Node.Empty(itemLine));
        }
        return new Node.Sequence(List.copyOf(items), line);
    }

    private static int line(JsonLocation location) {
        return location == null ? 0 : Math.max(0, location.getLineNr());
    }
}
