package dev.ballast.core.internal;

/**
 * Text a client, an upstream or a registry chose (a target, a header, a path, a decoder's message), made fit to
 * quote in a response body or a log line: a reader's terminal must not take its bytes as commands.
 */
public final class Printable {

    private static final int MAX_DETAIL = 200;

    private Printable() {
    }

    /** {@code text} with control and non-ASCII characters escaped, ESC as {@code \x1B}. */
    public static String escaped(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean plain = c >= ' ' && c < 0x7F;
            if (!plain && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (plain) {
                    out.append(c);
                } else {
                    out.append(c > 0xFF ? String.format("\\u%04X", (int) c) : String.format("\\x%02X", (int) c));
                }
            }
        }
        return out == null ? text : out.toString();
    }

    /**
     * {@code text} with only control characters escaped (C0, DEL and C1, as {@code \x1B}): for text a
     * person wrote, which may hold any letter, going to a terminal or a log.
     */
    public static String controlsEscaped(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c < ' ' || c == 0x7F || (c >= 0x80 && c < 0xA0);
            if (control && out == null) {
                out = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (out != null) {
                out.append(control ? String.format("\\x%02X", (int) c) : String.valueOf(c));
            }
        }
        return out == null ? text : out.toString();
    }

    /** {@link #escaped}, and at most {@value #MAX_DETAIL} characters. */
    public static String detail(String text) {
        String escaped = escaped(text);
        return escaped.length() <= MAX_DETAIL ? escaped : escaped.substring(0, MAX_DETAIL - 3) + "...";
    }
}
