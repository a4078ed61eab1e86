package dev.ballast.proxy.config;

import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree that remembers where each node came from, so every problem can name its
 * line. Scalars keep their text exactly as written: types are decided by the key that reads them,
 * after {@code ${VAR}} substitution, never by YAML's guessing ({@code on} is not a boolean here).
 */
sealed interface Node {

    /** The 1-based line where this node starts. */
    int line();

    /** What this node is, for "expected X, got Y" messages. */
    String describe();

    record Scalar(String text, int line) implements Node {
        @Override
        public String describe() {
            return "'" + text + "'";
        }
    }

    /** A mapping in file order; {@code keyLines} holds the line of each key. */
    record Mapping(Map<String, Node> entries, Map<String, Integer> keyLines, int line) implements Node {
        @Override
        public String describe() {
            return "a mapping";
        }
    }

    record Sequence(List<Node> items, int line) implements Node {
        @Override
        public String describe() {
            return "a list";
        }
    }

    /** An empty value ({@code key:} with nothing after it, {@code ~} or {@code null}). */
    record Empty(int line) implements Node {
        @Override
        public String describe() {
            return "nothing";
        }
    }
}
